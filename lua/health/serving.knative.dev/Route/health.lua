-- serving.knative.dev/Route (Knative)
-- Knative summarises readiness in the Ready condition: True -> Healthy, False -> Degraded
-- with its reason and message, Unknown -> Progressing. The condition is only trusted once
-- status.observedGeneration has caught up with metadata.generation.

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
if type(status) ~= "table" then
  return { status = "Progressing", message = "Waiting for the route to be programmed" }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)
if generation ~= nil and observed ~= nil and observed < generation then
  return { status = "Progressing", message = "Waiting for the controller to observe generation " .. string.format("%d", generation) }
end

local ready = find_condition(status.conditions, "Ready")
if ready == nil then
  return { status = "Progressing", message = "Waiting for the route to be programmed" }
end

local message = ready.message
if message == nil or message == "" then
  message = ready.reason
end
if ready.status == "True" then
  return { status = "Healthy", message = "Route is ready" }
end
if ready.status == "False" then
  if ready.reason ~= nil and ready.message ~= nil and ready.message ~= "" then
    message = ready.reason .. ": " .. ready.message
  end
  return { status = "Degraded", message = message or "Route is not ready" }
end
return { status = "Progressing", message = message or "Waiting for the route to be programmed" }
