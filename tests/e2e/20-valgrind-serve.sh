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
CORRAL_TEST_DISABLE=rlimits CORRAL_REGEX_JIT=false ISOLATE_POOL_SIZE=2 ISOLATE_MAX_POOL_SIZE=3 \
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
# Sessions, filtering, settings and the policy go through the supervisor too.
def req(method, path, body=None):
    c.request(method, path, json.dumps(body) if body is not None else None, {"Content-Type": "application/json"})
    r = c.getresponse(); data = r.read()
    return r.status, (json.loads(data) if data else None)
st, s = req("POST", "/v1/sessions", {"ttl_s": 60, "pii": True})
if st != 201: bad += 1
sid = s["id"] if st == 201 else "s_none"
req("PUT", "/v1/settings", {"secret_patterns": [{"name": "ACME", "pattern": "acme_[0-9a-f]{8}"}],
                            "validation": {"max_nesting_depth": 50, "forbidden_patterns": [{"name": "no-eval", "pattern": "eval\\("}]}})
snips = ['let m = new Map([[1, {a: [1, 2]}]]); class K {}', 'm.get(1).a.length + 1',
         'console.log(process.env.K, "bob@example.com acme_0123abcd"); [process.env.K]',
         'while(true){}', 'm', 'eval("1")', 'K', 'const r = await Promise.resolve(4); r']
for i in range(30):
    st, _ = req("POST", "/v1/execute", {"code": snips[i % len(snips)], "session_id": sid, "timeout_ms": 200,
                                        "env": {"K": "s3cr3t-value"}})
    if st != 200: bad += 1
for path in [f"/v1/sessions/{sid}", f"/v1/sessions/{sid}/history?limit=5"]:
    st, _ = req("GET", path)
    if st != 200: bad += 1
req("POST", f"/v1/sessions/{sid}/detokenize", {"text": "[EMAIL_1]"})
st, _ = req("DELETE", f"/v1/sessions/{sid}")
if st != 204: bad += 1
req("PUT", "/v1/settings", {})
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
