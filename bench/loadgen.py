#!/usr/bin/env python3
"""loadgen — N requests at once against one HTTP endpoint, one connection
each, and what came back: how many of each status, when the first and the
last answer came (from the moment the first request was sent), latency
percentiles, and optionally a probe (a small request sent every 50 ms while
the load is in flight, whose latencies say whether the service still
answers).

    loadgen.py --url http://127.0.0.1:8080/v1/execute --n 1000 \
        --body '{"code": "await new Promise(r => setTimeout(r, 1000)); 1"}' \
        [--header 'Authorization: Bearer …'] [--probe-body '{"code": "1"}'] [--json]

Used by bench/bench-concurrency.sh (figures) and tests/e2e/60-concurrency.py
(a test with generous bounds). Plain asyncio streams: no dependency."""
import argparse
import asyncio
import json
import resource
import sys
import time
from urllib.parse import urlsplit


def request_bytes(url, body, headers):
    u = urlsplit(url)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    b = body.encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {u.hostname}:{u.port}", "Content-Type: application/json",
             f"Content-Length: {len(b)}", "Connection: close"] + list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + b


SENT = []  # when each request of the load was written (monotonic)


async def one(host, port, raw, timeout, sent=None):
    t0 = time.monotonic()
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        w.write(raw)
        await w.drain()
        if sent is not None:
            sent.append(time.monotonic())
        data = await asyncio.wait_for(r.read(), timeout)
        w.close()
    except Exception as e:  # noqa: BLE001 - every failure is a result here
        return ("error:" + type(e).__name__, time.monotonic(), time.monotonic() - t0, None)
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        code = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return ("error:bad-response", time.monotonic(), time.monotonic() - t0, None)
    status = None
    if b"chunked" in head.lower():
        body = dechunk(body)
    try:
        status = json.loads(body).get("status")
    except (ValueError, AttributeError):
        pass
    return (str(code), time.monotonic(), time.monotonic() - t0, status)


def dechunk(b):
    out = b""
    while b:
        size, _, rest = b.partition(b"\r\n")
        try:
            n = int(size, 16)
        except ValueError:
            break
        if n == 0:
            break
        out += rest[:n]
        b = rest[n + 2:]
    return out


async def probe(host, port, raw, stop, lat):
    while not stop.is_set():
        code, _, took, _ = await one(host, port, raw, 30)
        lat.append((code, took))
        await asyncio.sleep(0.05)


def pct(v, q):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


async def main(a):
    u = urlsplit(a.url)
    host, port = u.hostname, u.port or 80
    raw = request_bytes(a.url, a.body, a.header)
    stop, plat = asyncio.Event(), []
    ptask = None
    if a.probe_body:
        ptask = asyncio.create_task(probe(host, port, request_bytes(a.url, a.probe_body, a.header), stop, plat))
    t0 = time.monotonic()
    res = await asyncio.gather(*(one(host, port, raw, a.timeout, SENT) for _ in range(a.n)))
    stop.set()
    if ptask:
        await ptask
    codes, statuses = {}, {}
    for code, _, _, st in res:
        codes[code] = codes.get(code, 0) + 1
        if st:
            statuses[st] = statuses.get(st, 0) + 1
    ends = [end - t0 for _, end, _, _ in res]
    lats = [took for _, _, took, _ in res]
    out = {
        "n": a.n, "codes": codes, "statuses": statuses,
        "first_s": round(min(ends), 3), "last_s": round(max(ends), 3),
        # How long this client took to send them all: the floor under last_s.
        "last_sent_s": round(max(SENT) - t0, 3) if SENT else None,
        "p50_s": round(pct(lats, 0.5), 3), "p99_s": round(pct(lats, 0.99), 3),
    }
    if a.probe_body:
        pl = [took for code, took in plat if code == "200"]
        out["probe"] = {"sent": len(plat), "ok": len(pl),
                        "p50_ms": round(pct(pl, 0.5) * 1e3, 1) if pl else None,
                        "p99_ms": round(pct(pl, 0.99) * 1e3, 1) if pl else None}
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--body", required=True)
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--probe-body")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, a.n * 2 + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    r = asyncio.run(main(a))
    if a.json:
        print(json.dumps(r))
    else:
        print(f"{r['n']} requests: codes {r['codes']}, outcomes {r['statuses']}; first answer {r['first_s']} s, "
              f"last {r['last_s']} s (all sent by {r['last_sent_s']} s); latency p50 {r['p50_s']} s, p99 {r['p99_s']} s"
              + (f"; probe {r['probe']}" if "probe" in r else ""))
    sys.exit(0)
