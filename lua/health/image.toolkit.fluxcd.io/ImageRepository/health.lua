-- image.toolkit.fluxcd.io/ImageRepository (Flux)
-- Flux follows the kstatus conventions:
--   spec.suspend: true                                   -> Suspended
--   no status                                             -> Progressing
--   Stalled=True                                          -> Degraded
--   Reconciling=True                                      -> Progressing
--   status.observedGeneration behind metadata.generation  -> Progressing
--   Ready=True -> Healthy, Ready=False -> Degraded, Ready=Unknown -> Progressing
-- Messages are the controller's own (e.g. the stored revision, the fetch error).

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

local function text(c, fallback)
  if c.message ~= nil and c.message ~= "" then
    return c.message
  end
  if c.reason ~= nil and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

local spec = obj.spec or {}
if spec.suspend == true then
  return { status = "Suspended", message = "ImageRepository reconciliation is suspended" }
end

local status = obj.status
if type(status) ~= "table" then
  return { status = "Progressing", message = "Waiting for the first reconciliation" }
end

local stalled = find_condition(status.conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  return { status = "Degraded", message = text(stalled, "Reconciliation stalled") }
end

local reconciling = find_condition(status.conditions, "Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  return { status = "Progressing", message = text(reconciling, "Reconciliation in progress") }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)
if generation ~= nil and observed ~= nil and observed < generation then
  return { status = "Progressing", message = "Waiting for the controller to observe generation " .. string.format("%d", generation) }
end

local ready = find_condition(status.conditions, "Ready")
if ready == nil then
  return { status = "Progressing", message = "Waiting for the first reconciliation" }
end
if ready.status == "True" then
  return { status = "Healthy", message = text(ready, "ImageRepository is ready") }
end
if ready.status == "False" then
  return { status = "Degraded", message = text(ready, "ImageRepository is not ready") }
end
return { status = "Progressing", message = text(ready, "Reconciliation in progress") }
