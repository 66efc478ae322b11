#!/usr/bin/env python3
"""Cancel (issue 18 point 2): POST /v1/executions/{id}/cancel stops a
running execution — waiting or in a busy loop — within a fraction of a
second, and it ends with the typed outcome `cancelled` (the stream's final
event says so); cancelling again says how it ended; a client that goes
away stops its execution in the worker, so a neighbour is not held up."""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import start_or_fail  # noqa: E402

t = Tap("18-serve-cancel")


def run_stream(srv, code, box, timeout_ms=30000):
    """Starts code as SSE; box gets the id, then the final result and when."""
    s = srv.stream("/v1/execute", {"code": code, "timeout_ms": timeout_ms}, "text/event-stream", timeout=60)
    box["id"] = s.headers.get("x-corral-execution-id")
    box["ready"].set()
    for at, piece in s:
        if piece.startswith("event: result"):
            data = piece.split("data: ", 1)[1]
            box["result"] = json.loads(data)
            box["at"] = time.monotonic()
            break


def cancel_case(srv, label, code, settle):
    box = {"ready": threading.Event()}
    th = threading.Thread(target=run_stream, args=(srv, code, box))
    th.start()
    box["ready"].wait(20)
    time.sleep(settle)  # it is running (waiting, or in its loop) by now
    t0 = time.monotonic()
    st, obj, _ = srv.json("POST", f"/v1/executions/{box.get('id')}/cancel")
    th.join(20)
    r = box.get("result") or {}
    took = box.get("at", t0 + 99) - t0
    t.ok(st == 202 and (obj or {}).get("cancelled") is True, f"{label}: cancel answers 202 cancelled: true", (st, obj))
    t.ok(r.get("status") == "cancelled" and (r.get("error") or {}).get("name") == "CancelledError" and took < 1.0,
         f"{label}: the execution ends `cancelled` {took * 1000:.0f} ms after the cancel (the stream's final event)", r)
    return box.get("id"), r


srv = start_or_fail(t, "a server with one worker starts",
                    env={"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "1", "CORRAL_LOG_LEVEL": "warn"}, ready=True)
if srv:
    xid, r = cancel_case(srv, "waiting on a timer",
                         "console.log('started'); await new Promise(r => setTimeout(r, 20000)); 'never'", 0.3)
    t.ok("started" in (r.get("stdout") or ""), "the output before the cancel is kept", r.get("stdout"))
    cancel_case(srv, "in a busy loop", "let i = 0; while (true) i++", 0.3)
    # Again: idempotent, it says how it ended.
    deadline, st, obj = time.monotonic() + 5, None, None
    while time.monotonic() < deadline:
        st, obj, _ = srv.json("POST", f"/v1/executions/{xid}/cancel")
        if st == 200 and (obj or {}).get("status"):
            break
        time.sleep(0.2)
    t.ok(st == 200 and obj.get("cancelled") is False and obj.get("status") == "cancelled",
         "cancelling it again: 200, cancelled: false, status cancelled", (st, obj))
    st, obj, _ = srv.json("POST", "/v1/executions/x_00000000deadbeef/cancel")
    t.eq((st, ((obj or {}).get("error") or {}).get("code")), (404, "not_found"), "an unknown execution: 404")
    st, obj, _ = srv.json("POST", "/v1/executions/x_1/stop")
    t.eq(st, 404, "POST /v1/executions/{id}/other: 404")
    st, _, raw = srv.request("GET", "/metrics")
    t.ok(b'status="cancelled"' in raw, "/metrics counts the cancelled outcome", raw[:0])

    # A client that goes away: its busy loop stops, and the worker's one
    # thread serves the neighbour at once (it used to run to its deadline).
    body = json.dumps({"code": "while (true) {}", "timeout_ms": 20000}).encode()
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /v1/execute HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body)
    time.sleep(0.4)
    s.close()
    time.sleep(0.3)
    t0 = time.monotonic()
    st, r, _ = srv.execute("6 * 7", timeout=60)
    took = time.monotonic() - t0
    t.ok(st == 200 and r.get("result") == 42 and took < 2.0,
         f"after its client went away, the loop no longer holds the worker: a neighbour answers in {took:.2f} s", (st, r))
    # The same for a stream whose reader is waiting for the next event.
    st_ = srv.stream("/v1/execute", {"code": "console.log(1); await null; while (true) {}", "timeout_ms": 20000},
                     "text/event-stream", timeout=30)
    time.sleep(0.4)
    st_.close()
    time.sleep(0.3)
    t0 = time.monotonic()
    st, r, _ = srv.execute("6 * 7", timeout=60)
    took = time.monotonic() - t0
    t.ok(st == 200 and r.get("result") == 42 and took < 2.0,
         f"after a streaming client went away, its loop stopped too: a neighbour answers in {took:.2f} s", (st, r))
    t.eq(srv.server_errors(), [], "no 5xx")
    srv.stop()
t.done()
