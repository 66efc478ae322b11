#!/usr/bin/env bash
# Output filtering of a 1 MiB execution output (env secrets, the built-in
# secret patterns, PII tokens): bench/bench-filter.c, built on demand.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
ninja -C "$build" bench-filter >/dev/null
"$build/bench-filter"
