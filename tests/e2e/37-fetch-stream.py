#!/usr/bin/env python3
"""Streaming fetch bodies (issue 13 point 8): `response.body` delivers the
upstream's chunks as they are sent, not the whole body at the end;
getReader(), for await, TextDecoderStream and pipeThrough work on it;
cancelling the reader, or aborting the request's signal, stops the upstream
request; an upstream that breaks off mid-body errors the stream; the body
cap holds across chunks; an execution that ends with a body unread closes
the upstream connection.

The upstream is a local server; its /sse stream holds its last event until
the program has fetched /release, which the program does when it has seen
the first event: a body that is not streamed deadlocks until the server
gives up (2 s) and the last event then says "buffered"."""
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import HOOKS, Tap, run_js  # noqa: E402

t = Tap("37-fetch-stream")

released = threading.Event()
closed = {}  # path -> (events written, seconds the client stayed)
closed_cv = threading.Condition()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def head(self, ctype="text/event-stream"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/release":
            released.set()
            body = b"released"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path == "/small":
            body = b"small body"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path == "/sse":
            released.clear()
            self.head()
            for i in range(3):
                self.chunk(f"data: tok{i}\n\n".encode())
                time.sleep(0.05)
            ok = released.wait(2.0)
            self.chunk(b"data: " + (b"streamed" if ok else b"buffered") + b"\n\n")
            self.chunk(b"")
            return
        if path == "/broken":
            self.head("text/plain")
            self.chunk(b"part one;")
            time.sleep(0.1)
            self.wfile.flush()
            self.connection.shutdown(2)  # no terminating chunk
            return
        if path in ("/forever", "/unread", "/abort", "/flood"):
            self.head("text/plain")
            start, n = time.monotonic(), 0
            try:
                while time.monotonic() - start < 10:
                    if path == "/flood":
                        self.chunk(b"x" * 65536)
                    else:
                        self.chunk(f"line {n}\n".encode())
                        time.sleep(0.02)
                    n += 1
            except OSError:
                pass
            with closed_cv:
                closed[path] = (n, time.monotonic() - start)
                closed_cv.notify_all()
            return
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
port = srv.server_address[1]
threading.Thread(target=srv.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{port}"
FLAGS = ("--allow-fetch", "127.0.0.1", "--allow-private-fetch", "--timeout", "8000")


def run(code, *extra):
    rc, r, _ = run_js(f"const BASE = {json.dumps(BASE)};\n" + code, *FLAGS, *extra)
    return r


def closed_within(path, seconds):
    with closed_cv:
        closed_cv.wait_for(lambda: path in closed, timeout=seconds)
        return closed.get(path)


# for await over the body: the first events arrive while the upstream still
# holds its last one back.
r = run("""
const res = await fetch(BASE + '/sse');
const seen = [];
const dec = new TextDecoder();
let released = false;
for await (const chunk of res.body) {
  for (const line of dec.decode(chunk, { stream: true }).split('\\n')) if (line) seen.push(line);
  if (!released) { released = true; seen.push('release: ' + (await (await fetch(BASE + '/release')).text())); }
}
seen
""")
t.eq((r.get("status"), r.get("result")),
     ("ok", ["data: tok0", "release: released", "data: tok1", "data: tok2", "data: streamed"]),
     "for await: tokens are seen before the upstream has finished (the last says streamed)")

# getReader() over pipeThrough(new TextDecoderStream()).
r = run("""
const res = await fetch(BASE + '/sse');
const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
let text = '', released = false;
for (;;) {
  const { value, done } = await reader.read();
  if (done) break;
  text += value;
  if (!released) { released = true; await fetch(BASE + '/release'); }
}
[res.status, res.headers.get('content-type'), text.split('\\n\\n').filter(Boolean)]
""")
t.eq(r.get("result"), [200, "text/event-stream", ["data: tok0", "data: tok1", "data: tok2", "data: streamed"]],
     "getReader() on pipeThrough(TextDecoderStream): every event, and the release came in time")

# text() on a streamed body still gives all of it (the server gives up on
# the release after 2 s, so this one says buffered: nothing read it early).
r = run("const res = await fetch(BASE + '/sse'); (await res.text()).split('\\n\\n').filter(Boolean)")
t.eq(r.get("result"), ["data: tok0", "data: tok1", "data: tok2", "data: buffered"],
     "text() on a streamed body collects every chunk")

# A small answer is not split: it is whole when fetch resolves.
r = run("const res = await fetch(BASE + '/small'); [res.status, await res.text()]")
t.eq(r.get("result"), [200, "small body"], "a small answer reads whole")
rc, r, _ = run_js(
    "const r = await new Promise(res => { const parts = []; __corral_test.fetch(%s, 'GET', [], null, "
    "(err, status, text, headers, body, more) => { parts.push([status, body ? body.length : null, more]); "
    "if (!more) res(parts); }) }); r" % json.dumps(BASE + "/small"), *FLAGS, binary=HOOKS)
t.eq(r.get("result"), [[200, 10, False]], "a small answer comes in one frame (head and body together)")

# Cancelling the reader stops the upstream request.
r = run("""
const res = await fetch(BASE + '/forever');
const reader = res.body.getReader();
const first = new TextDecoder().decode((await reader.read()).value);
await reader.cancel();
await new Promise(r => setTimeout(r, 1500));
first.startsWith('line 0')
""")
got = closed_within("/forever", 5)
t.ok(r.get("result") is True and got is not None and got[1] < 3,
     "reader.cancel() closes the upstream connection (the server stopped writing within 3 s)", (r.get("result"), got))

# Aborting the request's signal mid-body errors the stream with the
# reason and stops the upstream.
r = run("""
const ac = new AbortController();
const res = await fetch(BASE + '/abort', { signal: ac.signal });
const reader = res.body.getReader();
await reader.read();
setTimeout(() => ac.abort(), 50);
let err;
try { for (;;) { const { done } = await reader.read(); if (done) break; } } catch (e) { err = e; }
await new Promise(r => setTimeout(r, 1500));
[err && err.name, err && err.message]
""")
got = closed_within("/abort", 5)
t.ok(r.get("result") == ["AbortError", "This operation was aborted"] and got is not None and got[1] < 3,
     "abort() mid-body: the reader rejects with an AbortError and the upstream is closed", (r.get("result"), got))

# An upstream that breaks off mid-body: the reader gets an error, not a
# quiet end.
r = run("""
const res = await fetch(BASE + '/broken');
const reader = res.body.getReader();
const parts = [];
let err = null;
try { for (;;) { const { value, done } = await reader.read(); if (done) break; parts.push(new TextDecoder().decode(value)); } }
catch (e) { err = e; }
[parts.join(''), err && err.name, err && err.message]
""")
res = r.get("result") or []
t.ok(res[:3] == ["part one;", "TypeError", "fetch failed"],
     "an upstream that breaks off mid-body errors the stream with TypeError: fetch failed", r.get("result"))

# The body cap (10 MiB for corral run) holds over the whole streamed body.
r = run("""
const res = await fetch(BASE + '/flood');
let n = 0, err = null;
try { for await (const c of res.body) n += c.length; } catch (e) { err = e; }
[n <= 10 * 1048576, n > 1048576, err && err.name, err && err.cause && err.cause.message]
""", "--memory", "256")
res = r.get("result") or []
t.ok(res[:3] == [True, True, "TypeError"] and "cap" in (res[3] or ""),
     "the 10 MiB body cap holds across chunks: the stream errors with the cap named", r.get("result"))
closed_within("/flood", 5)

# An execution that ends with a streamed body unread closes the upstream.
r = run("const res = await fetch(BASE + '/unread'); res.status")
got = closed_within("/unread", 5)
t.ok(r.get("result") == 200 and got is not None and got[1] < 3,
     "an execution that ends with the body unread closes the upstream connection", (r.get("result"), got))

t.done()
