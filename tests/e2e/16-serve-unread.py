#!/usr/bin/env python3
"""Clients that never read their answers (issue 16 point 2): an answer the
client stalls is cut off after CORRAL_WRITE_STALL_S, not held for the whole
idle timeout; while unread answers hold more than CORRAL_MAX_UNSENT_MB, new
executions are refused with 503 and Retry-After instead of growing the
supervisor; once the stalled connections are gone, everything is served and
the memory is given back."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import start_or_fail  # noqa: E402

t = Tap("16-serve-unread")
# ~1 MB of \x01: ~6 MB of JSON escapes in the answer.
BIG = json.dumps({"code": "process.stdout.write('\\x01'.repeat(1000000)); 1"}).encode()


def stalled_client(port):
    """Sends one execution and never reads: a tiny receive buffer so the
    kernel takes little of the answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(b"POST /v1/execute HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(BIG) + BIG)
    return s


def closed_by_server(s, timeout=1.0):
    """Reads what is there; true if the server closed (EOF or reset)."""
    s.settimeout(timeout)
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


srv = start_or_fail(t, "a server with a 2 s write stall and a 16 MB unsent budget starts",
                    env={"ISOLATE_POOL_SIZE": "2", "CORRAL_LOG_LEVEL": "warn", "CORRAL_WRITE_STALL_S": "2",
                         "CORRAL_MAX_UNSENT_MB": "16", "CORRAL_CONNECTION_TIMEOUT_S": "60"}, ready=True)
if srv:
    rss0 = srv.rss()
    socks = [stalled_client(srv.port) for _ in range(4)]
    time.sleep(1.5)  # their answers are built and queued by now
    rss1 = srv.rss()
    st, r, h = srv.execute("1 + 1")
    t.ok(st == 503 and h.get("retry-after") and "not read" in json.dumps(r),
         "while unread answers hold more than 16 MB, a new execution gets 503 with Retry-After",
         (st, r, h.get("retry-after"), rss1 - rss0))
    st2, _, _ = srv.request("GET", "/healthz")
    t.eq(st2, 200, "the service itself stays up (/healthz)")
    time.sleep(3.5)  # past the 2 s stall: the server cuts them off
    gone = [closed_by_server(s) for s in socks]
    t.ok(all(gone), f"each stalled answer was cut off after the write stall ({gone}), not kept for the 60 s idle timeout")
    st, r, _ = srv.execute("1 + 1")
    t.eq((st, (r or {}).get("result")), (200, 2), "once they are gone, executions are admitted again")
    rss2 = srv.rss()
    t.ok(rss1 - rss0 > 8 << 20 and rss2 - rss0 < (rss1 - rss0) / 2,
         f"the supervisor gave the memory back (RSS {rss0 >> 20} MB, with stalled answers {rss1 >> 20} MB, after {rss2 >> 20} MB)")
    for s in socks:
        s.close()
    t.eq([x for x in srv.server_errors() if x[2] != 503], [], "no 5xx other than the 503s")
    srv.stop()

# A client that reads steadily, pausing well under the stall, is not cut off.
# (The service writes a paused connection's answer on its 1 s tick, so the
# stall must stay well above a second: the default is 30 s.)
MID = json.dumps({"code": "process.stdout.write('\\x01'.repeat(150000)); 1"}).encode()
srv = start_or_fail(t, "a server with a 5 s write stall starts",
                    env={"ISOLATE_POOL_SIZE": "1", "CORRAL_LOG_LEVEL": "warn", "CORRAL_WRITE_STALL_S": "5"},
                    ready=True)
if srv:
    # A client that reads steadily, with pauses shorter than the stall, is not cut off.
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /v1/execute HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(MID) + MID)
    data, t0 = b"", time.monotonic()
    s.settimeout(10)
    want = None
    while time.monotonic() - t0 < 30:
        try:
            d = s.recv(256 << 10)
        except (ConnectionResetError, socket.timeout):
            break
        if not d:
            break
        data += d
        if want is None and b"\r\n\r\n" in data:
            head = data.split(b"\r\n\r\n", 1)[0].decode().lower()
            want = len(head) + 4 + int(head.split("content-length:")[1].split("\r\n")[0])
        if want is not None and len(data) >= want:
            break
        time.sleep(0.3)  # well under the 5 s stall
    s.close()
    got = len(data)
    t.ok(want and got >= want > 1 << 20 and data.rstrip().endswith(b"}"),
         f"a client that reads with pauses under the stall gets its whole answer ({got} of {want} bytes)")
    srv.stop()
t.done()
