-- Login storm: POST {auth_prefix}/login with a seeded user's email and the
-- bench password, round robin over the users. Uses the shared harness's
-- common.lua (pass its directory in HARNESS).
local harness = os.getenv("HARNESS") or "../shared/bench"
local bench = dofile(harness .. "/common.lua")
bench.name = "login"

local reqs
function init(args)
  bench.init_thread()
  reqs = {}
  local password = os.getenv("BENCH_PASSWORD") or "Tp-bench-7c1e9a!"
  for _, u in ipairs(bench.data.users) do
    local body = '{"email":"' .. u.email .. '","password":"' .. password .. '"}'
    reqs[#reqs + 1] = wrk.format("POST", bench.data.auth_prefix .. "/login",
      { ["Content-Type"] = "application/json" }, body)
  end
end

function request() return reqs[math.random(#reqs)] end
