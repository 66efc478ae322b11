#!/usr/bin/env python3
"""corral serve soak: N mixed executions (SOAK_N, default 2000; the issue
asks for 10,000) from 8 client threads against a small pool: every answer
is a 200 with the expected outcome, the supervisor's memory stays flat, and
the pool stays within its maximum."""
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import Server, ServerError  # noqa: E402

t = Tap("13-serve-soak")

N = int(os.environ.get("SOAK_N", "2000"))
THREADS = 8
MAX_POOL = 4
WARMUP = 200

LOOP = {"code": "while (true) {}", "timeout_ms": 50}
BOMB = {"code": "const a = []; while (true) a.push(new Array(1e5).fill(1))", "memory_mb": 64, "timeout_ms": 20000}
PLAIN = {"code": "1+1"}


def job(i):
    """(request, expected status, expected result or None)"""
    if i % 100 == 99:
        return BOMB, "memory_limit", None
    if i % 50 == 49:
        return LOOP, "timeout", None
    return PLAIN, "ok", 2


try:
    srv = Server(env={"ISOLATE_POOL_SIZE": "2", "ISOLATE_MAX_POOL_SIZE": str(MAX_POOL),
                      # 8 clients on 4 workers: let the queue hold the rest and
                      # switch off the per-tenant limits, which are not under test.
                      "CORRAL_QUEUE_MAX": "64", "CORRAL_QUEUE_TIMEOUT_MS": "60000",
                      "CORRAL_TENANT_CONCURRENCY": "64", "CORRAL_RATE_LIMIT": "0"}, ready=True).start()
except ServerError as e:
    t.ok(False, "corral serve starts", e)
    t.done()

lock = threading.Lock()
state = {"next": 0, "done": 0, "rss_early": None}
bad = []            # (i, http status, body or error) for unexpected answers
http_codes = {}     # status -> count
latency = {"ok": [], "timeout": [], "memory_limit": []}


def client():
    while True:
        with lock:
            i = state["next"]
            if i >= N:
                return
            state["next"] += 1
        req, want, result = job(i)
        t0 = time.monotonic()
        s, r, h = srv.json("POST", "/v1/execute", req, timeout=120)
        dt = time.monotonic() - t0
        r = r if isinstance(r, dict) else {}
        good = s == 200 and r.get("status") == want and (result is None or r.get("result") == result)
        with lock:
            http_codes[s] = http_codes.get(s, 0) + 1
            latency[want].append(dt)
            if not good:
                bad.append((i, want, s, r or h))
            state["done"] += 1
            if state["done"] == WARMUP:
                state["rss_early"] = srv.rss()


t_start = time.monotonic()
threads = [threading.Thread(target=client, daemon=True) for _ in range(THREADS)]
for th in threads:
    th.start()
for th in threads:
    th.join()
elapsed = time.monotonic() - t_start
rss_end = srv.rss()
rss_early = state["rss_early"]

print(f"# ran {state['done']} executions (SOAK_N={N}; the issue's soak is 10,000) "
      f"in {elapsed:.1f} s from {THREADS} threads: {state['done'] / max(elapsed, 1e-9):.0f}/s; HTTP statuses {http_codes}")
for k, v in latency.items():
    if v:
        v = sorted(v)
        print(f"#   {k}: {len(v)}, p50 {statistics.median(v) * 1000:.1f} ms, "
              f"p99 {v[min(len(v) - 1, int(len(v) * 0.99))] * 1000:.1f} ms")

t.eq(state["done"], N, f"all {N} executions were answered")
fivexx = {s: n for s, n in http_codes.items() if s is None or s >= 500}
t.eq(fivexx, {}, "no 5xx and no failed connection")
by_kind = {}
for i, want, s, r in bad:
    by_kind.setdefault(want, []).append((i, s, r))
n_bombs = len([i for i in range(N) if job(i)[1] == "memory_limit"])
n_loops = len([i for i in range(N) if job(i)[1] == "timeout"])
t.ok(not by_kind.get("ok"), f"every 1+1 ({N - n_bombs - n_loops}) answered 200, ok, result 2",
     (len(by_kind.get("ok", [])), by_kind.get("ok", [])[:5]))
t.ok(not by_kind.get("timeout"), f"every while(true) with timeout_ms 50 ({n_loops}) answered 200, timeout",
     (len(by_kind.get("timeout", [])), by_kind.get("timeout", [])[:5]))
t.ok(not by_kind.get("memory_limit"), f"every memory bomb with memory_mb 64 ({n_bombs}) answered 200, memory_limit",
     (len(by_kind.get("memory_limit", [])), by_kind.get("memory_limit", [])[:5]))

s, _, _ = srv.request("GET", "/healthz")
t.ok(s == 200 and srv.alive(), "the server answers /healthz after the soak", srv.stderr_text()[-2000:])
s, r, _ = srv.execute("'after the soak'")
t.eq((s, (r or {}).get("result")), (200, "after the soak"), "and still runs code")

mib = 1 << 20
if rss_early and rss_end:
    limit = max(2 * rss_early, rss_early + 32 * mib)
    print(f"# supervisor RSS after {WARMUP} requests: {rss_early / mib:.1f} MiB, at the end: {rss_end / mib:.1f} MiB "
          f"(limit {limit / mib:.1f} MiB)")
    t.ok(rss_end <= limit, f"the supervisor's RSS stays bounded ({rss_early / mib:.1f} -> {rss_end / mib:.1f} MiB)",
         (rss_early, rss_end, limit))
else:
    t.ok(False, "the supervisor's RSS stays bounded", f"could not read VmRSS (early {rss_early}, end {rss_end}, N {N})")

time.sleep(0.5)  # let replaced workers be reaped
workers = srv.workers()
print(f"# workers at the end: {len(workers)} {workers}")
t.ok(1 <= len(workers) <= MAX_POOL, f"workers at the end ({len(workers)}) <= ISOLATE_MAX_POOL_SIZE ({MAX_POOL})", workers)
t.eq(srv.server_errors(), [], "no request got a 5xx")
srv.stop()
t.done()
