#!/usr/bin/env bash
# Many executions in flight (docs/design.md, "Many executions per worker"):
# N concurrent POST /v1/execute, one connection each, each sleeping 1 s,
# against a fresh `corral serve` with the defaults; bench/loadgen.py prints
# how many ended ok, when the last answer came (from the first send), and a
# probe: a hello sent every 50 ms meanwhile (its p99 says whether the service
# still answers). Also the process tree's RSS at its peak and idle.
# Targets (issue 12): 1,000 and 10,000 all ok, the last within 1.5 s and 3 s;
# ≤ 400 KB per in-flight execution above idle; the probe's p99 ≤ 20 ms.
#
#   bench/bench-concurrency.sh [build-dir]      N="1000 10000" (default)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
ns=${N:-1000 10000}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
data=$(mktemp -d)
"$build/corral" serve --listen "127.0.0.1:$port" --data-dir "$data" >"$data/log" 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
tree_rss() { # KB, the supervisor and its workers
  local t=0 p
  for p in $srv $(pgrep -P $srv); do
    [ -r /proc/$p/status ] && t=$((t + $(awk '/^VmRSS/ {print $2}' /proc/$p/status)))
  done
  echo $t
}
idle=$(tree_rss)
echo "idle tree RSS: $((idle / 1024)) MB"
for n in $ns; do
  peak=0
  ( while sleep 0.2; do r=$(tree_rss); [ "$r" -gt "$(cat "$data/peak" 2>/dev/null || echo 0)" ] && echo "$r" >"$data/peak"; done ) &
  mon=$!
  python3 bench/loadgen.py --url "http://127.0.0.1:$port/v1/execute" --n "$n" --timeout 300 \
    --body '{"code": "await new Promise(r => setTimeout(r, 1000)); 1"}' --probe-body '{"code": "1"}'
  kill $mon 2>/dev/null; wait $mon 2>/dev/null
  peak=$(cat "$data/peak" 2>/dev/null || echo 0)
  rm -f "$data/peak"
  echo "  $n in flight: tree RSS peak $((peak / 1024)) MB, $(( (peak - idle) / n )) KB per execution above idle"
  sleep 2
done
