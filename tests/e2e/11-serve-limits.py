#!/usr/bin/env python3
"""corral serve under pressure: per-tenant rate and concurrency limits
(429), a saturated pool and queue (503), a worker killed from outside
mid-execution (the pool heals), and a graceful SIGTERM."""
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import HOOKS, Server, alive, api_error, retry_after, serve_available, start_or_fail  # noqa: E402

t = Tap("11-serve-limits")

SLOW = "await new Promise(r => setTimeout(r, 500)); 'slow'"


def start(desc, **kw):
    return start_or_fail(t, desc, **kw)


def later(srv, delay, code, **fields):
    """Sends an execution on a thread after delay seconds; .join() then
    .out is (status, JSON, headers, seconds from start to answer)."""
    box = {}

    def go():
        time.sleep(delay)
        t0 = time.monotonic()
        s, r, h = srv.execute(code, timeout=60, **fields)
        box["out"] = (s, r if isinstance(r, dict) else {}, h, time.monotonic() - t0, time.monotonic())
    th = threading.Thread(target=go, daemon=True)
    th.start()
    th.box = box
    return th


def overload_ok(s, r, h, status):
    """An overload answer: the status, Retry-After in whole seconds >= 1,
    and a JSON error body."""
    ra = retry_after(h)
    return s == status and ra is not None and ra >= 1 and api_error(r) is not None


# ---- rate limit: 429 with Retry-After ----------------------------------------
srv = start("server with CORRAL_RATE_LIMIT=2 CORRAL_RATE_BURST=2 starts",
            env={"ISOLATE_POOL_SIZE": "2", "CORRAL_RATE_LIMIT": "2", "CORRAL_RATE_BURST": "2"}, ready=True)
if srv:
    answers = [srv.execute("1", timeout=30) for _ in range(10)]
    codes = [a[0] for a in answers]
    t.ok(codes[:2] == [200, 200], "rate limit: the burst of 2 is served", codes)
    limited = [a for a in answers if a[0] == 429]
    t.ok(len(limited) >= 5 and set(codes) <= {200, 429}, f"rate limit: 10 quick requests at 2/s get 429s ({codes})", codes)
    t.ok(limited and all(overload_ok(s, r, h, 429) for s, r, h in limited),
         "rate limit: every 429 has Retry-After >= 1 and a JSON error", [(s, r, h.get("retry-after")) for s, r, h in limited[:3]])
    s, _, _ = srv.request("GET", "/healthz")
    t.eq(s, 200, "rate limit: /healthz is not rate limited")
    wait = max([retry_after(h) or 1 for _, _, h in limited] or [1])
    time.sleep(min(wait, 5) + 0.1)
    s, r, _ = srv.execute("'again'")
    t.eq((s, (r or {}).get("result")), (200, "again"), f"rate limit: after Retry-After ({wait} s) a request is served")
    t.eq(srv.server_errors(), [], "rate limit: no 5xx")
    srv.stop()

# ---- tenant concurrency: 429 -------------------------------------------------------
srv = start("server with CORRAL_TENANT_CONCURRENCY=1 starts",
            env={"ISOLATE_POOL_SIZE": "2", "ISOLATE_MAX_POOL_SIZE": "4", "CORRAL_TENANT_CONCURRENCY": "1",
                 "CORRAL_RATE_LIMIT": "0"}, ready=True)
if srv:
    a = later(srv, 0, SLOW)
    time.sleep(0.2)
    s, r, h = srv.execute(SLOW, timeout=30)
    a.join(30)
    sa, ra, _, _, _ = a.box.get("out", (None, {}, {}, 0, 0))
    t.eq((sa, ra.get("status"), ra.get("result")), (200, "ok", "slow"), "concurrency 1: the first slow request runs")
    t.ok(overload_ok(s, r, h, 429), "concurrency 1: a second concurrent request -> 429 with Retry-After", (s, r, h))
    s, r, _ = srv.execute(SLOW, timeout=30)
    t.eq((s, (r or {}).get("status")), (200, "ok"), "concurrency 1: once the first is done, the next runs")
    t.eq(srv.server_errors(), [], "concurrency: no 5xx")
    srv.stop()

# ---- a saturated pool and queue: 503 ----------------------------------------
# One execution per worker (CORRAL_WORKER_CONCURRENCY=1), so one worker is a
# full pool; 60-concurrency.py covers the many-per-worker default.
sat_env = {"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "1", "CORRAL_QUEUE_MAX": "1",
           "CORRAL_WORKER_CONCURRENCY": "1",
           "CORRAL_QUEUE_TIMEOUT_MS": "200", "CORRAL_TENANT_CONCURRENCY": "100", "CORRAL_RATE_LIMIT": "0"}
srv = start("server with one worker, queue 1, queue timeout 200 ms starts", env=sat_env, ready=True)
if srv:
    ths = [later(srv, 0, SLOW)] + [later(srv, 0.15 + 0.02 * i, SLOW) for i in range(4)]
    for th in ths:
        th.join(30)
    outs = [th.box.get("out", (None, {}, {}, 0, 0)) for th in ths]
    codes = [o[0] for o in outs]
    t.ok(outs[0][0] == 200 and outs[0][1].get("status") == "ok", "saturated: the request holding the worker completes ok", outs[0][:2])
    sat = [o for o in outs if o[0] == 503]
    t.ok(codes.count(200) == 1 and len(sat) == 4, f"saturated: the other 4 get 503 (queue full or queue timeout) ({codes})", codes)
    t.ok(sat and all(overload_ok(s, r, h, 503) for s, r, h, _, _ in sat),
         "saturated: every 503 has Retry-After >= 1 and a JSON error", [(o[0], o[1], o[2].get("retry-after")) for o in sat[:3]])
    t.ok(sat and max(o[4] for o in sat) < outs[0][4],
         "saturated: every 503 came before the running execution ended (no one waited past the queue timeout)",
         [(o[0], round(o[3], 3)) for o in outs])
    s, r, _ = srv.execute("'after'")
    t.eq((s, (r or {}).get("result")), (200, "after"), "saturated: once idle, a request is served")
    t.eq(srv.server_errors(), [], "saturated: no 5xx other than 503")
    srv.stop()

# Control: the same pool with a long queue timeout queues instead of refusing.
srv = start("server with one worker, queue 1, queue timeout 5 s starts",
            env=dict(sat_env, CORRAL_QUEUE_TIMEOUT_MS="5000"), ready=True)
if srv:
    ths = [later(srv, 0, SLOW), later(srv, 0.15, SLOW)]
    for th in ths:
        th.join(30)
    outs = [th.box.get("out", (None, {}, {}, 0, 0)) for th in ths]
    t.ok([o[0] for o in outs] == [200, 200] and all(o[1].get("status") == "ok" for o in outs) and outs[1][3] >= 0.6,
         "control: with a 5 s queue timeout the second request waits its turn and runs",
         [(o[0], o[1].get("status"), round(o[3], 3)) for o in outs])
    srv.stop()

# ---- a worker killed from outside mid-execution -------------------------------
ok_hooks, why = serve_available(HOOKS)
KILL_CASES = ["killed from outside: that request answers status killed promptly",
              "killed from outside: the next 5 requests are ok (the pool heals)",
              "killed from outside: no 5xx"]
if not ok_hooks:
    # The build always makes corral-testhooks: its absence is a failure.
    t.ok(False, KILL_CASES[0] + " (corral-testhooks serves)", why)
else:
    srv = start("corral-testhooks serve starts", binary=HOOKS, ready=True,
                env={"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "1", "CORRAL_RATE_LIMIT": "0"})
    if srv:
        a = later(srv, 0, "__corral_test.stall(5000); 'done'", timeout_ms=20000)
        # Find the worker inside the stall: its main thread sleeps in nanosleep.
        victims, deadline = [], time.monotonic() + 3
        while time.monotonic() < deadline and not victims:
            time.sleep(0.05)
            for w in srv.workers():
                try:
                    with open(f"/proc/{w}/wchan") as f:
                        if "nanosleep" in f.read():
                            victims.append(w)
                except OSError:
                    pass
        if not victims:
            victims = srv.workers()  # the pool has one worker: it is that one
        t_kill = time.monotonic()
        for w in victims:
            try:
                os.kill(w, signal.SIGKILL)
            except OSError:
                pass
        a.join(30)
        s, r, _, _, t_answer = a.box.get("out", (None, {}, {}, 0, time.monotonic()))
        t.ok(victims and s == 200 and r.get("status") == "killed" and t_answer - t_kill < 3,
             KILL_CASES[0], (victims, s, r, round(t_answer - t_kill, 3)))
        nxt = [srv.execute("21 * 2", timeout=30) for _ in range(5)]
        t.ok(all(x[0] == 200 and (x[1] or {}).get("status") == "ok" and x[1].get("result") == 42 for x in nxt),
             KILL_CASES[1], [(x[0], x[1]) for x in nxt])
        t.eq(srv.server_errors(), [], KILL_CASES[2])
        srv.stop()

# ---- SIGTERM: drain the execution in flight, refuse new work, exit 0 ----------------
srv = start("server for the SIGTERM test starts", env={"ISOLATE_POOL_SIZE": "1"}, ready=True)
if srv:
    workers = srv.workers()
    a = later(srv, 0, "await new Promise(r => setTimeout(r, 1000)); 'drained'", timeout_ms=10000)
    time.sleep(0.3)
    t_term = time.monotonic()
    srv.sigterm()
    time.sleep(0.15)
    in_flight = "out" not in a.box
    s, r, h = srv.execute("'new work'", timeout=5)
    refused = s is None and "ConnectionRefused" in h.get("_error", "")
    t.ok(refused or (s == 503 and retry_after(h) is not None),
         "SIGTERM: a new connection is refused (or answered 503 draining with Retry-After)"
         + ("" if in_flight else " [note: the in-flight request had already ended]"), (s, r, h))
    a.join(30)
    s, r, _, _, _ = a.box.get("out", (None, {}, {}, 0, 0))
    t.eq((s, r.get("status"), r.get("result")), (200, "ok", "drained"), "SIGTERM: the 1 s execution in flight completes ok")
    rc = srv.wait(30)
    t.eq(rc, 0, f"SIGTERM: the server exits 0 within 30 s ({time.monotonic() - t_term:.2f} s)")
    time.sleep(0.2)
    left = [w for w in workers if alive(w)]
    t.eq(left, [], "SIGTERM: no worker outlives the server")
    t.eq(srv.server_errors(), [], "SIGTERM: no 5xx other than 503")
    srv.stop()

t.done()
