#!/usr/bin/env bash
# Runs every test against one build directory and prints one closing line,
# "N passed, M failed": the layout of src/ (tests/layout), unit tests
# (meson test, TAP), the JS bundle tests, and the end-to-end tests in
# tests/e2e (real binaries, real workers).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
export CORRAL_BUILD=$PWD/$build
if [ "${CORRAL_SANITIZED:-0}" = 1 ]; then
  # LeakSanitizer cannot run under the worker's seccomp filter (it ptraces);
  # leaks are checked on the supervisor side with valgrind instead.
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:quarantine_size_mb=16
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
# The soak of issue 3 is 10,000 executions; the sanitized build runs fewer.
if [ "${CORRAL_SANITIZED:-0}" = 1 ]; then
  export SOAK_N=${SOAK_N:-2000} CONNS_N=${CONNS_N:-2000}
else
  export SOAK_N=${SOAK_N:-10000}
fi
passed=0 failed=0 skipped=0
log=$(mktemp -d)

count() { # file with TAP
  local p f s
  p=$(grep -cE '^ok [0-9]+' "$1" | tr -d ' ')
  s=$(grep -cE '^ok [0-9]+.*# SKIP' "$1" | tr -d ' ')
  f=$(grep -E '^not ok [0-9]+' "$1" | grep -vc '# TODO' | tr -d ' ')
  passed=$((passed + p - s)); skipped=$((skipped + s)); failed=$((failed + f))
}

has_failure() { # file with TAP: a `not ok` that is not a TODO
  grep -E '^not ok [0-9]+' "$1" | grep -vq '# TODO'
}

# A suite that exited non-zero without a failing case crashed: one failure.
crashed() { # rc, file with its output, name
  if [ "$1" -ne 0 ] && ! has_failure "$2"; then
    echo "   $3 exited $1 without a failing case (crashed?)"; tail -20 "$2"
    failed=$((failed + 1))
  fi
}

echo "== layout of src/ (docs/design.md, the map)"
for t in tests/layout/check-layout.py tests/layout/test-checker.py; do
  python3 "$t" >"$log/layout.txt" 2>&1
  rc=$?
  count "$log/layout.txt"
  grep -E '^not ok|^  #' "$log/layout.txt" | head -40 | sed 's/^/   /'
  crashed $rc "$log/layout.txt" "$t"
done

echo "== unit tests ($build)"
if meson test -C "$build" --print-errorlogs >"$log/meson.txt" 2>&1; then
  grep -E '^(Ok|Fail|Skipped|Expected|Unexpected|Timeout):' "$log/meson.txt" | sed 's/^/   /'
else
  cat "$log/meson.txt"
fi
# Every TAP line meson collected.
for f in "$build"/meson-logs/testlog.txt; do
  [ -f "$f" ] && count "$f"
done
meson_fail=$(grep -E '^(Fail|Unexpected Pass|Timeout):' "$log/meson.txt" | awk '{s+=$NF} END {print s+0}')
if [ "$meson_fail" -gt 0 ] && ! has_failure "$build/meson-logs/testlog.txt"; then
  failed=$((failed + meson_fail))
fi

echo "== js bundles and runtime"
for js in test-tools test-runtime test-fn test-session; do
  if [ $js = test-tools ]; then
    node tests/js/$js.mjs "$build/src/worker/js_bundles.c" >"$log/js.txt" 2>&1
  else
    node tests/js/$js.mjs >"$log/js.txt" 2>&1
  fi
  rc=$?
  count "$log/js.txt"
  grep -E '^not ok' "$log/js.txt" | head -20 | sed 's/^/   /'
  grep -E 'passed, [0-9]+ failed' "$log/js.txt" | sed 's/^/   /'
  crashed $rc "$log/js.txt" "tests/js/$js.mjs"
done

for t in $(ls tests/e2e/*.py tests/e2e/*.sh 2>/dev/null | sort); do
  echo "== $t"
  case "$t" in
    *.py) timeout 600 python3 "$t" >"$log/e2e.txt" 2>&1 ;;
    *.sh) timeout 600 bash "$t" >"$log/e2e.txt" 2>&1 ;;
  esac
  rc=$?
  count "$log/e2e.txt"
  grep -E '^not ok|^#' "$log/e2e.txt" | head -40 | sed 's/^/   /'
  tail -1 "$log/e2e.txt" | sed 's/^/   /'
  crashed $rc "$log/e2e.txt" "$t"
done
rm -rf "$log"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
