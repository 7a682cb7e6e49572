-- karpenter.sh/NodePool (Karpenter v1)
-- Condition Ready (which sums up ValidationSucceeded and NodeClassReady): True -> Healthy,
-- False -> Degraded with Karpenter's message, Unknown or absent -> Progressing.

local function find_condition(conditions, ctype)
  if type(conditions) ~= "table" then
    return nil
  end
  for _, c in ipairs(conditions) do
    if type(c) == "table" and c.type == ctype then
      return c
    end
  end
  return nil
end

local status = obj.status
local ready = nil
if type(status) == "table" then
  ready = find_condition(status.conditions, "Ready")
end
if ready == nil or (ready.status ~= "True" and ready.status ~= "False") then
  return { status = "Progressing", message = "Waiting for the NodePool to be ready" }
end

if ready.status == "True" then
  local nodes = nil
  if type(status.resources) == "table" then
    nodes = tonumber(status.resources.nodes)
  end
  if nodes ~= nil then
    return { status = "Healthy", message = string.format("NodePool is ready (%d nodes)", nodes) }
  end
  return { status = "Healthy", message = "NodePool is ready" }
end

local message = ready.message
if message == nil or message == "" then
  message = ready.reason or "NodePool is not ready"
end
return { status = "Degraded", message = message }
