#!/usr/bin/env bash
# Sessions: what a session costs on top of a plain execution. Starts its own
# `corral serve` (pool 2..4, temp data dir) and drives it over one keep-alive
# connection with bench/bench-session.py:
#   1. session lookup: GET /v1/sessions/{id} x LOOKUP_N (median, p95), next to
#      GET /healthz on the same connection (the HTTP floor), and an execution
#      of "1" in a session vs without one (500 each, interleaved);
#   2. state persistence: "1" in a session holding 100 top-level bindings of
#      mixed small values vs in an empty session, PERSIST_N each,
#      interleaved; the difference is the per-execution cost of the snapshot
#      and of writing the state with the history row;
#   3. restore: the same on a second server with CORRAL_WORKER_MAX_EXECUTIONS=1,
#      where every execution starts in a fresh worker, so with 100 bindings
#      the state is read back into the context before the snippet runs.
# Targets (issue): session lookup <= 1 ms; persistence with 100 bindings
# <= 5 ms per execution. (Filtering 1 MiB of output, <= 20 ms, is
# bench/bench-filter.c.) Figures are round trips over HTTP on loopback.
#
#   bench/bench-session.sh [build-dir]
# Environment: LOOKUP_N (default 2000), PERSIST_N (default 500), RESTORE_N
# (default 200). Exit status 1 when corral could not be measured.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
lookup_n=${LOOKUP_N:-2000}
persist_n=${PERSIST_N:-500}
restore_n=${RESTORE_N:-200}

tmp=$(mktemp -d)
pid=
bench=bench-session
. bench/lib.sh
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

for t in curl python3; do
  command -v "$t" >/dev/null || { echo "bench-session: $t is missing (apt-get install $t)"; exit 1; }
done
if [ ! -x "$build/corral" ]; then
  echo "bench-session: $build/corral is missing (build it first)"; exit 1
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME ENV...: a server on a free port with its own data dir and the
# given extra environment; sets $port and $pid, waits for GET /readyz 200.
start() {
  local name=$1 ok=
  shift
  port=$(free_port)
  mkdir -p "$tmp/$name"
  env ISOLATE_POOL_SIZE=2 ISOLATE_MAX_POOL_SIZE=4 CORRAL_LOG_LEVEL=warn "$@" \
    "$build/corral" serve --listen "127.0.0.1:$port" --data-dir "$tmp/$name" >"$tmp/$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do # 30 s
    curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && { ok=1; break; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$ok" ]; then
    echo "bench-session: the $name server did not answer GET /readyz 200 within 30 s; its log:"
    tail -n 20 "$tmp/$name.log"
    stop_server
    return 1
  fi
}

# measure NAME WHAT N: one run of the client into $tmp/results.
measure() {
  local out
  if ! out=$(BENCH_DATA_DIR="$tmp/$1" python3 bench/bench-session.py "$port" "$2" "$3" 2>&1); then
    echo "bench-session: the $2 measurement failed: $out"; failed=1; return 1
  fi
  echo "$out" >>"$tmp/results"
}

failed=0
: >"$tmp/results"
load0=$(cut -d' ' -f1 /proc/loadavg)
if start main; then
  measure main lookup "$lookup_n"
  measure main persist "$persist_n"
  kill -0 "$pid" 2>/dev/null || { echo "bench-session: the server exited during the run; its log:"; tail -n 20 "$tmp/main.log"; failed=1; }
  stop_server
else
  failed=1
fi
if start recycle CORRAL_WORKER_MAX_EXECUTIONS=1; then
  measure recycle restore "$restore_n"
  stop_server
else
  failed=1
fi

python3 - "$tmp/results" "$load0" <<'PY'
import os, sys
rows = {}
for line in open(sys.argv[1]):
    name, *kv = line.split()
    rows[name] = {k: float(v) for k, v in (x.split("=") for x in kv)}
print(f"Sessions, one keep-alive connection on 127.0.0.1; {os.cpu_count()} cores, load average {sys.argv[2]} at start, "
      f"{open('/proc/loadavg').read().split()[0]} at end:")
lk, hz, ex = rows.get("lookup"), rows.get("healthz"), rows.get("exec1")
if lk and hz:
    print(f"  GET /v1/sessions/{{id}} (n={lk['n']:.0f}):  median {lk['median_ms']:.3f} ms, p95 {lk['p95_ms']:.3f} ms "
          f"(GET /healthz on the same connection: median {hz['median_ms']:.3f} ms, p95 {hz['p95_ms']:.3f} ms)")
    own = lk["median_ms"] - hz["median_ms"]
    print(f"  session lookup: {lk['median_ms']:.3f} ms per GET including HTTP, +{own:.3f} ms over the HTTP floor "
          f"(target <= 1 ms: {'met' if lk['median_ms'] <= 1 else 'missed'})")
if ex:
    print(f"  execute '1' (n=500 each): in a session median {ex['session_median_ms']:.3f} ms (p95 {ex['session_p95_ms']:.3f}), "
          f"without median {ex['plain_median_ms']:.3f} ms (p95 {ex['plain_p95_ms']:.3f}); "
          f"session overhead {ex['session_median_ms'] - ex['plain_median_ms']:+.3f} ms "
          f"(usage.wall_ms in the worker: {ex['session_wall_ms']:.3f} vs {ex['plain_wall_ms']:.3f})")
p = rows.get("persist")
if p:
    print(f"  execute '1' (n={p['n']:.0f} each): with {p['bindings']:.0f} bindings median {p['full_median_ms']:.3f} ms "
          f"(p95 {p['full_p95_ms']:.3f}), empty session median {p['empty_median_ms']:.3f} ms (p95 {p['empty_p95_ms']:.3f}); "
          f"stored state {p['state_bytes']:.0f} bytes")
    print(f"    usage.wall_ms in the worker (includes the snapshot): {p['full_wall_ms']:.3f} vs {p['empty_wall_ms']:.3f} ms, "
          f"{p['wall_delta_ms']:+.3f} ms")
    print(f"  session persistence (100 bindings): {p['delta_ms']:+.3f} ms per execution "
          f"(target <= 5 ms: {'met' if p['delta_ms'] <= 5 else 'missed'})")
r = rows.get("restore")
if r:
    print(f"  restore (CORRAL_WORKER_MAX_EXECUTIONS=1, a fresh worker every execution, n={r['n']:.0f} each): "
          f"with {r['bindings']:.0f} bindings median {r['full_median_ms']:.3f} ms (p95 {r['full_p95_ms']:.3f}), "
          f"empty session median {r['empty_median_ms']:.3f} ms (p95 {r['empty_p95_ms']:.3f})")
    print(f"    usage.wall_ms in the worker (includes the restore and the snapshot): {r['full_wall_ms']:.3f} vs "
          f"{r['empty_wall_ms']:.3f} ms, {r['wall_delta_ms']:+.3f} ms")
    if "plain_median_ms" in r:
        print(f"    for scale, '1' without a session on a fresh worker: median {r['plain_median_ms']:.3f} ms, "
              f"usage.wall_ms {r['plain_wall_ms']:.3f} ms")
    print(f"  worker restore (100 bindings): {r['delta_ms']:+.3f} ms per execution over an empty session's round trip, "
          f"{r['wall_delta_ms']:+.3f} ms in the worker")
if not rows:
    print("  no figures (see the messages above)")
PY
[ "$failed" = 0 ] || echo "bench-session: some figures are missing (see the messages above)"
exit "$failed"
