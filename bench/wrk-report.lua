-- wrk script for bench/bench-http.sh and bench/bench-fn.sh, on keep-alive
-- connections. With WRK_BODY set every request is POST <url> with that body
-- (Content-Type: application/json); without it, a plain GET <url>:
--   WRK_BODY='{"code":"1+1"}' wrk -t2 -c16 -d10s --timeout 10s -s bench/wrk-report.lua http://127.0.0.1:PORT/v1/execute
--   wrk -t2 -c16 -d10s --timeout 10s -s bench/wrk-report.lua http://127.0.0.1:PORT/fn/hello/
-- done() prints one parseable line (latencies in ms over completed requests):
--   RESULT rps=… p50_ms=… p99_ms=… requests=… non2xx=… socket_errors=…
-- non2xx counts every response whose status is not 2xx (wrk's own "Non-2xx"
-- figure counts only >= 400); socket_errors sums connect/read/write/timeout.

local body = os.getenv("WRK_BODY")
if body and body ~= "" then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
  end
  local e = summary.errors
  local sockerr = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, bad, sockerr))
end
