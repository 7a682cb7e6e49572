-- argoproj.io/Rollout (Argo Rollouts)
-- The Rollouts controller sums up health in status.phase (Healthy, Progressing, Paused,
-- Degraded) and status.message. The phase is only trusted once the controller has observed
-- the current spec: status.observedGeneration (a string such as "7") must reach
-- metadata.generation. A paused rollout (a pause step, or spec.paused) is Suspended.

local status = obj.status
if type(status) ~= "table" then
  return { status = "Progressing", message = "Waiting for rollout spec update to be observed" }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)
if generation ~= nil and observed ~= nil and observed < generation then
  return { status = "Progressing", message = "Waiting for rollout spec update to be observed" }
end

local message = status.message
local function msg(default)
  if message ~= nil and message ~= "" then
    return message
  end
  return default
end

local phase = status.phase
if phase == "Healthy" then
  return { status = "Healthy", message = msg("Rollout is healthy") }
end
if phase == "Degraded" then
  return { status = "Degraded", message = msg("Rollout is degraded") }
end
if phase == "Paused" or (obj.spec ~= nil and obj.spec.paused == true) then
  return { status = "Suspended", message = msg("Rollout is paused") }
end
if phase == "Progressing" then
  return { status = "Progressing", message = msg("Rollout is progressing") }
end
return { status = "Progressing", message = "Waiting for rollout status" }
