#!/usr/bin/env python3
"""10,000 idle keep-alive connections do not exhaust the service: it keeps
answering on a fresh connection while they are open, each of them still
works afterwards, and the per-IP cap, when set, holds."""
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import Server, ServerError  # noqa: E402

t = Tap("14-serve-conns")
N = int(os.environ.get("CONNS_N", "10000"))
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = N + 200
if soft < want:
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(want, soft), hard), hard))
    except (ValueError, OSError):
        pass
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < want:
    N = soft - 200
    print(f"# only {soft} fds may be open here: testing {N} connections")

try:
    srv = Server(env={"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "2",
                      "CORRAL_MAX_CONNECTIONS": str(N + 100), "CORRAL_LOG_LEVEL": "warn"},
                 ready=True).start()
except ServerError as e:
    t.ok(False, "corral serve starts", e)
    t.done()

socks = []
opened = 0
t0 = time.monotonic()
try:
    for i in range(N):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        socks.append(s)
        opened += 1
        # Every hundredth one is used once first, and so is truly kept alive.
        if i % 100 == 0:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data or not data.endswith(b"}"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
except OSError as e:
    print(f"# opening connection {opened + 1} failed: {e}")
t.ok(opened == N, f"{N} connections opened and held ({opened}, in {time.monotonic() - t0:.1f} s)")

t1 = time.monotonic()
st, obj, _ = srv.json("POST", "/v1/execute", {"code": "6*7"})
lat = time.monotonic() - t1
t.ok(st == 200 and obj and obj.get("result") == 42, f"a fresh connection still runs code ({lat * 1000:.0f} ms)", (st, obj))
t.ok(lat < 2.0, "and answers in under 2 s", lat)

# Some of the idle ones, used now.
good = 0
sample = socks[1::997][:10]
for s in sample:
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        if s.recv(4096).startswith(b"HTTP/1.1 200"):
            good += 1
    except OSError:
        pass
t.ok(good == len(sample) and good > 0, f"idle connections still answer when used ({good} of {len(sample)})")
for s in socks:
    s.close()
time.sleep(0.5)
t.ok(srv.alive(), "the server is alive after they close")
srv.stop()

# The per-IP cap.
try:
    srv = Server(env={"ISOLATE_POOL_SIZE": "1", "CORRAL_MAX_CONNECTIONS_PER_IP": "20", "CORRAL_LOG_LEVEL": "warn"},
                 ready=True).start()
    held = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(20)]
    extra = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    try:
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        got = extra.recv(4096)
    except OSError:
        got = b""
    t.ok(not got.startswith(b"HTTP/1.1 200"), "past CORRAL_MAX_CONNECTIONS_PER_IP a connection is refused", got[:80])
    for s in held + [extra]:
        s.close()
    srv.stop()
except ServerError as e:
    t.ok(False, "corral serve starts with a per-IP cap", e)
t.done()
