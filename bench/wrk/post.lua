-- wrk script for bench:serve: POSTs one JSON body to every request and reports, in one
-- machine-readable line from done(), the numbers bench/serve.ts parses.
--
--   wrk -t2 -c16 -d10s --latency -s bench/wrk/post.lua URL -- BODY_FILE
--
-- BODY_FILE holds the request body (bench/serve.ts writes {"instances":[<one cars record>]}).

function init(args)
  local path = args[1]
  if path == nil then
    error("post.lua: pass the body file after --, e.g. wrk ... URL -- body.json")
  end
  local f = assert(io.open(path, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

-- No response() callback on purpose: defining one makes wrk hand every response's headers and
-- body to Lua, which cost 5-8% of the bare-Node ceiling on a 2-core machine where wrk shares the
-- cores with the server under test. wrk's own summary.errors.status counts every answer with a
-- status above 399; a predict API answers 200 or an error (never 1xx/3xx), so that count is the
-- non-2xx count.

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'KILN_WRK {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"non2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.status, e.connect, e.read, e.write, e.timeout))
end
