-- wrk script for bench/bench-http.sh: every request is
--   POST <url> {"code":"console.log('hello'); 1+1"}   (Content-Type: application/json)
-- on keep-alive connections. Use the URL of the execute route:
--   wrk -t2 -c16 -d10s --timeout 10s -s bench/wrk-post.lua http://127.0.0.1:PORT/v1/execute
-- done() prints one parseable line (latencies in ms over completed requests):
--   RESULT rps=… p50_ms=… p99_ms=… requests=… non2xx=… socket_errors=…
-- non2xx counts every response whose status is not 2xx (wrk's own "Non-2xx"
-- figure counts only >= 400); socket_errors sums connect/read/write/timeout.

wrk.method = "POST"
wrk.body = [[{"code":"console.log('hello'); 1+1"}]]
wrk.headers["Content-Type"] = "application/json"

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
