-- wrk script for bench/bench-fn.sh: plain GET <url> on keep-alive connections,
--   wrk -t2 -c16 -d10s --timeout 10s -s bench/wrk-get.lua http://127.0.0.1:PORT/fn/hello/
-- done() prints one parseable line (latencies in ms over completed requests):
--   RESULT rps=… p50_ms=… p99_ms=… requests=… non2xx=… socket_errors=…
-- non2xx counts every response whose status is not 2xx; socket_errors sums
-- connect/read/write/timeout.

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
