#!/usr/bin/env python3
"""corral serve against malformed input: every bad request gets a 4xx with
a JSON error naming the problem (never a 5xx), malformed HTTP gets a 4xx or
a closed connection, bad configuration stops start-up naming the key, and
the server is still up and serving afterwards."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import Server, ServerError, api_error, parse_raw_response, serve_fails  # noqa: E402

t = Tap("12-serve-badinput")

MAX_CODE = 10000
MAX_BODY = 200000
EX = "/v1/execute"
COMPAT = "/api/execute"


def J(o):
    return json.dumps(o)


def code_of_bytes(n, fill="x"):
    """A valid script of exactly n UTF-8 bytes: '1//' then a comment."""
    body = "1//"
    return body + fill * ((n - len(body.encode())) // len(fill.encode()))


def nested(depth, open_, close):
    return '{"code": "1", "x": ' + open_ * depth + close * depth + "}"


# (description, method, path, body, headers, expected, field)
#   expected: an int (that status), a set of statuses, "4xx", "no5xx"
#   (a 2xx or 4xx, each well-formed: the input is odd but not invalid), or
#   "4xx-http" (any 4xx, not necessarily JSON: the HTTP layer refuses it
#   before the API sees it).
#   field: what error.field must say, or None (not checked).
#   On /api/execute the error is the compat shape {"error": "..."}.
ROWS = [
    ("invalid JSON (unquoted key)", "POST", EX, b'{code: 1}', None, 400, None),
    ("a JSON array instead of an object", "POST", EX, b'[]', None, 400, None),
    ("a JSON array holding a valid request", "POST", EX, J([{"code": "1"}]), None, 400, None),
    ("a JSON string instead of an object", "POST", EX, b'"1+1"', None, 400, None),
    ("a JSON number instead of an object", "POST", EX, b'42', None, 400, None),
    ("JSON null instead of an object", "POST", EX, b'null', None, 400, None),
    ("JSON true instead of an object", "POST", EX, b'true', None, 400, None),
    ("an empty object: code missing", "POST", EX, J({}), None, 400, "code"),
    ("code missing, other fields present", "POST", EX, J({"timeout_ms": 100}), None, 400, "code"),
    ("code is a number", "POST", EX, J({"code": 1}), None, 400, "code"),
    ("code is null", "POST", EX, J({"code": None}), None, 400, "code"),
    ("code is an array", "POST", EX, J({"code": ["1"]}), None, 400, "code"),
    ("code is an object", "POST", EX, J({"code": {"src": "1"}}), None, 400, "code"),
    (f"code of {MAX_CODE + 1} bytes (over CORRAL_MAX_CODE_BYTES)", "POST", EX,
     J({"code": code_of_bytes(MAX_CODE + 1)}), None, "4xx", "code"),
    (f"code of {MAX_CODE // 2 + 2} two-byte characters (over the cap in bytes, not characters)", "POST", EX,
     json.dumps({"code": "1//" + "\u00e9" * (MAX_CODE // 2)}, ensure_ascii=False).encode(), None, "4xx", "code"),
    (f"a body over CORRAL_MAX_BODY_BYTES ({MAX_BODY + 1} bytes) -> 413", "POST", EX,
     ('{"code": "' + "x" * (MAX_BODY + 1 - len('{"code": ""}')) + '"}'), None, 413, None),
    ("unknown language", "POST", EX, J({"code": "1", "language": "python"}), None, 400, "language"),
    ("language is a number", "POST", EX, J({"code": "1", "language": 5}), None, 400, "language"),
    ("language is empty", "POST", EX, J({"code": "1", "language": ""}), None, 400, "language"),
    ("timeout_ms 0", "POST", EX, J({"code": "1", "timeout_ms": 0}), None, 400, "timeout_ms"),
    ("timeout_ms -1", "POST", EX, J({"code": "1", "timeout_ms": -1}), None, 400, "timeout_ms"),
    ("timeout_ms 300001", "POST", EX, J({"code": "1", "timeout_ms": 300001}), None, 400, "timeout_ms"),
    ("timeout_ms as a string \"5\"", "POST", EX, J({"code": "1", "timeout_ms": "5"}), None, 400, "timeout_ms"),
    ("timeout_ms 1.5", "POST", EX, J({"code": "1", "timeout_ms": 1.5}), None, 400, "timeout_ms"),
    ("timeout_ms true", "POST", EX, J({"code": "1", "timeout_ms": True}), None, 400, "timeout_ms"),
    ("timeout_ms 1e999 (a huge number)", "POST", EX, b'{"code": "1", "timeout_ms": 1e999}', None, 400, None),
    ("timeout_ms 99999999999999999999999", "POST", EX, b'{"code": "1", "timeout_ms": 99999999999999999999999}', None, 400, None),
    ("timeout_ms 4294967396 (wraps to 100 in 32 bits)", "POST", EX, J({"code": "1", "timeout_ms": 4294967396}), None, 400, "timeout_ms"),
    ("memory_mb 0", "POST", EX, J({"code": "1", "memory_mb": 0}), None, 400, "memory_mb"),
    ("memory_mb 100000", "POST", EX, J({"code": "1", "memory_mb": 100000}), None, 400, "memory_mb"),
    ("memory_mb as a string", "POST", EX, J({"code": "1", "memory_mb": "64"}), None, 400, "memory_mb"),
    ("memory_mb -64", "POST", EX, J({"code": "1", "memory_mb": -64}), None, 400, "memory_mb"),
    ("env is an array", "POST", EX, J({"code": "1", "env": ["A=b"]}), None, 400, "env"),
    ("env is a string", "POST", EX, J({"code": "1", "env": "A=b"}), None, 400, "env"),
    ("an env value is a number", "POST", EX, J({"code": "1", "env": {"A": 1}}), None, 400, "env"),
    ("an env value is null", "POST", EX, J({"code": "1", "env": {"A": None}}), None, 400, "env"),
    ("an env value is an object", "POST", EX, J({"code": "1", "env": {"A": {"b": "c"}}}), None, 400, "env"),
    ("env with 10,000 keys", "POST", EX, J({"code": "Object.keys(process.env).length",
                                            "env": {f"K{i}": "v" for i in range(10000)}}), None, "no5xx", None),
    ("session_id is a number", "POST", EX, J({"code": "1", "session_id": 123}), None, 400, "session_id"),
    ("session_id is an object", "POST", EX, J({"code": "1", "session_id": {}}), None, 400, "session_id"),
    ("session_id names no session", "POST", EX, J({"code": "1", "session_id": "s_doesnotexist"}), None, {400, 404}, None),
    ("stdin is a number", "POST", EX, J({"code": "1", "stdin": 5}), None, 400, "stdin"),
    ("unknown route GET /v1/nope", "GET", "/v1/nope", None, None, 404, None),
    ("unknown route POST /v1/nope", "POST", "/v1/nope", J({"code": "1"}), None, 404, None),
    ("unknown route GET /nope-at-all", "GET", "/nope-at-all", None, None, 404, None),
    ("wrong method GET /v1/execute", "GET", EX, None, None, 405, None),
    ("wrong method PUT /v1/execute", "PUT", EX, J({"code": "1"}), None, 405, None),
    ("wrong method DELETE /v1/execute", "DELETE", EX, None, None, 405, None),
    ("wrong method POST /healthz", "POST", "/healthz", J({}), None, 405, None),
    ("Content-Type text/plain", "POST", EX, J({"code": "1"}), {"Content-Type": "text/plain"}, {400, 415}, None),
    ("Content-Type form-urlencoded", "POST", EX, b"code=1", {"Content-Type": "application/x-www-form-urlencoded"}, {400, 415}, None),
    ("an empty body", "POST", EX, b"", None, 400, None),
    ("a body of whitespace", "POST", EX, b"  \n\t ", None, 400, None),
    ("truncated JSON (in a string)", "POST", EX, b'{"code": "1', None, 400, None),
    ("truncated JSON (after a comma)", "POST", EX, b'{"code": "1",', None, 400, None),
    ("a raw NUL byte inside a JSON string", "POST", EX, b'{"code": "1\x00"}', None, 400, None),
    ("a NUL byte after the JSON", "POST", EX, b'{"code": "1"}\x00', None, 400, None),
    ("trailing garbage after the JSON", "POST", EX, b'{"code": "1"} {}', None, 400, None),
    ("invalid UTF-8 (0xff 0xfe)", "POST", EX, b'{"code": "\'\xff\xfe\'"}', None, 400, None),
    ("overlong UTF-8 (0xc0 0xaf)", "POST", EX, b'{"code": "\'\xc0\xaf\'"}', None, 400, None),
    ("UTF-8-encoded surrogate (0xed 0xa0 0x80)", "POST", EX, b'{"code": "\'\xed\xa0\x80\'"}', None, 400, None),
    ("10,000 nested arrays", "POST", EX, nested(10000, "[", "]"), None, "4xx", None),
    ("10,000 nested objects", "POST", EX, '{"code": "1", "x": ' + '{"a":' * 10000 + "1" + "}" * 10000 + "}", None, "4xx", None),
    ("10,000 unclosed brackets", "POST", EX, "[" * 10000, None, 400, None),
    ("duplicate keys", "POST", EX, b'{"code": "1", "code": "2"}', None, "no5xx", None),
    ("an escaped NUL (\\u0000) in code", "POST", EX, b'{"code": "\'a\\u0000b\'.length"}', None, "no5xx", None),
    ("an escaped lone surrogate (\\ud800)", "POST", EX, b'{"code": "\'\\ud800\'.length"}', None, "no5xx", None),
    ("a UTF-8 byte-order mark before the JSON", "POST", EX, b'\xef\xbb\xbf{"code": "1"}', None, "no5xx", None),
    ("an unknown field names it", "POST", EX, J({"code": "1", "bogus": True}), None, 400, "bogus"),
    ("a typo of timeout_ms names it", "POST", EX, J({"code": "1", "timeout": 5}), None, 400, "timeout"),
    ("a 64 KiB URL", "GET", "/v1/" + "a" * 65536, None, None, "4xx-http", None),
    ("/api/execute: code missing", "POST", COMPAT, J({"timeout": 1000}), None, 400, "compat"),
    ("/api/execute: code is a number", "POST", COMPAT, J({"code": 5}), None, 400, "compat"),
    ("/api/execute: invalid JSON", "POST", COMPAT, b'{"code": ', None, 400, "compat"),
    ("/api/execute: timeout is a string", "POST", COMPAT, J({"code": "1", "timeout": "x"}), None, 400, "compat"),
    ("/api/execute: env is an array", "POST", COMPAT, J({"code": "1", "env": ["A=b"]}), None, 400, "compat"),
    # Controls: the same server accepts what is right at the edge.
    (f"control: code of exactly {MAX_CODE} bytes runs", "POST", EX, J({"code": code_of_bytes(MAX_CODE)}), None, 200, None),
    ("control: Content-Type application/json; charset=utf-8 runs", "POST", EX, J({"code": "1"}),
     {"Content-Type": "application/json; charset=utf-8"}, 200, None),
    ("control: timeout_ms 300000 and memory_mb 64 are accepted", "POST", EX,
     J({"code": "1", "timeout_ms": 300000, "memory_mb": 64}), None, 200, None),
]

# Raw HTTP: (description, bytes, expected, shut down our side after sending).
#   expected None: a 4xx, or the connection closed (or reset) without one;
#   "no5xx": also a 2xx (the input is odd but a lenient parser may take it);
#   a set: only those statuses. Never a hang: a timeout with no answer fails.
RAW = [
    ("a garbage request line", b"GARBAGE\r\n\r\n", None, False),
    ("a request line with no version", b"GET /healthz\r\n\r\n", "no5xx", True),
    ("a NUL byte in the request line", b"GET /heal\x00thz HTTP/1.1\r\nHost: localhost\r\n\r\n", None, False),
    ("a header line over 16 KiB", b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n", None, False),
    ("a header section of 1 MiB", b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
     + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(1024)) + b"\r\n", None, False),
    ("1,000 small headers", b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
     + b"".join(b"X-H%d: v\r\n" % i for i in range(1000)) + b"\r\n", "no5xx", False),
    ("a header without a colon", b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nNoColonHere\r\n\r\n", "no5xx", False),
    ("Content-Length: abc", b"POST /v1/execute HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
     b"Content-Length: abc\r\n\r\n", None, False),
    ("Content-Length: -1", b"POST /v1/execute HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
     b"Content-Length: -1\r\n\r\n", None, False),
    ("Content-Length longer than the body, then EOF", b"POST /v1/execute HTTP/1.1\r\nHost: localhost\r\n"
     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"code\":", None, True),
    ("Content-Length and Transfer-Encoding both", b"POST /v1/execute HTTP/1.1\r\nHost: localhost\r\n"
     b"Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"c\r\n{\"code\":\"1\"}\r\n0\r\n\r\n", "no5xx", True),
    ("a bad chunk size", b"POST /v1/execute HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
     b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", None, False),
    ("a chunked body over CORRAL_MAX_BODY_BYTES -> 413",
     b"POST /v1/execute HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
     + b"".join(b"%x\r\n" % 20000 + b"x" * 20000 + b"\r\n" for _ in range(MAX_BODY // 20000 + 2)) + b"0\r\n\r\n",
     {413, 411}, False),
]


def body_json(body):
    try:
        return json.loads(body)
    except ValueError:
        return None


def check_row(desc, method, path, body, headers, expected, field):
    s, h, raw = srv.request(method, path, body, headers, timeout=30)
    obj = body_json(raw)
    compat = field == "compat"
    if expected == "no5xx":
        good = s is not None and (200 <= s < 300 or 400 <= s < 500)
    elif expected in ("4xx", "4xx-http"):
        good = s is not None and 400 <= s < 500
    elif isinstance(expected, set):
        good = s in expected
    else:
        good = s == expected
    is_json = h.get("content-type", "").startswith("application/json")
    if s is not None and 400 <= s < 500 and expected != "4xx-http":
        if compat:
            good = good and is_json and isinstance(obj, dict) and isinstance(obj.get("error"), str) and obj["error"] != ""
        else:
            e = api_error(obj)
            good = good and is_json and e is not None and (field is None or e[2] == field)
    elif s is not None and 200 <= s < 300:
        good = good and is_json and isinstance(obj, dict)
        if expected == 200:
            good = good and obj.get("status") == "ok"
    diag = {"status": s, "content-type": h.get("content-type"), "body": raw[:600].decode(errors="replace"),
            "error": h.get("_error")}
    if not srv.alive():
        diag["server died"] = srv.stderr_text()[-2000:]
    want = expected if not isinstance(expected, set) else sorted(expected)
    t.ok(good, f"{desc}: {want}" + (f", error.field {field}" if field and not compat else "")
         + (" with {\"error\": \"...\"}" if compat else ""), diag)


try:
    # A short idle timeout: a client that sends half a body and goes quiet
    # is disconnected by it (the connection-timeout defence under test).
    srv = Server(env={"ISOLATE_POOL_SIZE": "1", "CORRAL_MAX_CODE_BYTES": str(MAX_CODE),
                      "CORRAL_MAX_BODY_BYTES": str(MAX_BODY), "CORRAL_CONNECTION_TIMEOUT_S": "2"},
                 ready=True).start()
except ServerError as e:
    t.ok(False, "corral serve starts", e)
    t.done()

for row in ROWS:
    check_row(*row)

for desc, data, want, shut in RAW:
    got = srv.raw(data, timeout=8, shutdown=shut)
    s, h, _ = parse_raw_response(got)
    closed = s is None and srv.raw_end in ("closed", "reset")
    if isinstance(want, set):
        good, what = s in want, str(sorted(want))
    elif want == "no5xx":
        good, what = closed or (s is not None and s < 500), "not a 5xx (or the connection closed)"
    else:
        good, what = closed or (s is not None and 400 <= s < 500), "4xx or the connection closed"
    t.ok(good and srv.alive(), f"raw HTTP, {desc}: {what}",
         {"status": s, "ended": srv.raw_end, "got": got[:300], "alive": srv.alive()})

# The server is still up and serving.
s, _, _ = srv.request("GET", "/healthz")
t.ok(s == 200 and srv.alive(), "after all that, /healthz is 200 and the process is alive", srv.stderr_text()[-2000:])
s, r, _ = srv.execute("'still ' + 'fine'")
t.eq((s, (r or {}).get("result")), (200, "still fine"), "after all that, an execution runs")
t.eq(srv.server_errors(), [], "no request got a 5xx")
srv.stop()

# Bad configuration stops start-up at once, naming the key.
for desc, args, env, needle in [
    ("ISOLATE_POOL_SIZE=abc", [], {"ISOLATE_POOL_SIZE": "abc"}, "ISOLATE_POOL_SIZE"),
    ("ISOLATE_MAX_POOL_SIZE=-1", [], {"ISOLATE_MAX_POOL_SIZE": "-1"}, "ISOLATE_MAX_POOL_SIZE"),
    ("FUNCTION_TIMEOUT_MS=5s", [], {"FUNCTION_TIMEOUT_MS": "5s"}, "FUNCTION_TIMEOUT_MS"),
    ("CORRAL_MAX_BODY_BYTES=1x", [], {"CORRAL_MAX_BODY_BYTES": "1x"}, "CORRAL_MAX_BODY_BYTES"),
    ("CORRAL_RATE_LIMIT=fast", [], {"CORRAL_RATE_LIMIT": "fast"}, "CORRAL_RATE_LIMIT"),
    ("--listen nonsense", ["--listen", "nonsense"], {}, "--listen"),
    ("--listen 127.0.0.1:99999", ["--listen", "127.0.0.1:99999"], {}, "--listen"),
    ("an unknown flag", ["--no-such-flag"], {}, "--no-such-flag"),
    ("CORRAL_SESSION_TTL_S over the maximum", [], {"CORRAL_SESSION_TTL_S": "100", "CORRAL_SESSION_TTL_MAX_S": "10"},
     "CORRAL_SESSION_TTL_MAX_S"),
    ("CORRAL_SESSION_STATE_MAX_BYTES=lots", [], {"CORRAL_SESSION_STATE_MAX_BYTES": "lots"}, "CORRAL_SESSION_STATE_MAX_BYTES"),
    ("CORRAL_PII=maybe", [], {"CORRAL_PII": "maybe"}, "CORRAL_PII"),
]:
    t0 = time.monotonic()
    rc, err = serve_fails(*args, env=env, timeout=10)
    took = time.monotonic() - t0
    t.ok(rc not in (None, 0) and needle in err and took < 5,
         f"bad config {desc}: exits non-zero at once, naming {needle}", (rc, round(took, 2), err[-1500:]))

t.done()
