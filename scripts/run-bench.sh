#!/usr/bin/env bash
# Runs every benchmark in bench/ against a build and prints their figures.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
command -v hyperfine >/dev/null || { apt-get install -y -qq hyperfine >/dev/null; }
for b in bench/bench-*.sh; do
  echo "== $b"
  bash "$b" "$build"
done
