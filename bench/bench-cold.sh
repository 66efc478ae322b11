#!/usr/bin/env bash
# Cold start: `corral run hello.js` (a new sandboxed worker: clone into five
# namespaces, cgroup, exec, JSC start, warm-up, lock-down, one execution)
# against `node -e` doing the same, measured in the same run by hyperfine.
# Target (issue 2): median <= 15 ms wall on the 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
command -v hyperfine >/dev/null || { echo "bench-cold: hyperfine is missing (apt-get install hyperfine)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'console.log("hello")' > "$tmp/hello.js"
hyperfine -N --warmup 5 --runs ${RUNS:-60} --export-json "$tmp/cold.json" \
  -n "corral run" "$build/corral run $tmp/hello.js" \
  -n "corral run --no-jit" "$build/corral run --no-jit $tmp/hello.js" \
  -n "node -e" "node -e 'console.log(\"hello\")'" >/dev/null
python3 - "$tmp/cold.json" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
print("cold start (hello world), wall ms:")
for r in rs:
    print(f"  {r['command']:<22} median {r['median']*1e3:6.2f}  mean {r['mean']*1e3:6.2f}  min {r['min']*1e3:6.2f}  max {r['max']*1e3:6.2f}")
PY
