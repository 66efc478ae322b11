#!/usr/bin/env bash
# The supervisor under valgrind for a few hundred mixed requests, then a
# SIGTERM drain: any definite or indirect leak, or any memory error, fails.
# Workers run natively (valgrind follows no exec); rlimits are switched off
# in this run only because valgrind refuses to lower RLIMIT_NOFILE.
set -uo pipefail
build=${CORRAL_BUILD:-build}
n=${VALGRIND_N:-300}
if ! command -v valgrind >/dev/null; then echo "ok 1 - valgrind # SKIP valgrind is not installed"; echo "1..1"; exit 0; fi
if [ "${CORRAL_SANITIZED:-0}" = 1 ]; then echo "ok 1 - valgrind # SKIP not under ASan"; echo "1..1"; exit 0; fi
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CORRAL_TEST_DISABLE=rlimits ISOLATE_POOL_SIZE=2 ISOLATE_MAX_POOL_SIZE=3 \
  valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
  --error-exitcode=9 --log-file="$tmp/vg.txt" \
  "$build/corral-testhooks" serve --listen 127.0.0.1:$port --data-dir "$tmp/data" 2>"$tmp/serve.log" &
pid=$!
for i in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
python3 - "$port" "$n" <<'PY'
import http.client, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
codes = ['console.log("x"); 1+1', 'throw new Error("e")', 'while(true){}', 'let x = ;',
         'await new Promise(r => setTimeout(r, 5)); [1,2]', '__corral_test.syscall("socket")']
bad = 0
for i in range(n):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = {"code": codes[i % len(codes)], "timeout_ms": 100}
    c.request("POST", "/v1/execute", json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    if r.status != 200: bad += 1
    c.close()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for path in ["/metrics", "/v1/metrics", "/readyz", "/nope"]:
    c.request("GET", path); c.getresponse().read()
print(f"# {n} requests, {bad} not 200")
sys.exit(1 if bad else 0)
PY
req=$?
kill -TERM $pid; wait $pid; rc=$?
grep -E 'definitely|indirectly|ERROR SUMMARY' "$tmp/vg.txt" | sed 's/^/# /'
[ $req -eq 0 ] && echo "ok 1 - $n mixed requests through the supervisor under valgrind" || echo "not ok 1 - requests failed under valgrind"
[ $rc -eq 0 ] && echo "ok 2 - no leak and no memory error in the supervisor (valgrind exit $rc)" || { echo "not ok 2 - valgrind found errors or leaks (exit $rc)"; grep -A20 'definitely lost\|Invalid' "$tmp/vg.txt" | head -60 | sed 's/^/# /'; }
echo "1..2"
rm -rf "$tmp"
