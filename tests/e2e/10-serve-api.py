#!/usr/bin/env python3
"""corral serve: every endpoint, every outcome over HTTP, env, streaming
(SSE and NDJSON arrive live), the compatibility route, and API keys."""
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import (HOOKS, Server, ServerError, api_error, corral_keys, serve_available,  # noqa: E402
                    sse_parse)

t = Tap("10-serve-api")

RESULT_FIELDS = ("id", "status", "result", "stdout", "stderr", "output", "exit_code", "error", "usage", "truncated")


def start(desc="corral serve starts", **kw):
    try:
        return Server(**kw).start()
    except ServerError as e:
        t.ok(False, desc, e)
        return None


def ex(srv, code, headers=None, timeout=60, **fields):
    """POST /v1/execute: (status, result object or {}, headers)."""
    s, r, h = srv.execute(code, headers=headers, timeout=timeout, **fields)
    return s, r if isinstance(r, dict) else {}, h


def err_of(r):
    return r.get("error") if isinstance(r.get("error"), dict) else {}


def find_result(o):
    """The result object inside a streamed `result` event: the event's data
    itself, or under data/result/payload."""
    if not isinstance(o, dict):
        return None
    if all(k in o for k in ("status", "stdout", "usage")):
        return o
    for k in ("data", "result", "payload"):
        r = find_result(o.get(k))
        if r:
            return r
    return None


srv = start(env={"ISOLATE_POOL_SIZE": "2", "CORRAL_E2E_CANARY": "must-not-reach-user-code"})
if srv is None:
    t.done()

# ---- operations endpoints ------------------------------------------------
s, h, body = srv.request("GET", "/healthz")
t.eq(s, 200, "GET /healthz answers 200")

s, ready = srv.wait_ready(20)
t.eq(s, 200, "GET /readyz answers 200 once the pool is warm")
layers = (ready or {}).get("layers")
t.ok(isinstance(layers, list) and layers and all(isinstance(x, str) and x for x in layers),
     "/readyz lists the sandbox layers in force", ready)
known = {"engine", "seccomp", "namespaces", "cgroup", "rlimits", "rlimit", "deadlines", "no_ambient_authority"}
t.ok(isinstance(layers, list) and any(x in known for x in layers),
     "/readyz names at least one of the design's layers (seccomp, namespaces, cgroup, ...)", layers)

# ---- the acceptance line and the result object ----------------------------
s, r, h = ex(srv, "console.log(6*7); 6*7")
t.eq((s, r.get("status"), r.get("result"), r.get("stdout")), (200, "ok", 42, "42\n"),
     "acceptance: POST /v1/execute console.log(6*7); 6*7 -> ok, result 42, stdout 42\\n")
t.ok(h.get("content-type", "").startswith("application/json"), "the answer is application/json", h)
t.ok(all(k in r for k in RESULT_FIELDS), "the result has every field of API.md", r)
t.ok(isinstance(r.get("id"), str) and r["id"].startswith("x_"), "the execution id starts with x_", r.get("id"))
t.eq((r.get("stderr"), r.get("output"), r.get("exit_code"), r.get("error"), r.get("truncated")),
     ("", "42\n", 0, None, False), "ok: empty stderr, output 42, exit_code 0, error null, not truncated")
u = r.get("usage") or {}
t.ok(isinstance(u.get("wall_ms"), (int, float)) and u["wall_ms"] > 0 and isinstance(u.get("cpu_ms"), (int, float))
     and isinstance(u.get("peak_memory_bytes"), int) and u["peak_memory_bytes"] > 0,
     "usage reports wall_ms, cpu_ms and peak_memory_bytes", u)
s, r, _ = ex(srv, "console.log('a'); console.error('b'); console.log('c'); ({x: [1, 'two', null]})")
t.eq((s, r.get("stdout"), r.get("stderr"), r.get("output"), r.get("result")),
     (200, "a\nc\n", "b\n", "a\nb\nc\n", {"x": [1, "two", None]}),
     "stdout, stderr, interleaved output and a JSON result")
s, r, _ = ex(srv, "new Map([[1, 2]])")
t.ok(s == 200 and isinstance(r.get("result"), dict) and isinstance(r["result"].get("$inspect"), str),
     "a non-JSON result comes back as {$inspect}", r)
s, r, _ = ex(srv, "const v = await new Promise(r => setTimeout(() => r(21), 20)); v * 2")
t.eq((s, r.get("status"), r.get("result")), (200, "ok", 42), "top-level await: the completion value is awaited")

# ---- every outcome ---------------------------------------------------------
s, r, _ = ex(srv, "function f(){ throw new TypeError('bad thing') }\nf()")
e = err_of(r)
t.eq((s, r.get("status"), e.get("name"), e.get("message")), (200, "error", "TypeError", "bad thing"),
     "error: HTTP 200, status error, name and message")
t.ok(isinstance(e.get("stack"), str) and "at f" in e["stack"], "error: the stack names the user's function", e)
t.ok(r.get("exit_code") not in (0, None), "error: a non-zero exit_code", r.get("exit_code"))

t0 = time.monotonic()
s, r, _ = ex(srv, "while (true) {}", timeout_ms=100)
took = time.monotonic() - t0
t.eq((s, r.get("status")), (200, "timeout"), "timeout: while(true) with timeout_ms 100")
t.ok(took < 3 and (r.get("usage") or {}).get("wall_ms", 1e9) < 1000,
     f"timeout: stopped promptly (HTTP round trip {took * 1000:.0f} ms)", r.get("usage"))

s, r, _ = ex(srv, "const a = []; while (true) a.push(new Array(1e5).fill(1))", memory_mb=64, timeout_ms=20000)
t.eq((s, r.get("status")), (200, "memory_limit"), "memory_limit: a memory bomb with memory_mb 64")
# Beside other executions (isolation "shared", the default) the worker
# stops it within one watchdog slice (5 ms of CPU) of passing its cap.
peak = (r.get("usage") or {}).get("peak_memory_bytes")
t.ok(isinstance(peak, int) and (64 << 20) < peak <= (64 << 20) + (32 << 20),
     "memory_limit: stopped within 32 MB past its 64 MB (the worker's own accounting)", r.get("usage"))
# In a worker of its own the cgroup's cap is the execution's: the kernel's limit.
s, r, _ = ex(srv, "const a = []; while (true) a.push(new Array(1e5).fill(1))", memory_mb=64, timeout_ms=20000,
             isolation="process")
peak = (r.get("usage") or {}).get("peak_memory_bytes")
t.ok(s == 200 and r.get("status") == "memory_limit" and isinstance(peak, int) and peak <= (64 << 20) + (256 << 10),
     "memory_limit, isolation process: the peak stayed within 64 MB (the cgroup's cap)", r.get("usage"))
s, r, _ = ex(srv, "'fine after the bomb'")
t.eq((s, r.get("status"), r.get("result")), (200, "ok", "fine after the bomb"), "the next execution after a memory bomb is ok")

s, r, _ = ex(srv, "while (true) console.log('x'.repeat(1000))", timeout_ms=20000)
out = r.get("stdout") or ""
t.eq((s, r.get("status"), r.get("truncated")), (200, "output_limit", True), "output_limit: a console.log flood")
t.ok(0 < len(out.encode()) <= (1 << 20) and out.startswith("xxx"),
     "output_limit: the output kept is within the default 1 MiB cap", len(out.encode()))

s, r, _ = ex(srv, "let a = 1;\nlet b = ;\n")
e = err_of(r)
t.eq((s, r.get("status"), e.get("name"), e.get("line")), (200, "rejected", "SyntaxError", 2),
     "rejected: a syntax error, with its line")
t.ok(isinstance(e.get("column"), int) and e["column"] >= 1, "rejected: the error has a column", e)

ok_hooks, why = serve_available(HOOKS)
if not ok_hooks:
    # The build always makes corral-testhooks: its absence is a failure.
    t.ok(False, "killed: a forbidden syscall kills the worker (corral-testhooks serves)", why)
else:
    hs = start("corral-testhooks serve starts", binary=HOOKS, env={"ISOLATE_POOL_SIZE": "1"})
    if hs is not None:
        s, r, _ = ex(hs, "__corral_test.syscall('socket')")
        t.eq((s, r.get("status"), err_of(r).get("signal")), (200, "killed", "SIGSYS"),
             "killed: socket() under seccomp kills the worker (SIGSYS), HTTP 200")
        s, r, _ = ex(hs, "1 + 1")
        t.eq((s, r.get("status"), r.get("result")), (200, "ok", 2), "killed: the next execution on that server is ok")
        t.eq(hs.server_errors(), [], "testhooks server: no 5xx")
        hs.stop()

# ---- env, language ------------------------------------------------------
s, r, _ = ex(srv, "[process.env.GREETING === 'hello-world', Object.keys(process.env)]", env={"GREETING": "hello-world"})
t.eq((s, r.get("status"), r.get("result")), (200, "ok", [True, ["GREETING"]]),
     "env is visible as process.env, and only the request's env (not the server's)")
s, r, _ = ex(srv, "Object.keys(process.env).length")
t.eq((s, r.get("result")), (200, 0), "without env, process.env is empty")
secret = "s3cr3t-Tok3n-9f8e7d6c"
s, r, _ = ex(srv, "console.log('token=' + process.env.TOKEN); console.error(process.env.TOKEN); process.env.TOKEN.length",
             env={"TOKEN": secret})
t.ok(s == 200 and r.get("result") == len(secret) and "token=" in (r.get("stdout") or "")
     and secret not in json.dumps(r), "env values are redacted from output", r)
s, r, _ = ex(srv, "const x: number = 41; x + 1", language="typescript")
t.eq((s, r.get("status"), r.get("result")), (200, "ok", 42), "language typescript runs")
s, r, _ = ex(srv, "6 * 7", language="javascript")
t.eq((s, r.get("result")), (200, 42), "language javascript, given explicitly")

# ---- streaming -----------------------------------------------------------
STREAM_CODE = "console.log('first'); await new Promise(r => setTimeout(r, 300)); console.log('second'); 1"
for accept, label in (("text/event-stream", "SSE"), ("application/x-ndjson", "NDJSON")):
    events, st = [], None
    try:
        st = srv.stream("/v1/execute", {"code": STREAM_CODE}, accept)
        for at, text in st:
            if label == "SSE":
                kind, data = sse_parse(text)
                try:
                    obj = json.loads(data)
                except ValueError:
                    obj = data
            else:
                try:
                    obj = json.loads(text)
                except ValueError:
                    obj = None
                kind = obj.get("event") or obj.get("type") if isinstance(obj, dict) else None
            events.append((at, kind, text, obj))
    except (OSError, Exception) as exc:  # noqa: B902 - report, never crash the TAP stream
        events.append((0, "exception", repr(exc), None))
    summary = [(round(a, 3), k, x[:80]) for a, k, x, _ in events]
    t.ok(st is not None and st.status == 200 and st.headers.get("content-type", "").startswith(accept),
         f"{label}: 200 with Content-Type {accept}", (st and st.status, st and st.headers, summary))
    firsts = [a for a, k, x, _ in events if k == "stdout" and "first" in x]
    seconds = [a for a, k, x, _ in events if k == "stdout" and "second" in x]
    results = [(a, o) for a, k, _, o in events if k == "result"]
    t.ok(firsts and results and results[-1][0] - firsts[0] >= 0.2,
         f"{label}: the stdout event for 'first' arrives at least 200 ms before the result event", summary)
    t.ok(firsts and seconds and results and firsts[0] <= seconds[0] <= results[-1][0]
         and events[-1][1] == "result" and len(results) == 1,
         f"{label}: events in order: stdout first, stdout second, then one result event, last", summary)
    res = find_result(results[-1][1]) if results else None
    t.ok(res is not None and all(k in res for k in RESULT_FIELDS) and res.get("status") == "ok"
         and res.get("result") == 1 and res.get("stdout") == "first\nsecond\n",
         f"{label}: the result event holds the full result object", results[-1][1] if results else summary)

# ---- /api/execute (compatibility) -------------------------------------------
s, r, h = srv.json("POST", "/api/execute", {"code": "console.log('hi'); console.error('oops'); process.env.A.length",
                                            "timeout": 5000, "env": {"A": "abc"}})
t.eq((s, r), (200, {"stdout": "hi\n", "stderr": "oops\n", "exitCode": 0}),
     "POST /api/execute {code, timeout, env} -> {stdout, stderr, exitCode}")
s, r, h = srv.json("POST", "/api/execute", {"code": "console.log('before'); throw new Error('compat-boom')"})
r = r if isinstance(r, dict) else {}
t.ok(s == 200 and r.get("stdout") == "before\n" and isinstance(r.get("exitCode"), int) and r["exitCode"] != 0
     and "compat-boom" in (r.get("stderr") or ""), "/api/execute: a throw gives a non-zero exitCode and the error on stderr", (s, r))
t0 = time.monotonic()
s, r, h = srv.json("POST", "/api/execute", {"code": "while (true) {}", "timeout": 100})
r = r if isinstance(r, dict) else {}
t.ok(s == 200 and isinstance(r.get("exitCode"), int) and r["exitCode"] != 0 and time.monotonic() - t0 < 3,
     "/api/execute: timeout (ms) stops a loop with a non-zero exitCode", (s, r))

# ---- metrics (after executions, so the counters exist) ------------------------
s, h, body = srv.request("GET", "/metrics")
text = body.decode(errors="replace")
t.ok(s == 200 and h.get("content-type", "").startswith("text/plain") and "corral_executions_total" in text,
     "GET /metrics: Prometheus text with corral_executions_total", (s, h.get("content-type"), text[:1500]))
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? '
                    r'([-+]?[0-9.eE+-]+|[-+]?Inf|NaN)( -?[0-9]+)?$')
bad = [l for l in text.splitlines() if l and not l.startswith("#") and not sample.match(l)]
t.ok(s == 200 and not bad, "GET /metrics: every sample line is valid exposition format", bad[:10])
total = 0.0
for l in text.splitlines():
    if l.startswith("corral_executions_total"):
        try:
            total += float(l.split()[-1])
        except ValueError:
            pass
t.ok(total >= 10, f"corral_executions_total counts the executions run ({total:g})", text[:1500])

s, m, h = srv.json("GET", "/v1/metrics")
m = m if isinstance(m, dict) else {}
t.ok(s == 200 and isinstance(m.get("isolatePool"), dict) and isinstance(m.get("moduleCache"), dict),
     "GET /v1/metrics: JSON with isolatePool and moduleCache", (s, m))
ip, mc = m.get("isolatePool") or {}, m.get("moduleCache") or {}
t.ok(all(isinstance(ip.get(k), int) for k in ("total", "available", "active", "corrupted", "created", "destroyed"))
     and all(isinstance(mc.get(k), (int, float)) for k in ("size", "hits", "misses", "evictions", "hitRate")),
     "/v1/metrics: the pool and cache fields of DESIGN.md", m)

t.eq(srv.server_errors(), [], "no request was answered with a 5xx")
srv.stop()

# ---- a non-loopback listener without keys is not open ---------------------
try:
    with Server(host="0.0.0.0", env={"ISOLATE_POOL_SIZE": "1"}) as pub:
        s, r, _ = ex(pub, "1")
        t.ok(s == 401, "no keys on a non-loopback listener: requests need a key (or the server refuses to start)", (s, r))
except ServerError as e:
    why = str(e).lower()
    t.ok("key" in why and ("loopback" in why or "insecure" in why),
         "no keys on a non-loopback listener: the server refuses to start, saying why", e)

# ---- API keys ----------------------------------------------------------------
dd = tempfile.mkdtemp(prefix="corral-e2e-keys-")
try:
    a = start("dev mode: the server starts with an empty store", data_dir=dd, env={"ISOLATE_POOL_SIZE": "1"})
    if a is not None:
        s, r, _ = ex(a, "'dev'")
        t.eq((s, r.get("status"), r.get("result")), (200, "ok", "dev"), "dev mode: no keys, loopback: runs without auth")
        a.stop()
    rc, out, err = corral_keys(dd, "create", "--tenant", "t1")
    key = out.strip()
    t.ok(rc == 0 and re.fullmatch(r"ck_[0-9A-Za-z]+", key or "-"), "corral keys create prints a ck_ key", (rc, out, err))
    rc2, out2, err2 = corral_keys(dd, "create", "--tenant", "t2")
    key2 = out2.strip()
    b = start("the server starts with keys in the store", data_dir=dd,
              env={"ISOLATE_POOL_SIZE": "1", "CORRAL_METRICS_TOKEN": "op-metrics-token-42"})
    if b is not None and key:
        def refused(headers, desc, path="/v1/execute", obj=None):
            s, r, h = b.json("POST", path, obj or {"code": "'should not run'"}, headers=headers)
            t.ok(s == 401 and api_error(r) is not None, desc, (s, r))

        refused(None, "with keys: no Authorization -> 401 with a JSON error")
        refused({"Authorization": "Bearer ck_" + "A" * 32}, "with keys: an unknown key -> 401")
        refused({"Authorization": "Bearer " + key + "x"}, "with keys: a key with a byte added -> 401")
        refused({"Authorization": "Bearer " + key[:-1]}, "with keys: a truncated key -> 401")
        refused({"Authorization": "Bearer"}, "with keys: 'Bearer' without a key -> 401")
        refused({"Authorization": "Basic " + key}, "with keys: the key under another scheme -> 401")
        s, r, _ = b.json("POST", "/api/execute", {"code": "1"})
        t.eq(s, 401, "with keys: /api/execute without a key -> 401")
        s, r, _ = b.json("GET", "/v1/metrics")
        t.eq(s, 401, "with keys: GET /v1/metrics without a key -> 401")
        s, r, _ = ex(b, "console.log('t1'); 40 + 2", headers={"Authorization": "Bearer " + key})
        t.eq((s, r.get("status"), r.get("result")), (200, "ok", 42), "with keys: the right key -> 200, ok")
        s, r, _ = b.json("POST", "/api/execute", {"code": "console.log(1)"}, headers={"Authorization": "Bearer " + key})
        t.eq((s, (r or {}).get("stdout")), (200, "1\n"), "with keys: /api/execute with the key -> 200")
        s, _, _ = b.request("GET", "/healthz")
        s2, _ = b.wait_ready(20)
        t.eq((s, s2), (200, 200), "with keys: /healthz and /readyz need no key")
        s3, _, raw3 = b.request("GET", "/metrics")
        s4, _, _ = b.request("GET", "/metrics", headers={"Authorization": "Bearer " + key})
        s5, _, raw5 = b.request("GET", "/metrics", headers={"Authorization": "Bearer op-metrics-token-42"})
        t.ok(s3 == 401 and b"CORRAL_METRICS_TOKEN" in raw3 and s4 == 401 and s5 == 200 and b"corral_" in raw5,
             "with keys: /metrics wants the operator's CORRAL_METRICS_TOKEN (none: 401; a tenant's key: 401)",
             (s3, s4, s5, raw3[:200]))

        rc, out, err = corral_keys(dd, "revoke", key[:11])
        t.eq(rc, 0, "corral keys revoke <prefix> succeeds")
        s, r, _ = ex(b, "'still here?'", headers={"Authorization": "Bearer " + key})
        if s != 401:
            b.restart()
            s, r, _ = ex(b, "'still here?'", headers={"Authorization": "Bearer " + key})
            desc = "a revoked key -> 401 (after a restart)"
        else:
            desc = "a revoked key -> 401 (without a restart)"
        t.ok(s == 401 and api_error(r) is not None, desc, (s, r))
        if key2:
            s, r, _ = ex(b, "'t2 works'", headers={"Authorization": "Bearer " + key2})
            t.eq((s, r.get("result")), (200, "t2 works"), "another tenant's key still works after the revoke")
        else:
            t.ok(False, "a second key could be created", (rc2, out2, err2))
        t.eq(b.server_errors(), [], "keys server: no 5xx")
        b.stop()
finally:
    shutil.rmtree(dd, ignore_errors=True)

t.done()
