#!/usr/bin/env bash
# The cost of top-level await and of ES module syntax on a large bundle
# (issue 19 point 4, issue 13 point 14). Bundles zod (~1 MB) with the
# pinned esbuild and runs, each RUNS times in fresh workers with `corral
# run --json`:
#   plain   the CommonJS bundle as it is
#   tla     the same with `await 0;` appended (the rewrite into an async
#           function: acorn parses the skeleton, function bodies blanked)
#   esm     the bundle in ES module format with an `export` (transpiled by
#           sucrase to CommonJS first)
# and prints the medians of wall, CPU and peak memory, and each one's ratio
# to plain. Goal: tla within 2x of plain in time and memory.
# Usage: bench/bench-tla.sh [BUILD [PREVIOUS_BUILD]] (both side by side).
set -euo pipefail
cd "$(dirname "$0")/.."
builds=("${1:-build}")
[ -n "${2:-}" ] && builds+=("$2")
esbuild=node_modules/.bin/esbuild
[ -x "$esbuild" ] || { echo "bench-tla: $esbuild is missing (npm ci)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$esbuild" tests/npm/zod.js --bundle --platform=node --format=cjs --outfile="$tmp/plain.js" --log-level=error
{ cat "$tmp/plain.js"; echo 'await 0;'; } > "$tmp/tla.js"
"$esbuild" tests/npm/zod.js --bundle --platform=node --format=esm --outfile="$tmp/esm.js" --log-level=error
echo 'export const done = 1;' >> "$tmp/esm.js"
python3 - "$tmp" "${RUNS:-7}" "${builds[@]}" <<'PY'
import json, os, statistics, subprocess, sys
tmp, runs, builds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
size = os.path.getsize(os.path.join(tmp, "plain.js"))
print(f"top-level await and ES modules on a {size / 1e6:.2f} MB bundle (zod), medians of {runs} fresh workers:")
for b in builds:
    rows = {}
    for kind in ("plain", "tla", "esm"):
        wall, cpu, peak, st = [], [], [], set()
        for _ in range(runs):
            p = subprocess.run([os.path.join(b, "corral"), "run", "--json", "--memory", "512", "--timeout", "30000",
                                os.path.join(tmp, kind + ".js")], capture_output=True, text=True)
            r = json.loads(p.stdout.splitlines()[-1])
            st.add(r["status"])
            u = r["usage"]
            wall.append(u["wall_ms"]); cpu.append(u["cpu_ms"]); peak.append(u["peak_memory_bytes"] / 2**20)
        rows[kind] = (statistics.median(wall), statistics.median(cpu), statistics.median(peak), ",".join(sorted(st)))
    print(f"  {b}")
    print(f"    {'':6} {'wall ms':>8} {'cpu ms':>8} {'peak MB':>8}   {'x wall':>6} {'x cpu':>6} {'x peak':>6}  status")
    w0, c0, p0, _ = rows["plain"]
    for kind, (w, c, pk, st) in rows.items():
        print(f"    {kind:6} {w:8.0f} {c:8.0f} {pk:8.1f}   {w / w0:6.2f} {c / c0:6.2f} {pk / p0:6.2f}  {st}")
PY
