-- wrk script: POST /dvc/v1/dossiers until COUNT answers came back (per thread: run
-- one), rotating over $NBODIES bodies $BODIES/1.json .. (one procedure copy per
-- agency, so that no agency passes 9,999 codes a day), each with an
-- Idempotency-Key of its own as the portal sends (web/js/form.js) when IDEM=1.
local bodies, i, got, count, idem = {}, 0, 0, 0, false
local salt = tostring(os.time())

function init(args)
  local dir, n = os.getenv("BODIES"), tonumber(os.getenv("NBODIES"))
  count = tonumber(os.getenv("COUNT"))
  idem = os.getenv("IDEM") == "1"
  for k = 1, n do
    local f = assert(io.open(dir .. "/" .. k .. ".json", "rb"))
    bodies[k] = f:read("*a")
    f:close()
  end
end

function request()
  i = i + 1
  local h = { ["Content-Type"] = "application/json" }
  if idem then h["Idempotency-Key"] = salt .. "-" .. i end
  return wrk.format("POST", "/dvc/v1/dossiers", h, bodies[(i - 1) % #bodies + 1])
end

function response(status, headers, body)
  got = got + 1
  if got >= count then wrk.thread:stop() end
end

function done(s, latency, requests)
  io.write(string.format("RESULT requests=%d non2xx=%d sock_err=%d\n", s.requests,
    s.errors.status, s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout))
end
