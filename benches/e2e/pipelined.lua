-- The same call as unary.lua, 16 requests pipelined per write: measures framework overhead
-- with fewer syscalls per request.
wrk.method = "POST"
wrk.headers["content-type"] = "application/proto"
wrk.headers["connect-protocol-version"] = "1"
wrk.body = "\010\012hello, world"

local depth = 16
local batch

init = function(args)
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format()
  end
  batch = table.concat(r)
end

request = function()
  return batch
end
