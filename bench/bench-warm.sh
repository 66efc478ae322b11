#!/usr/bin/env bash
# Warm execution: one worker, N executions of a hello script, each in a fresh
# global context (`corral run --repeat N`). Prints the worker-measured time of
# one execution (context + globals + compile + run + result) and the
# supervisor's round trip (frames over the socket included).
# Target (issue 2): <= 0.2 ms per warm execution.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${RUNS:-5000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'console.log("hello"); 42' > "$tmp/hello.js"
start=$(date +%s.%N)
"$build/corral" run --json --repeat "$n" "$tmp/hello.js" > "$tmp/out.jsonl"
end=$(date +%s.%N)
python3 - "$tmp/out.jsonl" "$start" "$end" "$n" <<'PY'
import json, statistics, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
wall = sorted(r["usage"]["wall_ms"] for r in rs)
total = float(sys.argv[3]) - float(sys.argv[2])
n = int(sys.argv[4])
ok = sum(r["status"] == "ok" for r in rs)
print(f"warm execution ({n} runs in one worker, {ok} ok):")
print(f"  in-worker  median {statistics.median(wall):.3f} ms  p99 {wall[int(len(wall) * 0.99) - 1]:.3f} ms")
print(f"  round trip {total / n * 1e3:.3f} ms per execution ({n / total:.0f}/s, start-up included)")
PY
