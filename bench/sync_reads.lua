-- One GET, again and again: REQ_PATH with the bearer TOKEN, and
-- If-None-Match: IF_NONE_MATCH when it is set (bench/sync.sh).
local path = os.getenv("REQ_PATH")
local headers = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }
local validator = os.getenv("IF_NONE_MATCH")
if validator and validator ~= "" then
  headers["If-None-Match"] = validator
end

request = function()
  return wrk.format("GET", path, headers)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status))
end
