#!/usr/bin/env bash
# Many executions in flight (docs/design.md, "Many executions per worker"):
# N concurrent POST /v1/execute, one connection each, each sleeping 1 s,
# against a fresh `corral serve` with the defaults; bench/loadgen.py prints
# how many ended ok, when the last answer came (from the first send), and a
# probe: a hello sent every 50 ms meanwhile (its p99 says whether the service
# still answers). Also the process tree's RSS at its peak and idle.
# Targets (issue 12): 1,000 and 10,000 all ok, the last within 1.5 s and 3 s;
# ≤ 400 KB per in-flight execution above idle; the probe's p99 ≤ 20 ms.
# Each N runs twice: once with h2load (nghttp2-client, C: one connection per
# request, -c N -n N; "finished in" is the last answer's time, and its client
# costs little of the two cores), once with loadgen.py (which also reads each
# answer's outcome, and sends the probe).
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
if ! command -v h2load >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get install -y -qq nghttp2-client >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null 2>&1; }
fi
ulimit -n 65536 2>/dev/null || true
printf '%s' '{"code": "await new Promise(r => setTimeout(r, 1000)); 1"}' >"$data/body.json"
idle=$(tree_rss)
echo "idle tree RSS: $((idle / 1024)) MB"
for n in $ns; do
  peak=0
  ( while sleep 0.2; do r=$(tree_rss); [ "$r" -gt "$(cat "$data/peak" 2>/dev/null || echo 0)" ] && echo "$r" >"$data/peak"; done ) &
  mon=$!
  if command -v h2load >/dev/null; then
    h2load --h1 -c "$n" -n "$n" -T 300 -N 300 -d "$data/body.json" -H 'Content-Type: application/json' \
      "http://127.0.0.1:$port/v1/execute" 2>&1 | grep -E '^(finished in|status codes|time for request)' | sed "s/^/  h2load $n: /"
    sleep 2
  else
    echo "  (h2load missing: apt-get install nghttp2-client)"
  fi
  python3 bench/loadgen.py --url "http://127.0.0.1:$port/v1/execute" --n "$n" --timeout 300 \
    --body '{"code": "await new Promise(r => setTimeout(r, 1000)); 1"}' --probe-body '{"code": "1"}'
  kill $mon 2>/dev/null; wait $mon 2>/dev/null
  peak=$(cat "$data/peak" 2>/dev/null || echo 0)
  rm -f "$data/peak"
  echo "  $n in flight: tree RSS peak $((peak / 1024)) MB, $(( (peak - idle) / n )) KB per execution above idle"
  sleep 2
done
