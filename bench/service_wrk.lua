-- wrk script of bench/service_bench.py: POSTs getLivingWagesWithAmount SOAP requests, each for a beneficiary
-- drawn at random from a file of request bodies (one per line), with HTTP Basic; counts answers that are not a
-- SOAP answer with a status (HTTP 200 and MSG00000/MSG00100) as failures; prints one JSON line at the end.
-- Arguments (after --): BODIES_FILE AUTHORIZATION_HEADER SOAP_ACTION

local bodies = {}
local threads = {}
bad = 0  -- globals: done() reads them from each thread with thread:get
found = 0

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   for line in io.lines(args[1]) do
      if #line > 0 then table.insert(bodies, line) end
   end
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
   wrk.headers["Authorization"] = args[2]
   if args[3] then wrk.headers["SOAPAction"] = '"' .. args[3] .. '"' end
   math.randomseed(os.time() + tonumber(tostring(bodies):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
   return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])
end

function response(status, headers, body)
   if status ~= 200 then
      bad = bad + 1
   elseif body:find("<code>MSG00000</code>", 1, true) then
      found = found + 1
   elseif not body:find("<code>MSG00100</code>", 1, true) then
      bad = bad + 1
   end
end

function done(summary, latency, requests)
   local failed, data = 0, 0
   for _, thread in ipairs(threads) do
      failed = failed + thread:get("bad")
      data = data + thread:get("found")
   end
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_s": %.3f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, ' ..
      '"mean_ms": %.3f, "bad_answers": %d, "data_found": %d, "socket_errors": %d, "http_errors": %d}\n',
      summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
      latency:percentile(99) / 1e3, latency.max / 1e3, latency.mean / 1e3, failed, data,
      e.connect + e.read + e.write + e.timeout, e.status))
end
