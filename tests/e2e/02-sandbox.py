#!/usr/bin/env python3
"""One escape attempt per isolation layer, each with a control run that
switches that layer off (corral-testhooks, CORRAL_TEST_DISABLE) and shows the
same attempt would then have succeeded: each test can fail."""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import HOOKS, Stalled, Tap, run_js  # noqa: E402

t = Tap("02-sandbox")


def hooks(code, *flags, disable=None):
    env = {"CORRAL_TEST_DISABLE": disable} if disable else None
    return run_js(code, *flags, binary=HOOKS, env=env)


# 3. seccomp: forbidden system calls kill the worker with SIGSYS.
for call in ["socket", "fork", "execve", "ptrace", "mount"]:
    rc, r, _ = hooks(f"__corral_test.syscall('{call}')")
    err = r.get("error") or {}
    t.ok(r["status"] == "killed" and err.get("signal") == "SIGSYS",
         f"seccomp: {call}() kills the worker with SIGSYS", r)
rc, r, _ = hooks("__corral_test.syscall('open', '/proc/self/status')")
t.eq(r.get("result"), "EACCES", "seccomp: open() after lock-down is refused (EACCES)")
rc, r, _ = hooks("__corral_test.syscall('fork')", disable="seccomp")
t.eq((r["status"], r.get("result")), ("ok", "ok"), "control: with seccomp off, fork() succeeds")

# 4. namespaces: no network, an empty root, own pid and uts, no privileges.
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(4)
port = srv.getsockname()[1]
rc, r, _ = hooks(f"[__corral_test.syscall('connect', '127.0.0.1:{port}'), __corral_test.syscall('connect', '1.1.1.1:53')]",
                 disable="seccomp")
t.eq(r.get("result"), ["ENETUNREACH", "ENETUNREACH"], "net namespace: no route to the host's loopback or out")
rc, r, _ = hooks(f"__corral_test.syscall('connect', '127.0.0.1:{port}')", disable="seccomp,namespaces")
t.eq(r.get("result"), "ok", "control: without namespaces the same connect reaches the host")
srv.close()

rc, r, _ = hooks("__corral_test.syscall('open', '/etc/passwd')", disable="seccomp")
t.eq(r.get("result"), "ENOENT", "mount namespace: the host's files are not there (empty root)")
rc, r, _ = hooks("__corral_test.syscall('open', '/etc/passwd')", disable="seccomp,namespaces")
t.eq(r.get("result"), "ok", "control: without namespaces /etc/passwd opens")

rc, r, _ = hooks("__corral_test.info()", disable="seccomp")
info = r.get("result") or {}
t.eq((info.get("pid"), info.get("hostname")), (1, "corral"), "pid and uts namespaces: pid 1, own hostname")
t.ok(info.get("uid", 0) >= 100000 and info.get("euid", 0) >= 100000, "the worker runs as an unprivileged uid", info)
rc, r, _ = hooks("[__corral_test.syscall('setuid0'), __corral_test.syscall('mount')]", disable="seccomp")
t.eq(r.get("result"), ["EPERM", "EPERM"], "no capabilities: setuid(0) and mount() fail even without seccomp")
rc, r, _ = hooks("__corral_test.info().pid", disable="seccomp,namespaces")
t.ok(r.get("result") not in (None, 1), "control: without namespaces the worker sees its host pid", r.get("result"))

with Stalled() as s:
    if s.worker:
        mine = os.readlink("/proc/self/ns/net")
        theirs = os.readlink(f"/proc/{s.worker}/ns/net")
        t.ok(mine != theirs, "the worker's net namespace differs from the parent's", (mine, theirs))
        routes = subprocess.run(["nsenter", f"--net=/proc/{s.worker}/ns/net", "ip", "-o", "route"],
                                capture_output=True, text=True)
        links = subprocess.run(["nsenter", f"--net=/proc/{s.worker}/ns/net", "ip", "-o", "link"],
                               capture_output=True, text=True)
        t.ok(routes.returncode == 0 and routes.stdout.strip() == "", "it has no route at all", routes)
        t.ok(links.returncode == 0 and [ln.split(":")[1].strip() for ln in links.stdout.splitlines()] == ["lo"],
             "its only interface is lo", links.stdout)
    else:
        t.ok(False, "the stalled worker was found", "no child process")

# 5. cgroups: the worker sits in its own cgroup with the cap.
def cgroup_of(pid, ctrl):
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if ctrl in ctrls.split(","):
                return path
    return None


def limit_of(pid):
    path = cgroup_of(pid, "memory")
    if path is not None:
        f = f"/sys/fs/cgroup/memory{path}/memory.limit_in_bytes"
        if os.path.exists(f):
            return int(open(f).read())
    path = cgroup_of(pid, "")
    for base in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        f = f"{base}{path}/memory.max"
        if path is not None and os.path.exists(f):
            v = open(f).read().strip()
            return v if v == "max" else int(v)  # "max": no cap, a failure below
    return None


rc, r, _ = run_js("1")  # the banner-free probe: does this machine have a cgroup for us?
with Stalled(flags=["--memory", "96"]) as s:
    t.ok(s.worker, "the stalled worker was found (to read its cgroup)")
    lim = limit_of(s.worker) if s.worker else None
if lim is None:
    t.skip("cgroup: the worker's memory cap is its cgroup's limit", "no writable cgroup v1/v2 memory controller here")
else:
    t.eq(lim, 96 << 20, "cgroup: the worker's cgroup caps memory at --memory")
    with Stalled(flags=["--memory", "96"], env={"CORRAL_TEST_DISABLE": "cgroup"}) as s:
        lim2 = limit_of(s.worker) if s.worker else None
    t.ok(lim2 != 96 << 20, "control: with cgroups off no such cap is set", lim2)
rc, r, _ = hooks("const a = []; while (true) a.push(new Array(1e5).fill(1))", "--memory", "64", disable="cgroup")
t.eq(r["status"], "memory_limit", "fallback: without a cgroup, RSS polling still ends a memory bomb")

# 6. rlimits.
def limits_of(pid):
    out = {}
    with open(f"/proc/{pid}/limits") as f:
        for line in f.readlines()[1:]:
            name = line[:26].strip()
            out[name] = line[26:47].strip()
    return out


with Stalled() as s:
    lims = limits_of(s.worker) if s.worker else {}
t.eq((lims.get("Max open files"), lims.get("Max file size"), lims.get("Max core file size")), ("64", "0", "0"),
     "rlimits: 64 fds, no file writes, no core dumps")
with Stalled(env={"CORRAL_TEST_DISABLE": "rlimits"}) as s:
    lims = limits_of(s.worker) if s.worker else {}
t.ok(lims.get("Max open files") != "64", "control: with rlimits off they are not set", lims.get("Max open files"))

# 7. deadlines: inside (watchdog), and outside (the supervisor's SIGKILL).
rc, r, _ = hooks("__corral_test.stall(5000)", "--timeout", "200")
t.ok(r["status"] == "timeout" and "killed" in r["error"]["message"] and r["usage"]["wall_ms"] < 1000,
     "a native stall the watchdog cannot reach is killed by the supervisor", r)

# The supervisor trusts nothing the worker sends.
rc, r, _ = hooks("__corral_test.raw('garbage'); 1")
t.ok(r["status"] == "killed" and "malformed frame" in r["error"]["message"], "a malformed frame kills the worker", r)
rc, r, _ = hooks("__corral_test.raw('flood', 50000); 1", "--max-output", "10000")
t.ok(r["status"] == "output_limit" and len(r["stdout"]) == 10000, "output past the cap is cut by the supervisor too",
     (r["status"], len(r.get("stdout", ""))))

t.done()
