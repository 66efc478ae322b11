"""Shared helpers for corral's end-to-end tests: TAP output and running the
real binaries. Every test prints TAP and, last, one line
'N passed, M failed, K skipped'; a skip is never counted as a pass."""
import json
import os
import subprocess
import sys
import time

BUILD = os.environ.get("CORRAL_BUILD", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
CORRAL = os.path.abspath(os.path.join(BUILD, "corral"))
HOOKS = os.path.abspath(os.path.join(BUILD, "corral-testhooks"))
SANITIZED = os.environ.get("CORRAL_SANITIZED") == "1"


class Tap:
    def __init__(self, name):
        self.name = name
        self.n = 0
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if cond:
            self.passed += 1
            print(f"ok {self.n} - {desc}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {desc}", flush=True)
            if diag is not None:
                for line in str(diag)[:4000].splitlines():
                    print(f"#   {line}", flush=True)
        return cond

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, f"got:  {got!r}\nwant: {want!r}")

    def skip(self, desc, reason):
        self.n += 1
        self.skipped += 1
        print(f"ok {self.n} - {desc} # SKIP {reason}", flush=True)

    def done(self):
        print(f"1..{self.n}")
        print(f"{self.name}: {self.passed} passed, {self.failed} failed, {self.skipped} skipped")
        sys.exit(1 if self.failed else 0)


def run(args, stdin=None, binary=CORRAL, env=None, timeout=60):
    """Runs the binary; returns (exit code, stdout, stderr, seconds)."""
    e = dict(os.environ)
    if env:
        e.update(env)
    t0 = time.monotonic()
    p = subprocess.run([binary] + list(args), input=stdin.encode() if isinstance(stdin, str) else stdin,
                       capture_output=True, env=e, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), time.monotonic() - t0


def run_js(code, *flags, binary=CORRAL, env=None, timeout=60):
    """corral run --json - with code on stdin; returns (exit code, result object or None, stderr)."""
    rc, out, err, _ = run(["run", "--json", *flags, "-"], stdin=code, binary=binary, env=env, timeout=timeout)
    try:
        obj = json.loads(out.splitlines()[-1]) if out.strip() else None
    except (ValueError, IndexError):
        obj = None
    if obj is None:
        obj = {"status": None, "_stdout": out, "_stderr": err}
    return rc, obj, err


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


class Stalled:
    """A worker held inside a native stall, so its process can be examined
    from outside: with Stalled(...) as s: s.worker is its pid."""

    def __init__(self, ms=3000, flags=(), env=None):
        self.code = f"__corral_test.stall({ms}); 'done'"
        self.flags = list(flags)
        self.env = env
        self.worker = None

    def __enter__(self):
        e = dict(os.environ)
        if self.env:
            e.update(self.env)
        self.p = subprocess.Popen([HOOKS, "run", "--json", "--timeout", "20000", *self.flags, "-"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
        self.p.stdin.write(self.code.encode())
        self.p.stdin.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            # The first child may be the sandbox probe's short-lived one:
            # wait for the process that exec'd the worker role.
            for kid in children(self.p.pid):
                try:
                    with open(f"/proc/{kid}/cmdline", "rb") as f:
                        if b"\0worker\0" in f.read():
                            self.worker = kid
                except OSError:
                    pass
            if self.worker:
                # Give it time to pass its READY and enter the stall.
                time.sleep(0.3)
                break
            time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        self.p.kill()
        self.p.wait()
        self.p.stdout.close()
        self.p.stderr.close()
        return False
