#!/usr/bin/env python3
"""Node's http/https client over fetch (issue 13 point 9): each program runs
in Node and in `corral run` against the same local server, and the stdouts
must match byte for byte: http.request/http.get with their events and
streams, request bodies written in parts, a streamed response read as it
arrives, destroy(), timeouts, a refused connection, https.request's
protocol check. Then what only corral does: net, tls, dns and http2 load
and refuse sockets with ERR_CORRAL_FORBIDDEN, http.createServer refuses,
and child_process, worker_threads and vm refuse at require; a host off the
allowlist is an error, not a request."""
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap, run_js  # noqa: E402

t = Tap("41-node-http")
NODE = shutil.which("node")
released = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/release":
            released.set()
            return self.send(200, b"released")
        if self.path.startswith("/hello"):
            return self.send(200, json.dumps({"path": self.path, "x": self.headers.get("X-Test"),
                                              "auth": self.headers.get("Authorization")}).encode(),
                             "application/json", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X-Multi", "one")])
        if self.path == "/sse":
            released.clear()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(2):
                d = f"data: tok{i}\n\n".encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(d), d))
                self.wfile.flush()
                time.sleep(0.05)
            ok = released.wait(2.0)
            d = b"data: " + (b"streamed" if ok else b"buffered") + b"\n\n"
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(d), d))
            return
        if self.path == "/slow":
            time.sleep(1.5)
            try:
                return self.send(200, b"late")
            except OSError:
                return
        self.send(404, b"nope")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        self.send(201, json.dumps({"len": n, "body": body.decode(), "type": self.headers.get("Content-Type")}).encode(),
                  "application/json")


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
threading.Thread(target=srv.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{srv.server_address[1]}"
s = socket.socket()
s.bind(("127.0.0.1", 0))
CLOSED = s.getsockname()[1]  # bound, never listening: connections are refused
FLAGS = ("--allow-fetch", "127.0.0.1", "--allow-private-fetch", "--timeout", "8000")

PRELUDE = f"const BASE = {json.dumps(BASE)}; const CLOSED = {CLOSED};\n"

PROGRAMS = {
    "get with headers, auth, events and setEncoding": r"""
const http = require('http');
const req = http.request(BASE + '/hello?q=1', { headers: { 'X-Test': 'yes' }, auth: 'ann:pw' }, (res) => {
  console.log(res.statusCode, res.statusMessage, res.headers['content-type'], res.headers['set-cookie'], res.headers['x-multi']);
  res.setEncoding('utf8');
  let body = '';
  res.on('data', (c) => { body += c; });
  res.on('end', () => { console.log('end', res.complete, body); });
});
req.on('finish', () => console.log('finish'));
req.on('close', () => console.log('close'));
console.log(req.method, req.path, req.getHeader('x-test'), req.hasHeader('X-TEST'), req.getHeaderNames());
req.end();
""",
    "options object, a body written in parts, JSON back": r"""
const http = require('http');
const u = new URL(BASE);
const req = http.request({ hostname: u.hostname, port: u.port, path: '/echo', method: 'POST',
  headers: { 'Content-Type': 'application/json', 'Content-Length': 11 } }, (res) => {
  const parts = [];
  res.on('data', (c) => parts.push(c));
  res.on('end', () => console.log(res.statusCode, Buffer.concat(parts).toString()));
});
req.write('{"a":');
req.write(Buffer.from('[1,2]'));
req.end('}', () => console.log('end callback'));
""",
    "http.get of a stream: data before the upstream finishes": r"""
const http = require('http');
let released = false;
http.get(BASE + '/sse', (res) => {
  res.on('data', (c) => {
    console.log('data', JSON.stringify(c.toString()));
    if (!released) { released = true; http.get(BASE + '/release', (r) => r.resume()); }
  });
  res.on('end', () => console.log('end'));
});
""",
    "a 404 is a response, not an error; pipe into a Writable": r"""
const http = require('http');
const { Writable } = require('stream');
http.get(BASE + '/missing', (res) => {
  let got = '';
  res.pipe(new Writable({ write(c, e, cb) { got += c; cb(); }, final(cb) { console.log(res.statusCode, got); cb(); } }));
}).on('error', (e) => console.log('error', e.message));
""",
    "a refused connection is an ECONNREFUSED error": r"""
const http = require('http');
const req = http.get(`http://127.0.0.1:${CLOSED}/`, () => console.log('response?'));
req.on('error', (e) => console.log('error', e.code));
req.on('close', () => console.log('close'));
""",
    "destroy() before the response: socket hang up": r"""
const http = require('http');
const req = http.get(BASE + '/slow', () => console.log('response?'));
req.on('error', (e) => console.log('error', e.code, e.message));
req.on('close', () => console.log('close', req.destroyed));
setTimeout(() => req.destroy(), 100);
""",
    "setTimeout fires 'timeout'; destroy with an error": r"""
const http = require('http');
const req = http.get(BASE + '/slow');
req.setTimeout(200, () => { console.log('timeout'); req.destroy(new Error('too slow')); });
req.on('error', (e) => console.log('error', e.message));
""",
    "https.request checks the protocol; http.get needs a valid URL": r"""
const https = require('https');
const http = require('http');
try { https.request(BASE + '/hello'); } catch (e) { console.log(e.code, e.message); }
try { http.get('not a url'); } catch (e) { console.log(e.code); }
try { http.request(BASE, { method: 'BAD METHOD' }); } catch (e) { console.log(e.code); }
console.log(http.STATUS_CODES[418], http.METHODS.includes('PATCH'), typeof http.Agent, http.globalAgent instanceof http.Agent);
""",
    "net.isIP and friends": r"""
const net = require('net');
console.log(['1.2.3.4', '::1', 'fe80::1%eth0', '::ffff:1.2.3.4', '1.2.3', 'x', '1::2::3', '2001:db8::'].map((a) => net.isIP(a)));
console.log(net.isIPv4('10.0.0.1'), net.isIPv6('10.0.0.1'));
""",
}

tmp = tempfile.mkdtemp()
for name, prog in PROGRAMS.items():
    code = PRELUDE + prog
    path = os.path.join(tmp, "p.js")
    with open(path, "w") as f:
        f.write(code)
    if NODE:
        want = subprocess.run([NODE, path], capture_output=True, text=True, timeout=30).stdout
    rc, r, _ = run_js(code, *FLAGS)
    if not NODE:
        t.skip(name, "node is not on PATH")
        continue
    t.ok(r.get("status") == "ok" and r.get("stdout") == want and want, f"as in Node: {name}",
         {"node": want, "corral": r.get("stdout"), "status": r.get("status"), "error": r.get("error")})

# What only corral does.
rc, r, _ = run_js(PRELUDE + r"""
const out = {};
for (const m of ['net', 'tls', 'dns', 'http2', 'dns/promises']) out[m] = typeof require(m);
const codes = [];
const attempt = (f) => { try { f(); codes.push('no error'); } catch (e) { codes.push(e.code); } };
attempt(() => require('net').connect(80, 'example.org'));
attempt(() => require('net').createServer());
attempt(() => require('tls').connect(443, 'example.org'));
attempt(() => require('http').createServer(() => {}));
attempt(() => require('http2').connect('https://example.org'));
attempt(() => require('dns').lookup('example.org'));
for (const m of ['child_process', 'worker_threads', 'vm']) attempt(() => require(m));
const dnsErr = await new Promise((res) => require('dns').lookup('example.org', (e) => res(e.code)));
const msg = (() => { try { require('net').connect(80); } catch (e) { return e.message; } })();
const off = await new Promise((res) => require('http').get('http://example.org/', () => res('response?')).on('error', (e) => res(e.code + ' ' + e.message)));
[out, codes, dnsErr, msg, off, require('http2').constants.HTTP2_HEADER_PATH]
""", *FLAGS)
res = r.get("result") or []
t.eq(res[:3] if len(res) >= 3 else res,
     [{"net": "object", "tls": "object", "dns": "object", "http2": "object", "dns/promises": "object"},
      ["ERR_CORRAL_FORBIDDEN"] * 6 + ["ERR_CORRAL_FORBIDDEN_MODULE"] * 3, "ERR_CORRAL_FORBIDDEN"],
     "net, tls, dns, http2 load; sockets, servers and lookups refuse; child_process, worker_threads, vm refuse at require")
t.ok(len(res) > 3 and "sandbox" in res[3] and "fetch()" in res[3], "the refusal says why and what to use instead", res[3:4])
t.ok(len(res) > 4 and res[4].startswith("ERR_CORRAL_FORBIDDEN refused:") and "allowlist" in res[4],
     "a host off the allowlist is an error event naming the allowlist", res[4:5])
t.eq(res[5:6], [":path"], "http2.constants are there for bundles that read them at load")
t.done()
