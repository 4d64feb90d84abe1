-- wrk script: POST a registration per request, spread round-robin over the sessions given as
-- the first argument (comma-separated ids); every request a new person (unique phone number).
-- Second argument: an offset keeping the numbers of successive runs apart.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  sessions = {}
  for s in string.gmatch(args[1], "[^,]+") do
    sessions[#sessions + 1] = s
  end
  offset = tonumber(args[2] or "0")
  counter = 0
end

function request()
  counter = counter + 1
  local n = offset + tid * 10000000 + counter
  local session = sessions[(counter % #sessions) + 1]
  local body = string.format('{"name":"Personne %d","phone":"06%08d","consent":true}', n, n % 100000000)
  return wrk.format("POST", "/api/v1/sessions/" .. session .. "/registrations",
    { ["Content-Type"] = "application/json" }, body)
end
