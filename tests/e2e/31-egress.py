#!/usr/bin/env python3
"""fetch egress through the supervisor: the allowlist, the private-address
rule (checked after DNS, on the socket curl opens), schemes, redirects, the
body cap. Uses the test hook __corral_test.fetch, which is the same host door
the runtime's fetch() uses, so this runs with or without the runtime."""
import http.server
import json
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import HOOKS, Tap, run_js  # noqa: E402

t = Tap("31-egress")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/big":
            body = b"x" * (11 << 20)  # corral run caps bodies at 10 MiB
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.end_headers()
            return
        else:
            body = json.dumps({"path": self.path, "ua": self.headers.get("User-Agent"),
                               "x": self.headers.get("X-Test")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if self.path == "/headers":
            out = json.dumps({"headers": [[k.lower(), v] for k, v in self.headers.items()],
                              "body": body.decode(errors="replace")}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        self.send_response(201)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"got " + body)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
port = srv.server_address[1]
threading.Thread(target=srv.serve_forever, daemon=True).start()


def fetch(url, *flags, method="GET", headers=None, body=None):
    # A body still arriving when the head came (more) follows in chunks:
    # the callback is called again (status -1) until more is false.
    code = ("const r = await new Promise(res => { let head = null, parts = []; __corral_test.fetch(%s, %s, %s, %s, "
            "(err, status, text, headers, body, more) => { if (body) parts.push(new TextDecoder().decode(body)); "
            "if (!head) head = {err, status, text, headers}; else if (err) head.err = err; "
            "if (!more) res({...head, body: parts.join(''), chunks: parts.length}); }) });\n"
            "r" % (json.dumps(url), json.dumps(method), json.dumps(headers or []),
                   "new TextEncoder().encode(%s)" % json.dumps(body) if body is not None else "null"))
    rc, r, _ = run_js(code, "--memory", "256", *flags, binary=HOOKS)
    return r.get("result") or {}, r


base = f"http://127.0.0.1:{port}"
res, r = fetch(base + "/a")
t.ok(res.get("err", "").startswith("refused") and "not enabled" in res.get("err", ""), "without an allowlist every fetch is refused", res)
res, r = fetch(base + "/a", "--allow-fetch", "example.org")
t.ok("not on the fetch allowlist" in (res.get("err") or ""), "a host off the allowlist is refused", res)
res, r = fetch(base + "/a", "--allow-fetch", "127.0.0.1")
t.ok("private" in (res.get("err") or ""), "an allowlisted host that is loopback is refused without --allow-private-fetch", res)
res, r = fetch(base + "/a?q=1", "--allow-fetch", "127.0.0.1", "--allow-private-fetch", headers=[["X-Test", "yes"]])
got = json.loads(res.get("body") or "{}")
t.ok(res.get("err") is None and res.get("status") == 200 and got.get("path") == "/a?q=1" and got.get("x") == "yes",
     "allowlisted and explicitly allowed: the request goes through with its headers", res)
flat = res.get("headers", [])
t.ok(["content-type", "application/json"] in [[flat[i].lower(), flat[i + 1]] for i in range(0, len(flat) - 1, 2)],
     "response headers come back", res.get("headers"))
res, r = fetch(base + "/p", "--allow-fetch", "127.0.0.1", "--allow-private-fetch", method="POST", body="hello")
t.eq((res.get("status"), res.get("body")), (201, "got hello"), "POST with a body")
res, r = fetch(base + "/redirect", "--allow-fetch", "127.0.0.1", "--allow-private-fetch")
t.eq(res.get("status"), 302, "redirects are not followed by the supervisor (each hop is checked anew)")
res, r = fetch(base + "/big", "--allow-fetch", "127.0.0.1", "--allow-private-fetch")
t.ok("cap" in (res.get("err") or ""), "a body over the cap is refused", res.get("err"))
res, r = fetch("http://169.254.169.254/latest/meta-data/", "--allow-fetch", "169.254.169.254")
t.ok("private" in (res.get("err") or ""), "the cloud metadata address is refused", res)
res, r = fetch(f"http://localhost:{port}/a", "--allow-fetch", "localhost")
t.ok("private" in (res.get("err") or ""), "a name that resolves to loopback is refused after DNS", res)
res, r = fetch("file:///etc/passwd", "--allow-fetch", "*")
t.ok((res.get("err") or "").startswith("refused"), "file: URLs are refused", res)
res, r = fetch("gopher://127.0.0.1/", "--allow-fetch", "127.0.0.1")
t.ok("only http and https" in (res.get("err") or ""), "other schemes are refused", res)
res, r = fetch(f"http://sub.example.invalid:{port}/", "--allow-fetch", "*.example.invalid")
t.ok("not on the fetch allowlist" not in (res.get("err") or "x"), "*.suffix wildcards match subdomains", res)
rc, r, _ = run_js("__corral_test.fetch('http://a/', 'GE T', [], null, () => {})", binary=HOOKS)
t.eq((r["status"], (r.get("error") or {}).get("name")), ("error", "TypeError"), "a bad method is a TypeError in the sandbox")

# The runtime's fetch() through corral serve, configured by the environment.
from server import Server, ServerError  # noqa: E402
try:
    with Server(env={"ISOLATE_POOL_SIZE": "1", "CORRAL_FETCH_ALLOW": "127.0.0.1",
                     "CORRAL_FETCH_ALLOW_PRIVATE": "true"}, ready=True) as svc:
        code = ("const r = await fetch(%s, {headers: {'X-Test': 'rt'}}); "
                "const j = await r.json(); [r.status, r.ok, r.headers.get('content-type'), j.path, j.x]"
                % json.dumps(base + "/json?z=1"))
        st, obj, _ = svc.json("POST", "/v1/execute", {"code": code})
        t.ok(st == 200 and obj and obj.get("result") == [200, True, "application/json", "/json?z=1", "rt"],
             "serve: fetch() of an allowlisted server gives a Response (status, headers, json)", (st, obj))
        code = "await fetch('http://169.254.169.254/').then(() => 'reached', e => e.cause && e.cause.message)"
        st, obj, _ = svc.json("POST", "/v1/execute", {"code": code})
        t.ok(st == 200 and "not on the fetch allowlist" in str(obj and obj.get("result")),
             "serve: a host off the allowlist is refused with the reason", (st, obj))
        code = ("const r = await fetch(%s, {method: 'POST', body: JSON.stringify({a: 1})}); await r.text()"
                % json.dumps(base + "/p"))
        st, obj, _ = svc.json("POST", "/v1/execute", {"code": code})
        t.eq(obj and obj.get("result"), 'got {"a":1}', "serve: fetch() POST with a body")
        # One worker (pool of 1) serving fetch after fetch, steady state.
        code = ("const r = await fetch(%s); (await r.json()).path" % json.dumps(base + "/json?n=1"))
        bad = []
        for i in range(12):
            st, obj, _ = svc.json("POST", "/v1/execute", {"code": code})
            if st != 200 or not obj or obj.get("status") != "ok" or obj.get("result") != "/json?n=1":
                bad.append((i, st, obj))
        t.ok(not bad, "serve: 12 fetch executions in a row in one worker all succeed", bad[:2])
except ServerError as e:
    t.ok(False, "corral serve starts with CORRAL_FETCH_ALLOW", e)

# A JIT crash once hit the second fetch-using execution in a fresh pool
# worker 30-50% of the time (a `killed` SIGSEGV outcome; docs/design.md,
# Warm-up). Fresh servers, two fetches each. Against that build (31def16) this
# file failed 4 runs of 5, this case alone 2 of 5: a net, not a proof.
# Headers that describe the connection or the framing are the supervisor's
# (curl's) to set: what the sandbox gives is left out (issue 16 point 5).
res, r = fetch(base + "/headers", "--allow-fetch", "127.0.0.1", "--allow-private-fetch", method="POST", body="hello",
               headers=[["Host", "evil.example"], ["Content-Length", "999"], ["Transfer-Encoding", "chunked"],
                        ["Connection", "close"], ["Proxy-Authorization", "Basic eA=="], ["Upgrade", "h2c"],
                        ["X-Test", "kept"], ["User-Agent", "mine/1"], ["Authorization", "Bearer t"]])
try:
    seen = json.loads(res.get("body") or "{}")
except ValueError:
    seen = {}
hs = dict(seen.get("headers", []))
t.ok(res.get("status") == 200 and hs.get("host") == f"127.0.0.1:{port}" and hs.get("content-length") == "5"
     and "transfer-encoding" not in hs and "proxy-authorization" not in hs and "upgrade" not in hs
     and hs.get("connection", "").lower() != "close" and seen.get("body") == "hello",
     "forbidden request headers (Host, Content-Length, Transfer-Encoding, Connection, Proxy-*, Upgrade) are dropped", (res, hs))
t.ok(hs.get("x-test") == "kept" and hs.get("user-agent") == "mine/1" and hs.get("authorization") == "Bearer t",
     "end-to-end headers (X-Test, User-Agent, Authorization) go as given", hs)

code = "const r = await fetch(%s); (await r.json()).path" % json.dumps(base + "/json?n=2")
bad = []
try:
    for rnd in range(10):
        with Server(env={"ISOLATE_POOL_SIZE": "1", "CORRAL_FETCH_ALLOW": "127.0.0.1",
                         "CORRAL_FETCH_ALLOW_PRIVATE": "true"}, ready=True) as svc:
            for i in range(2):
                st, obj, _ = svc.json("POST", "/v1/execute", {"code": code})
                if st != 200 or not obj or obj.get("status") != "ok" or obj.get("result") != "/json?n=2":
                    bad.append((rnd, i, st, obj))
    t.ok(not bad, "serve: the first two fetch executions of a fresh worker succeed (10 fresh servers)", bad[:2])
except ServerError as e:
    t.ok(False, "corral serve starts with CORRAL_FETCH_ALLOW", e)
srv.shutdown()
t.done()
