#!/usr/bin/env python3
"""The client half of bench/bench-session.sh: times session requests against
a running `corral serve` over one keep-alive connection and prints one line
per figure, "NAME key=value ...", for the script to report.

    bench/bench-session.py PORT lookup|persist|restore [N]

lookup   GET /v1/sessions/{id} x N (default 2000), GET /healthz x N (the HTTP
         floor on the same connection), and POST /v1/execute "1" in a session
         vs without one, 500 each, interleaved.
persist  a session holding 100 top-level bindings of mixed small values vs an
         empty session: N (default 500) executions of "1" in each,
         interleaved; the difference is the per-execution persistence cost
         (snapshot of the bindings + the state written with the history row).
restore  the same two sessions on a server that recycles its worker after
         every execution (CORRAL_WORKER_MAX_EXECUTIONS=1), so every execution
         starts in a fresh context: with 100 bindings the state is restored
         first. N (default 200) each.

Exit status 1 when an answer is not what the measurement needs (then the
figure would not mean anything)."""
import http.client
import json
import os
import sqlite3
import statistics
import sys
import time


class Client:
    """One keep-alive connection; reconnects once if the server closed it."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def call(self, method, path, obj=None):
        body = None if obj is None else json.dumps(obj)
        hdrs = {"Content-Type": "application/json"} if body is not None else {}
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                dt = (time.perf_counter() - t0) * 1000
                if resp.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status, (json.loads(data) if data else None), dt
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def die(msg):
    print(f"bench-session: {msg}", file=sys.stderr)
    sys.exit(1)


def stats(v):
    v = sorted(v)
    p95 = v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]
    return statistics.median(v), p95


def new_session(c):
    st, obj, _ = c.call("POST", "/v1/sessions", {"ttl_s": 3600})
    if st != 201:
        die(f"POST /v1/sessions gave {st} {obj}")
    return obj["id"]


def execute(c, code, sid=None, want=None):
    body = {"code": code}
    if sid:
        body["session_id"] = sid
    st, obj, dt = c.call("POST", "/v1/execute", body)
    if st != 200 or obj.get("status") != "ok" or (want is not None and obj.get("result") != want):
        die(f"execute {code[:60]!r} (session {sid}) gave {st} {json.dumps(obj)[:400]}")
    return dt, obj


def bindings_code(n=100):
    """n top-level bindings of mixed small values, and their count."""
    kinds = [
        lambda i: f"const b{i} = {i} * 1.5;",
        lambda i: f"let b{i} = 'value number {i} of the bench';",
        lambda i: f"const b{i} = [{i}, {i + 1}, {i + 2}, 'x{i}'];",
        lambda i: f"const b{i} = {{id: {i}, name: 'n{i}', tags: ['a', 'b'], ok: true}};",
        lambda i: f"const b{i} = new Map([['k{i}', {i}], ['j', [1, 2]]]);",
        lambda i: f"const b{i} = new Date({i} * 86400000);",
        lambda i: f"var b{i} = new Set([{i}, 'two', 3]);",
        lambda i: f"const b{i} = new Uint8Array([{i % 256}, 1, 2, 3, 4, 5, 6, 7]);",
        lambda i: f"let b{i} = {{nested: {{deep: {{x: {i}, y: null}}}}}};",
        lambda i: f"const b{i} = {i}n;",
    ]
    return "\n".join(kinds[i % len(kinds)](i) for i in range(n)) + f"\n{n}"


def check_vars(c, sid, n):
    st, obj, _ = c.call("GET", f"/v1/sessions/{sid}")
    vs = [v for v in (obj or {}).get("variables", []) if v.get("persisted")]
    if st != 200 or len(vs) < n:
        die(f"session {sid} should hold {n} persisted bindings, GET says {len(vs)}: {json.dumps(obj)[:300]}")
    return len(vs)


def state_size(sid):
    """The stored state's size in bytes, from the data dir's database when
    BENCH_DATA_DIR names it (read-only), else -1."""
    d = os.environ.get("BENCH_DATA_DIR")
    if not d:
        return -1
    try:
        con = sqlite3.connect(f"file:{os.path.join(d, 'corral.db')}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute("SELECT length(CAST(state AS BLOB)) FROM sessions WHERE id = ?", (sid,)).fetchone()
        finally:
            con.close()
        return row[0] if row and row[0] is not None else -1
    except sqlite3.Error:
        return -1


def interleaved(c, runs, n):
    """runs: {label: (code, sid)}; n rounds of each, alternating; returns
    {label: [ms...]}. A few warm-up rounds are not counted."""
    out = {k: [] for k in runs}
    for k in runs:
        out[k + "_wall"] = []
    for r in range(n + 5):
        for k, (code, sid, want) in runs.items():
            dt, obj = execute(c, code, sid, want)
            if r >= 5:
                out[k].append(dt)
                out[k + "_wall"].append(float((obj.get("usage") or {}).get("wall_ms", 0)))
    return out


def main():
    port, what = int(sys.argv[1]), sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else None
    c = Client(port)
    if what == "lookup":
        n = n or 2000
        sid = new_session(c)
        execute(c, bindings_code(10), sid, 10)
        for path, label in ((f"/v1/sessions/{sid}", "lookup"), ("/healthz", "healthz")):
            v = []
            for i in range(n + 50):
                st, obj, dt = c.call("GET", path)
                if st != 200:
                    die(f"GET {path} gave {st} {obj}")
                if i >= 50:
                    v.append(dt)
            med, p95 = stats(v)
            print(f"{label} n={n} median_ms={med:.3f} p95_ms={p95:.3f}")
        res = interleaved(c, {"session": ("1", sid, 1), "plain": ("1", None, 1)}, 500)
        ms, ps = stats(res["session"])
        mp, pp = stats(res["plain"])
        print(f"exec1 n=500 session_median_ms={ms:.3f} session_p95_ms={ps:.3f} "
              f"plain_median_ms={mp:.3f} plain_p95_ms={pp:.3f} "
              f"session_wall_ms={statistics.median(res['session_wall']):.3f} "
              f"plain_wall_ms={statistics.median(res['plain_wall']):.3f}")
    elif what in ("persist", "restore"):
        n = n or (500 if what == "persist" else 200)
        full, empty = new_session(c), new_session(c)
        execute(c, bindings_code(100), full, 100)
        execute(c, "1", empty, 1)
        nv = check_vars(c, full, 100)
        runs = {"full": ("1", full, 1), "empty": ("1", empty, 1)}
        if what == "restore":
            runs["plain"] = ("1", None, 1)  # a fresh worker too, but no session context
        res = interleaved(c, runs, n)
        # The values must still be there after all those executions.
        execute(c, "[b0, b1.length, b4.get('k4'), b5.getTime(), b9 + 1n === 10n]", full,
                [0, len("value number 1 of the bench"), 4, 5 * 86400000, True])
        mf, pf = stats(res["full"])
        me, pe = stats(res["empty"])
        wf, we = statistics.median(res["full_wall"]), statistics.median(res["empty_wall"])
        state_bytes = state_size(full)
        print(f"{what} n={n} bindings={nv} full_median_ms={mf:.3f} full_p95_ms={pf:.3f} "
              f"empty_median_ms={me:.3f} empty_p95_ms={pe:.3f} delta_ms={mf - me:.3f} "
              f"full_wall_ms={wf:.3f} empty_wall_ms={we:.3f} wall_delta_ms={wf - we:.3f} state_bytes={state_bytes}"
              + (f" plain_median_ms={stats(res['plain'])[0]:.3f} plain_wall_ms={statistics.median(res['plain_wall']):.3f}"
                 if "plain" in res else ""))
    else:
        die(f"unknown measurement '{what}' (lookup, persist, restore)")


if __name__ == "__main__":
    main()
