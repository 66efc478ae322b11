#!/usr/bin/env python3
"""Many executions per worker (docs/design.md, "Many executions per worker"):
with one worker in the whole pool, concurrent executions of a tenant run in
it at once, each in its own context, each held to its own limits; a worker
that dies takes its executions with an outcome naming why; isolation
"process" keeps one execution per worker; function invocations share the
handler's context but never each other's response; 1,000 sleeping
executions in flight all end ok."""
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import HOOKS, start_or_fail  # noqa: E402

t = Tap("60-concurrency")
HERE = os.path.dirname(os.path.abspath(__file__))
LOADGEN = os.path.join(HERE, "..", "..", "bench", "loadgen.py")


def at_once(srv, reqs):
    """Sends every (delay, fields) of reqs on its own thread; returns
    [(status, JSON or {}, seconds from the first send to the answer)]."""
    out = [None] * len(reqs)
    t0 = time.monotonic()

    def go(i, delay, fields):
        time.sleep(delay)
        body = dict(fields)
        code = body.pop("code")
        s, r, _ = srv.execute(code, timeout=120, **body)
        out[i] = (s, r if isinstance(r, dict) else {}, time.monotonic() - t0)

    ths = [threading.Thread(target=go, args=(i, d, f)) for i, (d, f) in enumerate(reqs)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(180)
    return out


ONE = {"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "1", "CORRAL_LOG_LEVEL": "warn"}
srv = start_or_fail(t, "a server with one worker starts", env=ONE, ready=True)
if srv:
    # 1. Two executions in one worker at once see nothing of each other.
    A = ("globalThis.mark = 'A'; Array.prototype.leak = 'A'; Object.prototype.polluted = 1;"
         "setTimeout(() => console.log('A timer'), 300); console.log('A starts');"
         "await new Promise(r => setTimeout(r, 700));"
         "[typeof globalThis.other, typeof [].other, typeof globalThis.mark]")
    B = ("globalThis.other = 'B'; Array.prototype.other = 'B'; console.log('B starts');"
         "await new Promise(r => setTimeout(r, 700));"
         "[typeof globalThis.mark, typeof [].leak, typeof ({}).polluted, typeof globalThis.other]")
    (sa, ra, ta), (sb, rb, tb) = at_once(srv, [(0, {"code": A}), (0.1, {"code": B})])
    t.eq((sa, ra.get("status"), ra.get("result")), (200, "ok", ["undefined", "undefined", "string"]),
         "two at once: A sees none of B's globals or builtin changes")
    t.eq((sb, rb.get("status"), rb.get("result")), (200, "ok", ["undefined", "undefined", "undefined", "string"]),
         "two at once: B sees none of A's globals, prototype changes or Object.prototype pollution")
    t.eq((ra.get("stdout"), rb.get("stdout")), ("A starts\nA timer\n", "B starts\n"),
         "two at once: each one's output and timers are its own")
    t.ok(max(ta, tb) < 1.6, f"two at once: they ran side by side in the one worker ({ta:.2f} s, {tb:.2f} s; one after the other takes 1.4+)")

    # 2. A busy loop ends `timeout` at its own deadline; its sleeping neighbour ends ok.
    (s1, r1, t1), (s2, r2, t2) = at_once(srv, [
        (0, {"code": "await new Promise(r => setTimeout(r, 800)); 'slept'", "timeout_ms": 10000}),
        (0.1, {"code": "while (true) {}", "timeout_ms": 300}),
    ])
    t.eq((r2.get("status"), (r2.get("error") or {}).get("name")), ("timeout", "TimeoutError"),
         "busy loop: ends timeout at its 300 ms deadline")
    t.eq((s1, r1.get("status"), r1.get("result")), (200, "ok", "slept"), "busy loop: the sleeping neighbour ends ok")
    t.ok(t2 < 1.5, f"busy loop: stopped promptly ({t2:.2f} s after the first send)")
    cpu = (r2.get("usage") or {}).get("cpu_ms", 0)
    t.ok(50 <= cpu <= 600, f"busy loop: its CPU time is its own (cpu_ms {cpu})", r2.get("usage"))
    t.ok(((r1.get("usage") or {}).get("cpu_ms", 1e9)) < 100,
         "busy loop: the neighbour is not charged the loop's CPU", r1.get("usage"))

    # 3. A heap bomb ends memory_limit; its neighbour ends ok.
    (s1, r1, _), (s2, r2, _) = at_once(srv, [
        (0, {"code": "const keep = new Array(1000).fill('x'); await new Promise(r => setTimeout(r, 800)); keep.length"}),
        (0.1, {"code": "const a = []; while (true) a.push(new Array(1e5).fill(1))", "memory_mb": 64,
               "timeout_ms": 20000}),
    ])
    t.eq(r2.get("status"), "memory_limit", "heap bomb: ends memory_limit at its own 64 MB")
    t.eq((s1, r1.get("status"), r1.get("result")), (200, "ok", 1000), "heap bomb: the neighbour ends ok")
    t.ok((r1.get("usage") or {}).get("peak_memory_bytes", 1 << 40) < (16 << 20),
         "heap bomb: the neighbour is not charged the bomb's memory", r1.get("usage"))

    # 4. Output caps are per execution.
    (s1, r1, _), (s2, r2, _) = at_once(srv, [
        (0, {"code": "await new Promise(r => setTimeout(r, 500)); console.log('fine'); 1"}),
        (0.1, {"code": "while (true) console.log('x'.repeat(1000))", "timeout_ms": 20000}),
    ])
    t.eq((r2.get("status"), r2.get("truncated")), ("output_limit", True), "output flood: ends output_limit")
    t.eq((r1.get("status"), r1.get("stdout")), ("ok", "fine\n"), "output flood: the neighbour's output is its own and whole")

    # 5. JS that never yields (a microtask loop: the watchdog cannot stop it)
    # makes the supervisor kill the worker: it ends timeout, its neighbour
    # killed with a reason naming it, and the next execution gets a new worker.
    (s1, r1, _), (s2, r2, _) = at_once(srv, [
        (0, {"code": "await new Promise(r => setTimeout(r, 3000)); 'never'", "timeout_ms": 10000}),
        (0.2, {"code": "(function spin() { return Promise.resolve().then(spin) })(); 1", "timeout_ms": 300}),
    ])
    t.eq(r2.get("status"), "timeout", "never yields: the spinning execution ends timeout")
    msg = (r1.get("error") or {}).get("message", "")
    t.ok(r1.get("status") == "killed" and r2.get("id", "?") in msg and "beside" in msg,
         "never yields: the neighbour ends killed, and the message names the execution it died of", r1)
    s, r = srv.execute("'after'")[:2]
    t.eq((s, (r or {}).get("status"), (r or {}).get("result")), (200, "ok", "after"), "never yields: the next execution runs")

    # 6. isolation "process": one execution per worker, as before.
    slow = "await new Promise(r => setTimeout(r, 600)); 1"
    outs = at_once(srv, [(0, {"code": slow, "isolation": "process"}), (0.05, {"code": slow, "isolation": "process"})])
    t.ok(all(o[0] == 200 and o[1].get("status") == "ok" for o in outs), "isolation process: both end ok", outs)
    t.ok(max(o[2] for o in outs) >= 1.15, f"isolation process: one after the other in the one worker "
         f"({max(o[2] for o in outs):.2f} s for two 0.6 s sleeps)")
    s, r = srv.execute("1", isolation="thread")[:2]
    t.ok(s == 400 and ((r or {}).get("error") or {}).get("field") == "isolation",
         "isolation: a value other than shared or process is a 400 naming the field", r)

    # 7. Function mode: concurrent invocations share the handler's context
    # (its module state) and keep their own responses, also when one's
    # continuation runs in another's turn (a promise they share).
    fn = ("let ready = null; let n = 0;\n"
          "module.exports = async (req, res) => {\n"
          "  n++;\n"
          "  if (!ready) ready = new Promise(r => setTimeout(r, 500));\n"
          "  await ready;\n"
          "  res.json({ who: req.query.who, seen: n });\n"
          "};\n")
    st, h, raw = srv.request("PUT", "/v1/functions/shared", json.dumps({"files": {"index.js": fn}}),
                             {"Content-Type": "application/json"})
    t.eq(st, 201, "function: deploys")
    got = [None] * 8

    def call(i):
        s, _, body = srv.request("GET", f"/fn/shared/?who={i}", timeout=30)
        try:
            got[i] = (s, json.loads(body))
        except ValueError:
            got[i] = (s, body)
    t0 = time.monotonic()
    ths = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(60)
    took = time.monotonic() - t0
    t.ok(all(g and g[0] == 200 and g[1].get("who") == str(i) for i, g in enumerate(got)),
         "function: 8 invocations at once, each answered with its own response", got)
    t.ok(any(g and isinstance(g[1], dict) and g[1].get("seen", 0) > 1 for g in got),
         "function: they share the module's state (one context)", got)
    t.ok(took < 2.5, f"function: they ran at once in the one worker ({took:.2f} s for 8 invocations awaiting 0.5 s)")
    srv.stop()

# 8. 1,000 sleeping executions in flight through POST /v1/execute all end ok.
srv = start_or_fail(t, "a default server starts", env={"CORRAL_LOG_LEVEL": "warn"}, ready=True)
if srv:
    p = subprocess.run([sys.executable, LOADGEN, "--url", f"http://127.0.0.1:{srv.port}/v1/execute",
                        "--n", "1000", "--json", "--timeout", "120",
                        "--body", json.dumps({"code": "await new Promise(r => setTimeout(r, 1000)); 1"})],
                       capture_output=True, text=True, timeout=300)
    try:
        lg = json.loads(p.stdout)
    except ValueError:
        lg = {"error": p.stdout[-500:] + p.stderr[-500:]}
    t.eq((lg.get("codes"), lg.get("statuses")), ({"200": 1000}, {"ok": 1000}),
         "1,000 concurrent 1 s sleeps: every one answered 200 ok")
    t.ok(lg.get("last_s", 1e9) < 60, f"1,000 concurrent 1 s sleeps: the last ended {lg.get('last_s')} s after the first send", lg)
    st, h, raw = srv.request("GET", "/metrics")
    t.ok(st == 200 and b"corral_executions_in_flight" in raw, "/metrics reports executions in flight",
         raw[:200] if st == 200 else st)
    srv.stop()

# 9. Past the tenant's in-flight limit: 429 with Retry-After.
srv = start_or_fail(t, "a server with a tenant limit of 5 starts",
                    env={"CORRAL_TENANT_CONCURRENCY": "5", "CORRAL_LOG_LEVEL": "warn"}, ready=True)
if srv:
    seen = {}

    def scrape():
        time.sleep(0.4)
        st, _, raw = srv.request("GET", "/metrics")
        seen["text"] = raw.decode() if st == 200 else ""
    sc = threading.Thread(target=scrape)
    sc.start()
    outs = at_once(srv, [(0.01 * i, {"code": "await new Promise(r => setTimeout(r, 800)); 1"}) for i in range(8)])
    sc.join(30)
    codes = sorted(o[0] for o in outs)
    t.eq(codes, [200] * 5 + [429] * 3, "tenant limit 5: 5 run at once, 3 answered 429")
    text = seen.get("text", "")
    ten = re.findall(r'^corral_tenant_executions_in_flight\{tenant="([^"]+)"\} (\d+)$', text, re.M)
    wrk = re.findall(r'^corral_worker_executions_in_flight\{worker="(\d+)"\} (\d+)$', text, re.M)
    t.ok(len(ten) == 1 and int(ten[0][1]) == 5 and sum(int(n) for _, n in wrk) == 5,
         "/metrics while they run: the tenant's 5 in flight, and the workers' in flight adding up to 5", (ten, wrk))
    srv.stop()


# 10. Sessions of one tenant share its worker: each keeps its own context and
# state, a deleted or expired session's context goes from the worker (the
# worker stays), and state survives the worker's death.
srv = start_or_fail(t, "corral-testhooks with one worker and sessions starts", binary=HOOKS,
                    env=dict(ONE, CORRAL_SESSION_SWEEP_S="1"), ready=True)
if srv:
    def new_session(**body):
        s, r, _ = srv.json("POST", "/v1/sessions", body)
        return r.get("id") if s == 201 and isinstance(r, dict) else None

    def sx(sid, code, **fields):
        s, r, _ = srv.execute(code, session_id=sid, timeout=60, **fields)
        return s, r if isinstance(r, dict) else {}

    HELD = "[__corral_test.info().worker, __corral_test.sessions()]"
    a, b = new_session(), new_session()
    # A function cannot be stored: calling it again shows the live context.
    _, ra = sx(a, "let who = 'a'; var n = 1; function f() { return 'f of ' + who } who")
    _, rb = sx(b, "let who = 'b'; var n = 2; function f() { return 'f of ' + who } who")
    _, ra2 = sx(a, "n += 10; [who, n, f()]")
    _, rb2 = sx(b, "[who, n, f()]")
    t.eq([r.get("result") for r in (ra, rb, ra2, rb2)], ["a", "b", ["a", 11, "f of a"], ["b", 2, "f of b"]],
         "two sessions of a tenant: each sees only its own bindings, in its live context (its function too)")
    _, ha = sx(a, HELD)
    _, hb = sx(b, HELD)
    pa, ids_a = (ha.get("result") or [None, []])
    pb, ids_b = (hb.get("result") or [None, []])
    t.ok(pa and pa == pb and {a, b} <= set(ids_a) and {a, b} <= set(ids_b),
         "... in one worker that holds both contexts", (ha, hb))
    # Two executions of two sessions at once in that worker.
    outs = at_once(srv, [(0, {"code": "await new Promise(r => setTimeout(r, 700)); who", "session_id": a}),
                         (0, {"code": "await new Promise(r => setTimeout(r, 700)); who", "session_id": b})])
    t.ok([o[1].get("result") for o in outs] == ["a", "b"] and max(o[2] for o in outs) < 1.3,
         "two sessions' executions run at once in the shared worker", outs)
    # One session's executions still run one at a time.
    outs = at_once(srv, [(0, {"code": "await new Promise(r => setTimeout(r, 500)); n += 1; n", "session_id": b}),
                         (0.05, {"code": "await new Promise(r => setTimeout(r, 500)); n += 1; n", "session_id": b})])
    t.ok(sorted(o[1].get("result") for o in outs) == [3, 4] and max(o[2] for o in outs) >= 0.95,
         "one session's executions still run one at a time", outs)
    # Deleted: the context goes from the worker, which stays.
    s, _, _ = srv.json("DELETE", f"/v1/sessions/{a}")
    _, hb = sx(b, HELD)
    pb2, ids_b2 = (hb.get("result") or [None, []])
    t.ok(s == 204 and pb2 == pa and a not in ids_b2 and b in ids_b2,
         "a deleted session's context goes from the shared worker; the worker stays", (s, hb, pa))
    # Expired: an idle context goes after the session's TTL.
    c = new_session(ttl_s=1)
    _, rc_ = sx(c, "let secret = 'c'; secret")
    _, hb = sx(b, HELD)
    held = (hb.get("result") or [None, []])[1]
    time.sleep(1.6)
    _, hb2 = sx(b, HELD)
    after = (hb2.get("result") or [None, []])[1]
    t.ok(rc_.get("result") == "c" and c in held and c not in after and b in after,
         "an expired session's context goes from the shared worker after its TTL idle", (held, after))
    # The worker dies: the state survives, every session rebuilt from the store.
    ws = srv.workers()
    for w in ws:
        os.kill(w, 9)
    time.sleep(0.5)
    _, rb3 = sx(b, "[who, n]")
    _, rb4 = sx(b, "f()")
    _, hb = sx(b, HELD)
    t.ok(len(ws) == 1 and rb3.get("status") == "ok" and rb3.get("result") == ["b", 4]
         and (rb4.get("error") or {}).get("name") == "ReferenceError" and (hb.get("result") or [pa])[0] != pa,
         "after the shared worker is killed the session's state comes back from the store (its function cannot)",
         (ws, rb3, rb4, hb))
    # Isolation "process": a worker of its own.
    d = new_session()
    _, hd = sx(d, HELD, isolation="process")
    pd = (hd.get("result") or [None])[0]
    _, hb = sx(b, HELD)
    t.ok(pd and pd != (hb.get("result") or [None])[0] and hd.get("result")[1] == [d],
         "a session with isolation process runs in a worker of its own", (hd, hb))
    srv.stop()


# 11. A worker keeps the scripts it compiled (scache.c): the same code again
# runs compiled, each time in a fresh context, and nothing else finds it.
srv = start_or_fail(t, "a server with one worker starts (script cache)", env=ONE, ready=True)
if srv:
    TLA = "globalThis.k = (globalThis.k || 0) + 1; await null; [k, typeof globalThis.left]"
    srv.execute(TLA + "; globalThis.left = 1")
    same = [srv.execute(TLA)[1].get("result") for _ in range(3)]
    t.eq(same, [[1, "undefined"]] * 3, "the same top-level-await code three times: each run in a fresh context")
    ts = "const n: number = 2; await null; n * 21"
    t.eq([srv.execute(ts, language="typescript")[1].get("result") for _ in range(2)], [42, 42],
         "the same TypeScript twice: 42 both times")
    s1, r1, _ = srv.execute(ts)
    t.eq((r1.get("status"), (r1.get("error") or {}).get("name")), ("rejected", "SyntaxError"),
         "the same text as JavaScript is not the TypeScript's script: a SyntaxError")
    bad = [srv.execute("let = = 1")[1] for _ in range(2)]
    t.eq([(b.get("status"), (b.get("error") or {}).get("name")) for b in bad], [("rejected", "SyntaxError")] * 2,
         "code that does not compile fails each time (nothing kept)")
    t.eq([srv.execute(c)[1].get("result") for c in ("await null; 1 + 1", "await null; 1 + 2", "await null; 1 + 1")],
         [2, 3, 2], "code that differs by one character is another script")
    srv.stop()


# 12. A tenant's sessions stay in their worker while it is busy on the CPU
# (no spreading for sessions): the next snippet finds its live context.
srv = start_or_fail(t, "corral-testhooks with the default pool starts", binary=HOOKS,
                    env={"CORRAL_LOG_LEVEL": "warn"}, ready=True)
if srv:
    def new_sid():
        s, r, _ = srv.json("POST", "/v1/sessions", {})
        return r.get("id") if s == 201 and isinstance(r, dict) else None
    sid, other = new_sid(), new_sid()
    srv.execute("function f(v) { return v * 3 } 1", session_id=sid)
    BUSY_W = "const t0 = Date.now(); while (Date.now() - t0 < %d) {}; __corral_test.info().worker"
    # The other session keeps the worker busy meanwhile: executions in flight
    # and a high CPU share, what would send code mode to another core.
    bg = threading.Thread(target=lambda: [srv.execute(BUSY_W % 400, session_id=other, timeout=60)
                                          for _ in range(5)])
    bg.start()
    where = []
    for _ in range(5):
        _, r, _ = srv.execute(BUSY_W % 300, session_id=sid, timeout=60)
        where.append(r.get("result") if isinstance(r, dict) else None)
    bg.join(60)
    _, r, _ = srv.execute("f(2)", session_id=sid)
    t.ok(len(set(where)) == 1 and where[0] and isinstance(r, dict) and r.get("result") == 6,
         "a session's CPU-bound snippets stay in one worker beside a busy neighbour session, "
         "and its function lives on", (where, r))
    srv.stop()

t.done()
