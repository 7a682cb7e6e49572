-- keda.sh/ScaledJob
-- Paused (annotation autoscaling.keda.sh/paused or paused-replicas, or condition
-- Paused=True) -> Suspended. Ready=False -> Degraded with KEDA's message (bad
-- scaleTargetRef, trigger errors). Fallback=True (the scaler is failing and KEDA uses the
-- fallback replica count) -> Degraded. Ready=True -> Healthy. Unknown/absent -> Progressing.

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
  return fallback
end

local annotations = (obj.metadata and obj.metadata.annotations) or {}
local conditions = nil
if type(obj.status) == "table" then
  conditions = obj.status.conditions
end

local paused = find_condition(conditions, "Paused")
if annotations["autoscaling.keda.sh/paused"] == "true" or annotations["autoscaling.keda.sh/paused-replicas"] ~= nil
    or (paused ~= nil and paused.status == "True") then
  return { status = "Suspended", message = "ScaledJob is paused" }
end

local ready = find_condition(conditions, "Ready")
if ready ~= nil and ready.status == "False" then
  return { status = "Degraded", message = text(ready, "ScaledJob is not ready") }
end

local fallback = find_condition(conditions, "Fallback")
if fallback ~= nil and fallback.status == "True" then
  return { status = "Degraded", message = text(fallback, "Scaler is failing, fallback replicas are in use") }
end

if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = text(ready, "ScaledJob is ready for scaling") }
end
return { status = "Progressing", message = "Waiting for ScaledJob to be ready" }
