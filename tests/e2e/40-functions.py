#!/usr/bin/env python3
"""Function mode end to end: deploy real archives over HTTP, refuse every
hostile one with a 400 naming the entry, invoke with Express semantics,
warm workers, version pinning and rollback, env redaction, the fs forms,
and 100 functions without leaking workers past the pool's maximum."""
import io
import json
import time
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import Server, ServerError  # noqa: E402

t = Tap("40-functions")
HERE = os.path.dirname(__file__)

HELLO = {
    "index.js": "const greet = require('./lib/greet.js');\nconst fs = require('fs');\n"
                "module.exports = async function (req, res) {\n"
                "  const data = JSON.parse(await fs.promises.readFile(__dirname + '/data.json', 'utf8'));\n"
                "  res.status(200).json({ message: greet(req.query.name), data, path: req.path });\n};\n",
    "lib/greet.js": "module.exports = (n) => `hello, ${n}`;\n",
    "data.json": '{"answer": 42}\n',
}


def targz(files, prefix=""):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz") as tf:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return b.getvalue()


def zipped(files):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return b.getvalue()


try:
    srv = Server(env={"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "3", "CORRAL_LOG_LEVEL": "warn"},
                 ready=True).start()
except ServerError as e:
    t.ok(False, "corral serve starts", e)
    t.done()


def deploy(name, body, ctype):
    st, h, raw = srv.request("PUT", f"/v1/functions/{name}", body, {"Content-Type": ctype})
    try:
        return st, json.loads(raw)
    except ValueError:
        return st, None


# The acceptance: a tar.gz with index.js, ./lib/greet.js, data.json.
st, obj = deploy("hello", targz(HELLO, "./"), "application/gzip")
t.ok(st == 201 and obj and obj["version"] == 1 and obj["files"] == 3, "a tar.gz deploys (201, version 1, 3 files)", (st, obj))
hello_hash = obj and obj.get("package_hash")
st, h, raw = srv.request("GET", "/fn/hello/x?name=Ann")
t.eq((st, json.loads(raw) if st == 200 else raw), (200, {"message": "hello, Ann", "data": {"answer": 42}, "path": "/x"}),
     "GET /fn/hello/x?name=Ann answers the handler's JSON")
t.ok(h.get("x-corral-execution-id", "").startswith("x_"), "X-Corral-Execution-Id is set", h)
st, h2, raw = srv.request("GET", "/fn/hello/x?name=Ann")
t.eq((st, h.get("x-corral-warm"), h2.get("x-corral-warm")), (200, "0", "1"), "the second call is served warm")

st, obj = deploy("hello-zip", zipped(HELLO), "application/zip")
t.ok(st == 201 and obj["package_hash"] == hello_hash, "the same files as a zip give the same package hash", obj)
st, obj = deploy("hello-json", json.dumps({"files": HELLO}).encode(), "application/json")
t.ok(st == 201 and obj["package_hash"] == hello_hash, "the same files as JSON give the same package hash", obj)
st, h, raw = srv.request("GET", "/fn/hello-json/?name=Jo")
t.ok(st == 200 and b"hello, Jo" in raw, "the JSON-deployed function answers", (st, raw[:200]))
# An invocation's body is held to CORRAL_MAX_BODY_BYTES (1 MiB), not to the
# package cap the HTTP layer lets through for deploys.
st, h, raw = srv.request("POST", "/fn/hello/x", b"x" * (1536 * 1024), {"Content-Type": "text/plain"})
t.ok(st == 413 and b"body_too_large" in raw, "a 1.5 MiB body to /fn is refused with 413", (st, raw[:200]))
st, h, raw = srv.request("GET", "/fn/hello/x?name=Ann")
t.ok(st == 200, "the function still answers after a refused body", (st, raw[:200]))

# The entry must parse (compiled in a sandboxed worker, never run).
st, obj = deploy("broken", json.dumps({"files": {"index.js": "module.exports = (req, res) => {\n  res.send('x'\n};\n"}}).encode(),
                 "application/json")
msg = (obj or {}).get("error", {}).get("message", "")
t.ok(st == 400 and "index.js" in msg and "does not parse" in msg and "line 3" in msg,
     "an entry that does not parse is refused with a 400 naming it and the line", (st, msg))
st, obj = deploy("broken-ts", json.dumps({"files": {"index.ts": "const x: number = ;\nexport default { fetch() {} }"}}).encode(),
                 "application/json")
t.ok(st == 400 and "index.ts" in (obj or {}).get("error", {}).get("message", ""), "so is a TypeScript entry", (st, obj))
st, obj = deploy("sideeffect", json.dumps({"files": {"index.js": "throw new Error('ran at deploy');"}}).encode(),
                 "application/json")
t.eq(st, 201, "checking an entry does not run it (a module that throws at load still deploys)")
st, obj = srv.json("GET", "/v1/functions/broken")[:2]
t.eq(st, 404, "a refused deploy leaves no function behind")

# Every hostile archive of the generated table is refused with a 400 naming it.
with tempfile.TemporaryDirectory() as d:
    subprocess.run([sys.executable, os.path.join(HERE, "..", "helpers", "hostile_archives.py"), d], check=True,
                   capture_output=True)
    manifest = json.load(open(os.path.join(d, "manifest.json")))
    refused = [m for m in manifest if m["expect"] == "refused"]
    bad = []
    for i, m in enumerate(refused):
        body = open(os.path.join(d, m["file"]), "rb").read()
        st, obj = deploy(f"hostile-{i}", body, m["type"])
        msg = (obj or {}).get("error", {}).get("message", "")
        if not (st == 400 and m.get("mentions", "") in msg):
            bad.append((m["file"], st, msg[:120], m.get("mentions")))
    t.ok(len(refused) >= 20 and not bad, f"all {len(refused)} hostile archives are refused with a 400 naming the entry",
         bad[:10])
    st, obj = srv.json("GET", "/v1/functions")[:2]
    names = [f["name"] for f in (obj or {}).get("functions", [])]
    t.ok(not any(n.startswith("hostile-") for n in names), "a refused upload leaves no trace", names)

# Express semantics.
EXPRESS = {"index.js": r"""
module.exports = (req, res) => {
  if (req.path === '/json') return res.status(201).set('X-A', '1').json({ body: req.body, q: req.query, m: req.method });
  if (req.path === '/buf') return res.send(Buffer.from('bytes'));
  if (req.path === '/str') return res.type('text/plain').send('text');
  if (req.path === '/stream') { res.write('a'); setTimeout(() => { res.write('b'); res.end('c'); res.end('ignored'); }, 20); return; }
  if (req.path === '/throw') throw new Error('handler broke');
  if (req.path === '/secret') return res.set('X-Key', process.env.API_KEY).send('key=' + process.env.API_KEY);
  if (req.path === '/hang') return;
  res.status(404).end();
};
"""}
st, obj = deploy("ex", json.dumps({"files": EXPRESS, "env": {"API_KEY": "sk-very-secret-123"}, "timeout_ms": 1000}).encode(),
                 "application/json")
t.eq(st, 201, "an Express-style handler deploys with env")
st, h, raw = srv.request("POST", "/fn/ex/json?a=1&b=2", json.dumps({"x": [1, 2]}).encode(), {"Content-Type": "application/json"})
t.eq((st, h.get("x-a"), json.loads(raw) if st == 201 else raw), (201, "1", {"body": {"x": [1, 2]}, "q": {"a": "1", "b": "2"}, "m": "POST"}),
     "status chaining, set(), json(), JSON body parsing, query")
st, h, raw = srv.request("GET", "/fn/ex/buf")
t.eq((st, raw, h.get("content-type")), (200, b"bytes", "application/octet-stream"), "res.send(Buffer)")
st, h, raw = srv.request("GET", "/fn/ex/str")
t.eq((st, raw), (200, b"text"), "res.type().send(string)")
st, h, raw = srv.request("GET", "/fn/ex/stream")
t.eq((st, raw), (200, b"abc"), "res.write streams, a second end is ignored")
st, h, raw = srv.request("GET", "/fn/ex/throw")
t.ok(st == 500 and b"handler broke" in raw, "a throwing handler is a 500 with the error", (st, raw[:200]))
st, h, raw = srv.request("GET", "/fn/ex/secret")
t.ok(st == 200 and b"sk-very-secret-123" not in raw and b"[REDACTED:API_KEY]" in raw and
     "sk-very-secret-123" not in h.get("x-key", ""),
     "env reaches the code and its value is redacted from the response body and headers", (raw, h.get("x-key")))
st, h, raw = srv.request("GET", "/fn/ex/hang")
t.eq(st, 504, "a handler that never answers is a 504 at its timeout")
st, obj = srv.json("GET", "/v1/functions/ex/env")[:2]
t.eq(obj, {"names": ["API_KEY"]}, "reading the env gives names only")

st, obj = srv.json("PUT", "/v1/functions/ex/env", {"API_KEY": "sk-rotated-456789", "MODE": "blue"})[:2]
# (The value itself would be redacted from the response: compare inside.)
EXMODE = {"index.js": "module.exports = (req, res) => res.send(process.env.MODE === 'green' ? 'yes' : 'no');"}
st, obj = deploy("envy", json.dumps({"files": EXMODE, "env": {"MODE": "red"}}).encode(), "application/json")
st, h, raw = srv.request("GET", "/fn/envy/")
st2, obj = srv.json("PUT", "/v1/functions/envy/env", {"MODE": "green"})[:2]
st3, h, raw2 = srv.request("GET", "/fn/envy/")
t.eq((raw, st2, raw2), (b"no", 200, b"yes"), "an env change reaches the next invocation (no stale env in a warm worker)")

# The package as a read-only file system, in all three forms, and a private /tmp.
FS = {"index.js": r"""
const fs = require('fs');
module.exports = async (req, res) => {
  const sync = fs.readFileSync('/data/a.txt', 'utf8');
  const cb = await new Promise((ok, ko) => fs.readFile('/data/a.txt', 'utf8', (e, d) => e ? ko(e) : ok(d)));
  const pr = await fs.promises.readFile('/data/a.txt', 'utf8');
  const dir = fs.readdirSync('/data', { withFileTypes: true }).map(d => d.name + (d.isDirectory() ? '/' : ''));
  const st = fs.statSync('/data/a.txt');
  let rofs = null; try { fs.writeFileSync('/data/b.txt', 'x') } catch (e) { rofs = e.code }
  let out = null; try { fs.readFileSync('/etc/passwd') } catch (e) { out = e.code }
  fs.writeFileSync('/tmp/t.txt', 'temp');
  const tmp = fs.readFileSync('/tmp/t.txt', 'utf8');
  res.json({ sync, cb, pr, dir, size: st.size, file: st.isFile(), rofs, out, tmp, exists: fs.existsSync('/data/a.txt') });
};
""", "data/a.txt": "alpha", "data/sub/c.txt": "c"}
st, obj = deploy("fsy", json.dumps({"files": FS}).encode(), "application/json")
st, h, raw = srv.request("GET", "/fn/fsy/")
t.eq((st, json.loads(raw) if st == 200 else raw),
     (200, {"sync": "alpha", "cb": "alpha", "pr": "alpha", "dir": ["a.txt", "sub/"], "size": 5, "file": True,
            "rofs": "EROFS", "out": "ENOENT", "tmp": "temp", "exists": True}),
     "fs: sync, callback and promises forms; readdir withFileTypes; stat; EROFS; ENOENT outside; a writable /tmp")
st, h, raw = srv.request("GET", "/fn/fsy/")
t.ok(st == 200 and b'"tmp":"temp"' in raw, "/tmp is the invocation's own (a second call starts empty and writes again)", raw)

# fetch-style handler with a streamed body.
FETCHY = {"index.mjs": """
export default {
  async fetch(request) {
    const url = new URL(request.url, 'http://x');
    const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('one,')); c.enqueue(new TextEncoder().encode('two')); c.close(); } });
    return new Response(stream, { status: 202, headers: { 'content-type': 'text/plain', 'x-path': url.pathname } });
  }
};
"""}
st, obj = deploy("fetchy", json.dumps({"files": FETCHY}).encode(), "application/json")
st, h, raw = srv.request("GET", "/fn/fetchy/p")
t.eq((st, raw, h.get("x-path")), (202, b"one,two", "/p"), "export default { fetch } with a streamed Response body")

# Version pinning and rollback.
V2 = dict(HELLO)
V2["lib/greet.js"] = "module.exports = (n) => `hi, ${n}`;\n"
st, obj = deploy("hello", targz(V2), "application/gzip")
t.eq((st, obj and obj["version"]), (201, 2), "a new upload is version 2")
st, h, raw = srv.request("GET", "/fn/hello/?name=A")
t.ok(b"hi, A" in raw, "the latest version serves, never stale code", raw)
st, h, raw = srv.request("GET", "/fn/hello@1/?name=A")
t.ok(b"hello, A" in raw, "/fn/hello@1 pins version 1", raw)
st, obj = srv.json("PUT", "/v1/functions/hello/latest", {"version": 1})[:2]
st2, h, raw = srv.request("GET", "/fn/hello/?name=A")
t.ok(st == 200 and b"hello, A" in raw, "rollback points latest back at version 1", (st, raw))

# The JSON envelope.
st, obj = srv.json("POST", "/v1/functions/hello/run", {"method": "GET", "path": "/r", "query": "name=Env"})[:2]
t.ok(st == 200 and obj["status"] == "ok" and obj["response"]["status"] == 200 and "hello, Env" in obj["response"]["body"],
     "POST /v1/functions/{name}/run gives the JSON envelope", obj)

# 100 functions, called alternately, stay within ISOLATE_MAX_POOL_SIZE.
ok = 0
for i in range(100):
    st, obj = deploy(f"f{i}", json.dumps({"files": {"index.js": f"module.exports = (q, s) => s.send('f{i}');"}}).encode(),
                     "application/json")
for rnd in range(2):
    for i in range(100):
        st, h, raw = srv.request("GET", f"/fn/f{i}/")
        ok += st == 200 and raw == f"f{i}".encode()
t.eq(ok, 200, "100 functions deployed and invoked alternately all answer")
kids = []
for k in open(f"/proc/{srv.pid}/task/{srv.pid}/children").read().split():
    try:
        if b"\0worker\0" in open(f"/proc/{k}/cmdline", "rb").read():
            kids.append(k)
    except OSError:
        pass
t.ok(len(kids) <= 3, f"workers never exceed ISOLATE_MAX_POOL_SIZE (3): {len(kids)}")
st, obj = srv.json("GET", "/v1/metrics")[:2]
mc = (obj or {}).get("moduleCache", {})
t.ok(mc.get("hits", 0) >= 5 and mc.get("misses", 0) >= 100 and 0 < mc.get("hitRate", 0) < 1 and mc.get("evictions", 0) >= 90,
     "moduleCache in /v1/metrics counts warm hits, cold misses and evictions", mc)
st, obj = srv.json("DELETE", "/v1/functions/f0")[:2]
st2, h, raw = srv.request("GET", "/fn/f0/")
t.eq((st, st2), (204, 404), "DELETE removes a function")
srv.stop()

# ENABLE_MODULE_CACHE=false: every invocation starts cold.
try:
    with Server(env={"ISOLATE_POOL_SIZE": "1", "ENABLE_MODULE_CACHE": "false", "CORRAL_LOG_LEVEL": "warn"},
                ready=True) as s2:
        s2.request("PUT", "/v1/functions/c", json.dumps({"files": {"index.js": "module.exports = (q, s) => s.send('c')"}}).encode(),
                   {"Content-Type": "application/json"})
        warm = [s2.request("GET", "/fn/c/")[1].get("x-corral-warm") for _ in range(3)]
        t.eq(warm, ["0", "0", "0"], "ENABLE_MODULE_CACHE=false: no invocation is served warm")
except ServerError as e:
    t.ok(False, "corral serve starts with ENABLE_MODULE_CACHE=false", e)

# MODULE_CACHE_MAX_SIZE: at most that many workers hold a loaded function.
try:
    with Server(env={"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "6", "MODULE_CACHE_MAX_SIZE": "2",
                     "CORRAL_LOG_LEVEL": "warn"}, ready=True) as s3:
        for i in range(4):
            s3.request("PUT", f"/v1/functions/m{i}",
                       json.dumps({"files": {"index.js": f"module.exports = (q, s) => s.send('m{i}')"}}).encode(),
                       {"Content-Type": "application/json"})
            s3.request("GET", f"/fn/m{i}/")
        time.sleep(0.5)
        mc = (s3.json("GET", "/v1/metrics")[1] or {}).get("moduleCache", {})
        t.ok(mc.get("size", 99) <= 2 and mc.get("evictions", 0) >= 2,
             "MODULE_CACHE_MAX_SIZE=2: 4 functions called, at most 2 stay loaded, the others evicted", mc)
except ServerError as e:
    t.ok(False, "corral serve starts with MODULE_CACHE_MAX_SIZE=2", e)
t.done()
