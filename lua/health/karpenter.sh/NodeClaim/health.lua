-- karpenter.sh/NodeClaim (Karpenter v1)
-- A NodeClaim walks through Launched -> Registered -> Initialized, then Ready.
--   Ready=True                                  -> Healthy
--   a lifecycle condition False (launch failure, registration timeout, ...) -> Degraded
--   the first lifecycle step not yet True       -> Progressing ("Waiting for ... to be <step>")

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
local conditions = nil
if type(status) == "table" then
  conditions = status.conditions
end

local ready = find_condition(conditions, "Ready")
if ready ~= nil and ready.status == "True" then
  if status.nodeName ~= nil then
    return { status = "Healthy", message = "Node " .. status.nodeName .. " is ready" }
  end
  return { status = "Healthy", message = "NodeClaim is ready" }
end

local steps = { "Launched", "Registered", "Initialized" }
for _, step in ipairs(steps) do
  local c = find_condition(conditions, step)
  if c ~= nil and c.status == "False" then
    local message = c.message
    if message == nil or message == "" then
      message = c.reason or (step .. " is False")
    end
    return { status = "Degraded", message = message }
  end
  if c == nil or c.status ~= "True" then
    return { status = "Progressing", message = "Waiting for the NodeClaim to be " .. string.lower(step) }
  end
end
return { status = "Progressing", message = "Waiting for the node to become ready" }
