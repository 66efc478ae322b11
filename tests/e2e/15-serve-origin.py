#!/usr/bin/env python3
"""What a web page can make the service do (docs/api.md, "Requests from
browsers"): a form or a no-cors fetch cannot run code (bodies must be
labelled JSON), another site's requests are refused unless allowed (then
CORS, preflights included), and a keyless service answers only names that
cannot be rebound by DNS."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import corral_keys, start_or_fail  # noqa: E402

t = Tap("15-serve-origin")
CODE = json.dumps({"code": "6 * 7"})


def err_code(raw):
    try:
        return json.loads(raw)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


srv = start_or_fail(t, "a keyless server starts", env={"ISOLATE_POOL_SIZE": "1", "CORRAL_LOG_LEVEL": "warn",
                                                        "CORRAL_ALLOWED_ORIGINS": "http://app.test:3000",
                                                        "CORRAL_ALLOWED_HOSTS": "corral.internal"},
                    ready=True)
if srv:
    here = f"127.0.0.1:{srv.port}"
    # 1. Bodies must be labelled JSON: what a form (or a no-cors fetch) sends is refused.
    for label, ctype, body in [
        ("a form's application/x-www-form-urlencoded", "application/x-www-form-urlencoded", CODE),
        ("text/plain (a no-cors fetch's string body)", "text/plain", CODE),
        ("multipart/form-data", "multipart/form-data; boundary=x", CODE),
        ("no Content-Type at all", None, CODE),
    ]:
        for path in ("/v1/execute", "/api/execute", "/v1/sessions"):
            st, _, raw = srv.request("POST", path, body, {"Content-Type": ctype})
            t.ok(st == 415 and (err_code(raw) == "unsupported_media_type" or path == "/api/execute"),
                 f"{label} on POST {path}: 415", (st, raw[:200]))
    st, _, raw = srv.request("PUT", "/v1/settings", json.dumps({"validation": {}}), {"Content-Type": "text/plain"})
    t.eq((st, err_code(raw)), (415, "unsupported_media_type"), "text/plain on PUT /v1/settings: 415")
    st, _, raw = srv.request("POST", "/v1/execute", CODE, {"Content-Type": "application/json; charset=utf-8"})
    t.eq((st, json.loads(raw).get("result") if st == 200 else raw), (200, 42), "control: application/json; charset=utf-8 runs")
    st, _, raw = srv.request("POST", "/v1/sessions", None, {})
    t.ok(st in (200, 201), "control: a POST with no body needs no Content-Type (a session with defaults)", (st, raw[:200]))

    # 2. Another site's requests are refused, whatever their type.
    for label, hdrs in [
        ("Origin of another site", {"Origin": "http://evil.example"}),
        ("Origin of another port on localhost", {"Origin": f"http://127.0.0.1:{srv.port + 1}"}),
        ("Origin: null (a sandboxed frame)", {"Origin": "null"}),
        ("Sec-Fetch-Site: cross-site without Origin", {"Sec-Fetch-Site": "cross-site"}),
        ("a same-origin Origin but Sec-Fetch-Site: cross-site", {"Origin": f"http://{here}", "Sec-Fetch-Site": "cross-site"}),
    ]:
        st, h, raw = srv.request("POST", "/v1/execute", CODE, hdrs)
        t.ok(st == 403 and err_code(raw) == "origin_not_allowed" and "access-control-allow-origin" not in h,
             f"{label}: 403 origin_not_allowed, no CORS header", (st, raw[:200]))
    st, _, raw = srv.request("GET", "/v1/functions", None, {"Origin": "http://evil.example"})
    t.eq((st, err_code(raw)), (403, "origin_not_allowed"), "a cross-site GET of the function list: 403")
    st, _, raw = srv.request("GET", "/v1/functions", None, {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})
    t.eq(st, 200, "a top-level navigation (GET, Sec-Fetch-Mode: navigate) from another site passes")
    st, _, raw = srv.request("POST", "/v1/execute", CODE, {"Origin": f"http://{here}", "Sec-Fetch-Site": "same-origin"})
    t.eq(st, 200, "a same-origin page (Origin is this service) runs code")

    # 3. An allowed origin gets CORS: preflight and answer.
    st, h, raw = srv.request("OPTIONS", "/v1/execute", None, {
        "Origin": "http://app.test:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization"})
    t.ok(st == 204 and h.get("access-control-allow-origin") == "http://app.test:3000"
         and "POST" in h.get("access-control-allow-methods", "")
         and "content-type" in h.get("access-control-allow-headers", "").lower()
         and "authorization" in h.get("access-control-allow-headers", "").lower(),
         "an allowed origin's preflight: 204 with Allow-Origin, -Methods and -Headers", (st, h))
    st, h, raw = srv.request("POST", "/v1/execute", CODE, {"Origin": "http://app.test:3000"})
    t.ok(st == 200 and h.get("access-control-allow-origin") == "http://app.test:3000" and "origin" in h.get("vary", "").lower()
         and "x-corral-execution-id" in h.get("access-control-expose-headers", "").lower(),
         "an allowed origin's request runs and carries Allow-Origin, Vary and the exposed headers", (st, h))
    st, h, raw = srv.request("OPTIONS", "/v1/execute", None, {"Origin": "http://evil.example",
                                                              "Access-Control-Request-Method": "POST"})
    t.ok(st == 403 and "access-control-allow-origin" not in h, "another origin's preflight: 403", (st, h))

    # 4. DNS rebinding: a keyless service answers only names that cannot be rebound.
    for host, want in [("evil.example:%d", 403), ("rebind.attacker.test", 403),
                       ("localhost:%d", 200), ("LOCALHOST", 200), ("app.localhost:%d", 200),
                       ("127.0.0.1:%d", 200), ("[::1]:%d", 200), ("10.1.2.3", 200),
                       ("corral.internal:%d", 200)]:
        hv = host % srv.port if "%d" in host else host
        st, _, raw = srv.request("POST", "/v1/execute", CODE, {"Host": hv})
        t.ok(st == want and (want == 200 or err_code(raw) == "host_not_allowed"),
             f"keyless, Host {hv}: {want}", (st, raw[:200]))
    st, _, raw = srv.request("GET", "/v1/functions", None, {"Host": "evil.example"})
    t.eq((st, err_code(raw)), (403, "host_not_allowed"), "keyless, a rebound GET of the function list: 403")
    # A rebound page is same-origin with itself: Origin matches Host. The Host rule stops it.
    st, _, raw = srv.request("POST", "/v1/execute", CODE, {"Host": f"evil.example:{srv.port}",
                                                           "Origin": f"http://evil.example:{srv.port}"})
    t.eq((st, err_code(raw)), (403, "host_not_allowed"), "keyless, a rebound page that is 'same-origin': 403")
    t.eq(srv.server_errors(), [], "no 5xx")
    srv.stop()

# 5. With API keys, a page has no key: any Host is served; Origin still applies.
dd = tempfile.mkdtemp(prefix="corral-e2e-origin-")
try:
    rc, out, err = corral_keys(dd, "create", "--tenant", "t1")
    key = out.strip()
    srv = start_or_fail(t, "a server with an API key starts", data_dir=dd,
                        env={"ISOLATE_POOL_SIZE": "1", "CORRAL_LOG_LEVEL": "warn"}, ready=True)
    if srv and key:
        auth = {"Authorization": "Bearer " + key}
        st, _, raw = srv.request("POST", "/v1/execute", CODE, dict(auth, Host="corral.example.com"))
        t.eq(st, 200, "with keys: a Host name (behind a proxy) is served")
        st, _, raw = srv.request("POST", "/v1/execute", CODE, dict(auth, Origin="http://evil.example"))
        t.eq((st, err_code(raw)), (403, "origin_not_allowed"), "with keys: another site's request is still 403")
        st, _, raw = srv.request("POST", "/v1/execute", CODE, {"Host": "corral.example.com"})
        t.eq(st, 401, "with keys: without the key, 401")
    if srv:
        srv.stop()
finally:
    shutil.rmtree(dd, ignore_errors=True)
t.done()
