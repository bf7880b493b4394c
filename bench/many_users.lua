-- Many users: every request picks a random user and one of that user's
-- tasks at random. MIX (default 70/20/10) is the share of GET one, GET list
-- and PATCH .../complete ({"completed": true or false at random}).
-- Reads MANY_DATA (written by bench/many_users_tokens.py): a header
-- "# ... tasks_per_user=N", then "<tasks path> <first task id> <token>" per
-- user, whose tasks are first .. first + N - 1.
-- Env: MANY_DATA (/tmp/taskpulse_bench/many_users.txt), MIX,
--      LIST_QUERY (?limit=50), COMPLETE_SUFFIX (/complete).
-- Prints the shared harness's "RESULT <name> rps=.. p50_ms=.. ..." line.
local data_path = os.getenv("MANY_DATA") or "/tmp/taskpulse_bench/many_users.txt"
local list_query = os.getenv("LIST_QUERY") or "?limit=50"
local complete_suffix = os.getenv("COMPLETE_SUFFIX") or "/complete"
local mix = os.getenv("MIX") or "70/20/10"
local get_pct, list_pct, patch_pct = mix:match("^(%d+)/(%d+)/(%d+)$")
assert(get_pct, "MIX must be GET/LIST/PATCH percentages, e.g. 70/20/10")
get_pct, list_pct = tonumber(get_pct), tonumber(list_pct)
assert(get_pct + list_pct + tonumber(patch_pct) == 100, "MIX must add up to 100")
local name = mix == "70/20/10" and "many_mixed" or ("many_" .. mix:gsub("/", "_"))

local users, per_user
function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0))
  non2xx = 0
  users = {}
  for line in io.lines(data_path) do
    if line:sub(1, 1) == "#" then
      per_user = tonumber(line:match("tasks_per_user=(%d+)"))
    else
      local path, first, token = line:match("^(%S+) (%d+) (%S+)$")
      assert(path, "bad line in " .. data_path .. ": " .. line)
      users[#users + 1] = { path = path, first = tonumber(first), auth = "Bearer " .. token }
    end
  end
  assert(per_user and #users > 0, "no users or no tasks_per_user in " .. data_path)
end

function request()
  local u = users[math.random(#users)]
  local r = math.random(100)
  if r <= get_pct then
    return wrk.format("GET", u.path .. "/" .. (u.first + math.random(0, per_user - 1)),
      { Authorization = u.auth })
  elseif r <= get_pct + list_pct then
    return wrk.format("GET", u.path .. list_query, { Authorization = u.auth })
  end
  local id = u.first + math.random(0, per_user - 1)
  return wrk.format("PATCH", u.path .. "/" .. id .. complete_suffix,
    { Authorization = u.auth, ["Content-Type"] = "application/json" },
    math.random(2) == 1 and '{"completed":true}' or '{"completed":false}')
end

-- As in the shared harness's common.lua.
local threads, next_tid = {}, 1

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  threads[#threads + 1] = thread
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT %s rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d requests=%d socket_errors=%d\n",
    name, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    bad, summary.requests, e.connect + e.read + e.write + e.timeout))
end
