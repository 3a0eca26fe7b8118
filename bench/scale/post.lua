-- wrk script: POST /dvc/v1/dossiers, rotating over $NBODIES bodies $BODIES/1.json ..
-- (bench/scale/run.py copies the five example dossiers there: five agencies).
-- done() prints the RESULT line bench/scale/run.py reads.
local reqs, i = {}, 0

function init(args)
  local dir, n = os.getenv("BODIES"), tonumber(os.getenv("NBODIES"))
  for k = 1, n do
    local f = assert(io.open(dir .. "/" .. k .. ".json", "rb"))
    reqs[k] = wrk.format("POST", "/dvc/v1/dossiers",
                         { ["Content-Type"] = "application/json" }, f:read("*a"))
    f:close()
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
