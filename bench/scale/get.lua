-- wrk script: GET the lookups listed one per line in $PATHS (dossiers
-- bench/scale/run.py recorded through the same gateway), in turn.
local reqs, i = {}, 0

function init(args)
  for line in io.lines(os.getenv("PATHS")) do
    if line ~= "" then reqs[#reqs + 1] = wrk.format("GET", line) end
  end
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function done(s, latency, requests)
  local e = s.errors
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d sock_err=%d requests=%d\n",
    s.requests / (s.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout, s.requests))
end
