-- wrk script: rotates through the paths listed in $WRK_PATHS (one per line),
-- and waits $WRK_DELAY_MS before each of a connection's requests, so a fixed
-- number of connections offers a fixed rate.
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")
local i = 0

function init(args)
  -- Threads start at different places in the list.
  i = math.random(#paths) - 1
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end
