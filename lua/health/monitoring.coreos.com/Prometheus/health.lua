-- monitoring.coreos.com/Prometheus (Prometheus Operator)
-- spec.paused or status.paused -> Suspended. Conditions (operator v0.57+):
-- Reconciled=False (the operator could not generate the config or StatefulSet) -> Degraded;
-- Available=False or Available=Degraded (no or not all replicas available) -> Degraded;
-- Available=True -> Healthy. An outdated observedGeneration or no conditions -> Progressing.

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
local status = obj.status
if spec.paused == true or (type(status) == "table" and status.paused == true) then
  return { status = "Suspended", message = "Prometheus reconciliation is paused" }
end
if type(status) ~= "table" then
  return { status = "Progressing", message = "Waiting for Prometheus to be reconciled" }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local reconciled = find_condition(status.conditions, "Reconciled")
local available = find_condition(status.conditions, "Available")

if reconciled ~= nil and reconciled.status == "False" then
  return { status = "Degraded", message = text(reconciled, "Prometheus could not be reconciled") }
end

if available ~= nil then
  local observed = tonumber(available.observedGeneration)
  if generation ~= nil and observed ~= nil and observed < generation then
    return { status = "Progressing", message = "Waiting for Prometheus to observe the latest spec" }
  end
  if available.status == "True" then
    return { status = "Healthy", message = text(available, "Prometheus is available") }
  end
  if available.status == "False" or available.status == "Degraded" then
    return { status = "Degraded", message = text(available, "Prometheus is not available") }
  end
end
return { status = "Progressing", message = "Waiting for Prometheus to be reconciled" }
