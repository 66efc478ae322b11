#!/usr/bin/env python3
"""A tenant's egress policy (issue 14 point 2): PUT /v1/settings
{"egress": {"allow": [...]}} narrows the service's CORRAL_FETCH_ALLOW for that
tenant's code (code mode, functions, bundles), never widens it; a refusal is
a TypeError naming the host and the rule; bad patterns are a 400 naming the
entry; another tenant is not affected; null lifts the narrowing."""
import http.server
import json
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import api_error, corral_keys, start_or_fail  # noqa: E402

t = Tap("43-egress-tenant")


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        body = f"port {self.server.server_address[1]}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ups = []
for _ in range(2):
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    ups.append(s.server_address[1])
P1, P2 = ups

FETCH = ("const out = []; for (const u of %s) { try { out.push(await (await fetch(u)).text()); } "
         "catch (e) { out.push(e.name + ': ' + (e.cause ? e.cause.message : e.message)); } } out")


def run_fetches(srv, urls, headers=None):
    st, r, _ = srv.json("POST", "/v1/execute", {"code": FETCH % json.dumps(urls)}, headers=headers)
    return st, (r or {}).get("result"), r


dd = tempfile.mkdtemp(prefix="corral-e2e-egress-")
rc1, k1, _ = corral_keys(dd, "create", "--tenant", "ta")
rc2, k2, _ = corral_keys(dd, "create", "--tenant", "tb")
A, B = {"Authorization": "Bearer " + k1.strip()}, {"Authorization": "Bearer " + k2.strip()}
srv = start_or_fail(t, "a server with a service allowlist of 127.0.0.1 starts", data_dir=dd, ready=True,
                    env={"ISOLATE_POOL_SIZE": "1", "CORRAL_LOG_LEVEL": "warn", "CORRAL_FETCH_ALLOW": "127.0.0.1",
                         "CORRAL_FETCH_ALLOW_PRIVATE": "true"})
if srv:
    u1, u2 = f"http://127.0.0.1:{P1}/", f"http://127.0.0.1:{P2}/"
    st, res, r = run_fetches(srv, [u1, u2], A)
    t.eq((st, res), (200, [f"port {P1}", f"port {P2}"]), "without a tenant policy the service's allowlist applies")

    st, obj, _ = srv.json("PUT", "/v1/settings", {"egress": {"allow": [f"127.0.0.1:{P1}"]}}, headers=A)
    t.eq(st, 200, "PUT /v1/settings with egress.allow", )
    st, obj, _ = srv.json("GET", "/v1/settings", headers=A)
    t.eq((obj or {}).get("egress"), {"allow": [f"127.0.0.1:{P1}"]}, "GET /v1/settings shows it")
    st, res, r = run_fetches(srv, [u1, u2], A)
    t.ok(st == 200 and res and res[0] == f"port {P1}" and res[1].startswith("TypeError: refused: 127.0.0.1:%d" % P2)
         and "tenant's egress allowlist" in res[1], "the tenant's list narrows: its port goes, the other is a TypeError naming host, port and rule", res)
    st, res, r = run_fetches(srv, [u1, u2], B)
    t.eq(res, [f"port {P1}", f"port {P2}"], "another tenant is not narrowed")

    # Never wider than the service's list.
    srv.json("PUT", "/v1/settings", {"egress": {"allow": ["127.0.0.1", "example.org"]}}, headers=A)
    st, res, r = run_fetches(srv, ["http://example.org/"], A)
    t.ok(res and "not on the fetch allowlist (CORRAL_FETCH_ALLOW)" in res[0], "a host the service refuses stays refused", res)

    # A function of the tenant is held to it too.
    srv.json("PUT", "/v1/settings", {"egress": {"allow": [f"127.0.0.1:{P2}"]}}, headers=A)
    code = ("module.exports = async (req, res) => { const out = []; for (const u of %s) { try { out.push(await (await fetch(u)).text()); } "
            "catch (e) { out.push('refused'); } } res.json(out); };" % json.dumps([u1, u2]))
    st, obj, _ = srv.json("PUT", "/v1/functions/f", {"files": {"index.js": code}}, headers=A)
    st2, _, raw = srv.request("GET", "/fn/f/", headers=A)
    t.ok(st == 201 and st2 == 200 and json.loads(raw) == ["refused", f"port {P2}"], "a function's fetches follow its tenant's policy", (st, st2, raw[:200]))

    for bad, why in [({"allow": "x"}, "not an array"), ({"allow": ["a*b.com"]}, "a star inside"), ({"allow": ["h:99999"]}, "a bad port"),
                     ({"allow": [""]}, "empty"), ({"allow": [], "deny": []}, "another key"), ({"allow": ["bad host"]}, "a space")]:
        st, obj, _ = srv.json("PUT", "/v1/settings", {"egress": bad}, headers=A)
        e = api_error(obj) or ("", "", "")
        t.ok(st == 400 and e[0] == "invalid_field" and e[2].startswith("egress"), f"egress with {why}: 400 naming egress", (st, obj))
    srv.json("PUT", "/v1/settings", {"egress": None}, headers=A)
    st, res, r = run_fetches(srv, [u1, u2], A)
    t.eq(res, [f"port {P1}", f"port {P2}"], "egress: null lifts the narrowing")
    srv.stop()
t.done()
