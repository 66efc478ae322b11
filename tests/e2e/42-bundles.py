#!/usr/bin/env python3
"""Ad-hoc bundles (issue 14 point 1): PUT /v1/bundles validates a bundle as a
function upload and answers its content hash; POST /v1/bundles/{hash}/fetch
runs its fetch handler and answers with the handler's Response, streamed
chunk by chunk; an unknown hash is 404 bundle_not_found; a tenant runs only
its own hashes; bundles bigger than code mode's cap work."""
import base64
import gzip
import http.client
import io
import json
import os
import re
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import api_error, corral_keys, start_or_fail  # noqa: E402

t = Tap("42-bundles")

AGENT = r"""
export default {
  async fetch(req) {
    const url = new URL(req.url);
    const body = req.method === 'POST' ? await req.json() : null;
    const enc = new TextEncoder();
    const words = ['Hello', ', ', body ? body.name : 'world', ` (${req.method} ${url.pathname}${url.search}, ${process.env.GREETING || 'no env'})`];
    const stream = new ReadableStream({
      async start(c) {
        for (const w of words) { c.enqueue(enc.encode(w)); await new Promise((r) => setTimeout(r, 150)); }
        c.close();
      },
    });
    return new Response(stream, { status: 201, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-agent': 'yes' } });
  },
};
"""


def put(srv, body, ctype, headers=None):
    h = {"Content-Type": ctype}
    h.update(headers or {})
    st, hd, raw = srv.request("PUT", "/v1/bundles", body if isinstance(body, bytes) else body.encode(), h)
    try:
        obj = json.loads(raw)
    except ValueError:
        obj = None
    return st, obj


def fetch(srv, h, obj, headers=None):
    """(status, headers, [(seconds since the request, chunk)])."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    hd = {"Content-Type": "application/json", "Host": "localhost"}
    hd.update(headers or {})
    t0 = time.monotonic()
    c.request("POST", f"/v1/bundles/{h}/fetch", json.dumps(obj), hd)
    r = c.getresponse()
    chunks = []
    while True:
        b = r.read1(65536)
        if not b:
            break
        chunks.append((time.monotonic() - t0, b))
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, chunks


srv = start_or_fail(t, "a server starts", env={"ISOLATE_POOL_SIZE": "1", "CORRAL_LOG_LEVEL": "warn"}, ready=True)
if srv:
    st, obj = put(srv, AGENT, "application/javascript")
    h = (obj or {}).get("hash", "")
    t.ok(st == 201 and re.fullmatch(r"[0-9a-f]{64}", h) and obj.get("entry") == "index.js" and obj.get("files") == 1,
         "PUT /v1/bundles with one JS file answers 201 with its content hash", (st, obj))
    st2, obj2 = put(srv, AGENT, "text/javascript")
    t.ok(st2 == 200 and (obj2 or {}).get("hash") == h, "the same bundle again: 200, the same hash", (st2, obj2))

    req = {"request": {"method": "POST", "url": "/chat/s1?x=1", "headers": {"content-type": "application/json"},
                       "body": json.dumps({"name": "Ann"})}, "env": {"GREETING": "hi"}}
    st, hd, chunks = fetch(srv, h, req)
    text = b"".join(c for _, c in chunks).decode()
    t.ok(st == 201 and hd.get("x-agent") == "yes" and hd.get("content-type", "").startswith("text/plain"),
         "the handler's status and headers are the HTTP response's", (st, hd))
    t.eq(text, "Hello, Ann (POST /chat/s1?x=1, hi)", "the body: the request's method, path, query, body and env reached the handler")
    t.ok(len(chunks) >= 3 and chunks[-1][0] - chunks[0][0] > 0.3,
         "the response streams: the first chunk arrives well before the last", [(round(s, 2), c) for s, c in chunks])
    st, hd, chunks = fetch(srv, h, {"request": {"url": "https://example.org/a/b?c=d"}, "env": {"GREETING": "hi"}})
    t.ok(st == 201 and hd.get("x-corral-warm") == "1" and b"".join(c for _, c in chunks).decode() ==
         "Hello, world (GET /a/b?c=d, hi)", "a second request (same env) finds the bundle loaded (X-Corral-Warm: 1); an absolute URL's path and query",
         (st, hd.get("x-corral-warm"), chunks))

    # Other package forms: JSON files with a require, a tar.gz; an Express-style handler.
    files = {"files": {"index.js": "const lib = require('./lib.js');\nmodule.exports = (req, res) => res.json({ got: lib.twice(21), path: req.path });",
                       "lib.js": "exports.twice = (n) => n * 2;"}}
    st, obj = put(srv, json.dumps(files), "application/json")
    h2 = (obj or {}).get("hash", "")
    st3, hd3, ch3 = fetch(srv, h2, {"request": {"method": "GET", "path": "/p", "query": "q=1"}})
    t.ok(st == 201 and st3 == 200 and json.loads(b"".join(c for _, c in ch3)) == {"got": 42, "path": "/p"},
         "the JSON files form with a require; an Express-style (req, res) handler", (st, obj, st3, ch3))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        data = b"export default { fetch: () => new Response('from tar') }"
        ti = tarfile.TarInfo("index.js")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    st, obj = put(srv, buf.getvalue(), "application/gzip")
    st4, _, ch4 = fetch(srv, (obj or {}).get("hash", ""), {"request": {}})
    t.ok(st == 201 and st4 == 200 and b"".join(c for _, c in ch4) == b"from tar", "a tar.gz bundle", (st, obj, st4, ch4))

    # Bigger than code mode's snippet cap (100 KiB): a 1.2 MB bundle.
    big = "const table = " + json.dumps(["x" * 100] * 12000) + ";\nexport default { fetch: () => new Response(String(table.length)) };"
    st, obj = put(srv, big, "application/javascript")
    st5, _, ch5 = fetch(srv, (obj or {}).get("hash", ""), {"request": {}})
    t.ok(len(big) > 1_000_000 and st == 201 and st5 == 200 and b"".join(c for _, c in ch5) == b"12000",
         f"a {len(big) >> 10} KB bundle uploads and runs", (st, obj, st5))

    # Refused as function uploads are.
    st, obj = put(srv, "export default { fetch( }", "application/javascript")
    t.ok(st == 400 and (api_error(obj) or ("",))[0] == "invalid_package" and "index.js" in json.dumps(obj),
         "an entry that does not parse: 400 invalid_package naming it", (st, obj))
    st, obj = put(srv, json.dumps({"files": {"../escape.js": "1"}}), "application/json")
    t.ok(st == 400 and (api_error(obj) or ("",))[0] == "invalid_package", "a path outside the package: 400", (st, obj))
    st, obj = put(srv, "x", "text/plain")
    t.ok(st == 415, "another content type: 415", (st, obj))

    # The fetch route's own errors.
    st, _, ch = fetch(srv, "a" * 64, {"request": {}})
    body = json.loads(b"".join(c for _, c in ch) or b"{}")
    t.ok(st == 404 and (api_error(body) or ("",))[0] == "bundle_not_found", "an unknown hash: 404 bundle_not_found", (st, body))
    st, _, ch = fetch(srv, "nothex", {"request": {}})
    t.eq(st, 404, "a malformed hash: 404")
    for bad, field in [({}, "request"), ({"request": {}, "extra": 1}, "extra"), ({"request": {}, "timeout_ms": 0}, "timeout_ms"),
                       ({"request": {}, "env": {"A=B": "x"}}, "env")]:
        st, _, ch = fetch(srv, h, bad)
        e = api_error(json.loads(b"".join(c for _, c in ch) or b"{}")) or ("", "", "")
        t.ok(st == 400 and e[2] == field, f"a bad fetch body is 400 naming '{field}'", (st, e))
    st, _, _ = srv.request("GET", f"/v1/bundles/{h}/fetch")
    t.eq(st, 405, "GET on the fetch route: 405")
    srv.stop()

# Tenants: B cannot run A's hash.
dd = tempfile.mkdtemp(prefix="corral-e2e-bundles-")
rc1, k1, _ = corral_keys(dd, "create", "--tenant", "ta")
rc2, k2, _ = corral_keys(dd, "create", "--tenant", "tb")
k1, k2 = k1.strip(), k2.strip()
srv = start_or_fail(t, "a server with two tenants starts", data_dir=dd, env={"ISOLATE_POOL_SIZE": "1", "CORRAL_LOG_LEVEL": "warn"}, ready=True)
if srv:
    A, B = {"Authorization": "Bearer " + k1}, {"Authorization": "Bearer " + k2}
    st, obj = put(srv, "export default { fetch: () => new Response('tenant a') }", "application/javascript", A)
    ha = (obj or {}).get("hash", "")
    sa, _, cha = fetch(srv, ha, {"request": {}}, A)
    sb, _, chb = fetch(srv, ha, {"request": {}}, B)
    t.ok(st == 201 and sa == 200 and b"".join(c for _, c in cha) == b"tenant a", "tenant A runs its bundle", (st, sa, cha))
    t.ok(sb == 404 and b"bundle_not_found" in b"".join(c for _, c in chb), "tenant B gets 404 bundle_not_found for A's hash", (sb, chb))
    st, _, _ = fetch(srv, ha, {"request": {}})
    t.eq(st, 401, "without a key: 401")
    srv.stop()
t.done()
