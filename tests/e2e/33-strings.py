#!/usr/bin/env python3
"""Any string survives the trip out of the sandbox (issue 13.3): a result,
console line, error or streamed event holding lone surrogates, NUL or other
control characters arrives as JSON.stringify's well-formed escapes (a lone
"\\udc00" as the escape \\udc00) in JSON, and with U+FFFD where Node writes
text (stdout), never as "the worker sent a malformed frame and was killed";
the worker that ran it goes on serving. Also: Math.cbrt is correctly
rounded (13.15, compat 019), and the Date difference that stays (compat 147)
is what the standard says."""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import CORRAL, Tap, run, run_js  # noqa: E402
from server import sse_parse, start_or_fail  # noqa: E402

t = Tap("33-strings")
NODE = shutil.which("node")

# The strings, as JavaScript source, and what JSON.stringify makes of them.
LONE = r'"a\udc00b"'
ODD = r'"n\0c\x01\x07\x1f\x7f\u2028e"'
MIXED = r'["\ud800", "\ud800x", "\udc00\ud800", "\ud83d\ude00", {"k\udfff": "\0"}, "\udbff"]'


def node_stdout(code):
    """Node's stdout bytes for a CommonJS file with this code."""
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "main.js")
        with open(p, "w") as f:
            f.write(code)
        return subprocess.run([NODE, p], capture_output=True, timeout=60).stdout


def node_json(expr):
    """JSON.stringify(expr) in Node, as text."""
    out = node_stdout(f"process.stdout.write(JSON.stringify({expr}))")
    return out.decode()


ONE = {"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "1", "CORRAL_LOG_LEVEL": "warn"}
srv = start_or_fail(t, "a server with one worker starts", env=ONE, ready=True)
if srv:
    workers0 = srv.workers()
    t.eq(len(workers0), 1, "one worker before the strings")

    def execute_raw(code, **fields):
        s, h, body = srv.request("POST", "/v1/execute", json.dumps(dict(code=code, **fields)))
        try:
            obj = json.loads(body)
        except ValueError:
            obj = {}
        return s, obj, body

    # Results: the body carries JSON.stringify's own text for the value.
    for name, expr in [("a lone low surrogate", LONE), ("NUL and control characters", ODD),
                       ("lone and paired surrogates, in keys and nested", MIXED)]:
        s, r, body = execute_raw(expr)
        want = node_json(expr) if NODE else None
        t.eq((s, r.get("status")), (200, "ok"), f"result with {name}: ok, not killed")
        raw = body.decode("utf-8", errors="strict") if body else ""
        start = raw.find('"result":') + len('"result":')
        got = raw[start:start + len(want)] if want else None
        t.eq(got, want, f"result with {name}: the body holds Node's JSON.stringify text")
    s, r, body = execute_raw(LONE)
    t.ok(b'"result":"a\\udc00b"' in body, "the lone surrogate arrives as the escape \\udc00", body[:300])
    t.eq(r.get("result"), "a\udc00b", "and parses back to the same string")
    s, r, body = execute_raw("'x\\0y'")
    t.ok(b'"result":"x\\u0000y"' in body and r.get("result") == "x\x00y", "NUL arrives as \\u0000", body[:300])

    # Console output: text, as Node writes it (U+FFFD for a lone surrogate).
    code = (r'console.log("l\udc00", "h\ud800", "p\ud83d\ude00", "n\0", "c\x01\x1b[0m\x7f");'
            r'process.stdout.write("w\udc00\n"); console.error("e\ud800\0")')
    s, r, body = execute_raw(code)
    want = node_stdout(code).decode() if NODE else None
    t.eq((s, r.get("status")), (200, "ok"), "console with lone surrogates and NUL: ok")
    t.eq(r.get("stdout"), want, "stdout is Node's stdout (U+FFFD, NUL and escapes kept)")
    t.eq(r.get("stderr"), "e\ufffd\x00\n", "stderr likewise")

    # An error's message arrives whole, as JSON.stringify would write it.
    for desc, c, want in [("a lone surrogate", r'throw new Error("m\udc00z")', r"m\udc00z"),
                          ("NUL", r'throw new Error("m\0z\x01")', r"m\u0000z\u0001"),
                          ("a rejection", r'await Promise.reject(new RangeError("\ud800\0"))', r"\ud800\u0000")]:
        s, r, body = execute_raw(c)
        t.ok(s == 200 and r.get("status") == "error" and f'"message":"{want}"'.encode() in body,
             f"an error message with {desc} arrives as escapes", body[:400])
    # The secret filter sees the whole message, past a NUL too.
    s, r, body = execute_raw(r'throw new Error("k\0 AKIAIOSFODNN7EXAMPLE \udc00")')
    t.ok(b"AKIAIOSFODNN7EXAMPLE" not in body and b'\\u0000' in body, "a secret after a NUL in a message is filtered",
         body[:400])
    s, r, body = execute_raw(r'throw new Error("plain \u00e9\ud83d\ude00")')
    t.eq((r.get("error") or {}).get("message"), "plain \u00e9\U0001f600", "an ordinary message is unchanged")

    # Errors with such messages end as errors of the code, not as a kill.
    for desc, c in [("a lone surrogate", r'throw new Error("m\udc00z")'),
                    ("NUL", r'throw new Error("m\0z")'),
                    ("surrogates in a thrown string", r'throw "t\ud800"'),
                    ("a rejected promise", r'await Promise.reject(new TypeError("r\udc00\x01"))')]:
        s, r, body = execute_raw(c)
        err = r.get("error") or {}
        t.ok(s == 200 and r.get("status") == "error" and err.get("message", "").startswith(("m", "'t", "r")),
             f"an error message with {desc} ends as status error", body[:400])

    # Streams: every SSE data line and NDJSON line is JSON.
    code = r'console.log("s\udc00\0"); await new Promise(r => setTimeout(r, 20)); ["\udc00", "\0"]'
    events = []
    with srv.stream("/v1/execute", {"code": code}, "text/event-stream") as st:
        for _, piece in st:
            events.append(sse_parse(piece))
    data = {}
    for ev, d in events:
        try:
            data.setdefault(ev, []).append(json.loads(d))
        except ValueError:
            data.setdefault(ev, []).append(("not JSON", d))
    t.eq(data.get("stdout"), ["s\ufffd\x00\n"], "SSE: the stdout event is a JSON string with U+FFFD and NUL")
    res = (data.get("result") or [{}])[-1]
    t.eq((res.get("status"), res.get("result")), ("ok", ["\udc00", "\x00"]),
         "SSE: the result event keeps the lone surrogate")
    lines = []
    with srv.stream("/v1/execute", {"code": code}, "application/x-ndjson") as st:
        for _, piece in st:
            try:
                lines.append(json.loads(piece))
            except ValueError:
                lines.append({"event": "not JSON", "data": piece})
    t.eq([(x.get("event"), x.get("data") if x.get("event") != "result" else x["data"].get("result"))
          for x in lines],
         [("stdout", "s\ufffd\x00\n"), ("result", ["\udc00", "\x00"])], "NDJSON: the same events")

    # Still the same worker, and it works.
    s, r, _ = srv.execute("1 + 1")
    t.eq(r.get("result"), 2, "the worker still answers")
    t.eq(srv.workers(), workers0, "no worker was killed or replaced")

    # Sessions: a variable holding a lone surrogate is stored and comes back.
    s, sess, _ = srv.json("POST", "/v1/sessions", {})
    sid = (sess or {}).get("id")
    if sid:
        s1, r1, _ = srv.execute(r'var v = "\udc00\0"; v', session_id=sid)
        s2, r2, _ = srv.execute('[v.length, v.charCodeAt(0), v.charCodeAt(1)]', session_id=sid)
        t.eq((r1.get("status"), r1.get("result"), r2.get("status"), r2.get("result")),
             ("ok", "\udc00\x00", "ok", [2, 0xdc00, 0]), "session: a lone surrogate and NUL in a variable carry over")
        s3, h, _ = srv.json("GET", f"/v1/sessions/{sid}/history")
        items = h if isinstance(h, list) else (h or {}).get("executions") or (h or {}).get("items") or []
        t.ok(any(isinstance(e, dict) and e.get("result") == "\udc00\x00" for e in items),
             "session history gives the result back as JSON, not as a string of it", json.dumps(h)[:600])
    else:
        t.ok(False, "a session is created", sess)

    t.ok("malformed frame" not in srv.stderr_text(), "the server never saw a malformed frame")
    srv.stop()

# corral run: text stdout as Node writes it, --json results as escapes.
code = r'console.log("l\udc00", "n\0", "c\x01"); process.stdout.write("h\ud800\n")'
rc, out, err, _ = run(["run", "-"], stdin=code)
p = subprocess.run([CORRAL, "run", "-"], input=code.encode(), capture_output=True, timeout=60)
t.eq((p.returncode, p.stdout), (0, node_stdout(code) if NODE else None), "corral run: stdout bytes are Node's")
p = subprocess.run([CORRAL, "run", "--json", "-"], input=MIXED.encode(), capture_output=True, timeout=60)
t.ok(p.returncode == 0 and NODE and node_json(MIXED).encode() in p.stdout,
     "corral run --json: the result is Node's JSON.stringify text", p.stdout[:400])
p = subprocess.run([CORRAL, "run", "-"], input=b'throw new Error("x\\udc00")', capture_output=True, timeout=60)
t.ok(p.returncode == 1 and b"Error: x\xef\xbf\xbd" in p.stderr, "corral run: an error with a lone surrogate is an error (1)",
     p.stderr[:400])

# Math.cbrt is correctly rounded (JavaScriptCore's libm cbrt is not: 27 -> 3.0000000000000004).
gen = r'''
const f = new Float64Array(1), u = new BigUint64Array(f.buffer);
let s = 7n; const out = [];
for (let i = 0; i < 3000; i++) {
  s = (s * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
  u[0] = s; let x = f[0];
  if (!Number.isFinite(x) || x === 0) x = i - 1500;
  if (i % 3 === 0) x = (i - 1500) / 7;
  out.push([x.toString(), Math.cbrt(x).toString()]);
}
out
'''
rc, obj, err = run_js(gen)
pairs = obj.get("result") if isinstance(obj.get("result"), list) else []
bad = []
for xs, ys in pairs:
    x, y = float(xs), float(ys)
    X = Fraction(x)
    a = (Fraction(y) + Fraction(math.nextafter(y, math.inf))) / 2
    b = (Fraction(y) + Fraction(math.nextafter(y, -math.inf))) / 2
    lo, hi = sorted((a ** 3, b ** 3))
    if not lo < X < hi:
        bad.append((xs, ys))
t.ok(len(pairs) == 3000 and not bad, f"Math.cbrt is correctly rounded for 3000 values ({len(bad)} not)", bad[:5])

# 2020-02-30 rolls over to March 1, as V8 reads it (host_compat.c; the
# standard would have NaN); days past 31 and months past 12 stay invalid.
rc, obj, err = run_js("[Date.parse('2020-02-30T00:00:00Z'), Date.parse('2020-02-29T00:00:00Z'),"
                      " new Date(Date.UTC(2020, 1, 30)).toISOString(), Date.parse('2020-02-32'), Date.parse('2020-13-01')]")
t.eq(obj.get("result"), [1583020800000, 1582934400000, "2020-03-01T00:00:00.000Z", None, None],
     "Date.parse of 2020-02-30 is March 1 as in Node, Date.UTC rolls over too, 02-32 and 13-01 are NaN")
t.done()
