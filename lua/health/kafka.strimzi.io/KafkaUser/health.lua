-- kafka.strimzi.io/KafkaUser (Strimzi)
-- Strimzi reports Ready=True when the resource is reconciled, NotReady=True (reason
-- Creating, or an exception name on failure) or Ready=False while it is not, and
-- ReconciliationPaused=True under the strimzi.io/pause-reconciliation annotation.
--   paused -> Suspended; observedGeneration behind -> Progressing; Ready=True -> Healthy;
--   Ready=False or NotReady with an *Exception/*Error reason -> Degraded; else Progressing.

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

local function ends_with(s, suffix)
  return s ~= nil and string.len(s) >= string.len(suffix) and string.sub(s, -string.len(suffix)) == suffix
end

local annotations = (obj.metadata and obj.metadata.annotations) or {}
local status = obj.status
local conditions = nil
if type(status) == "table" then
  conditions = status.conditions
end

local paused = find_condition(conditions, "ReconciliationPaused")
if annotations["strimzi.io/pause-reconciliation"] == "true" or (paused ~= nil and paused.status == "True") then
  return { status = "Suspended", message = "Reconciliation is paused" }
end

if type(status) ~= "table" then
  return { status = "Progressing", message = "Waiting for the operator to reconcile the KafkaUser" }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)
if generation ~= nil and observed ~= nil and observed < generation then
  return { status = "Progressing", message = "Waiting for the operator to reconcile the KafkaUser" }
end

local function text(c, fallback)
  local parts = {}
  if c.reason ~= nil and c.reason ~= "" then
    table.insert(parts, c.reason)
  end
  if c.message ~= nil and c.message ~= "" then
    table.insert(parts, c.message)
  end
  if #parts == 0 then
    return fallback
  end
  return table.concat(parts, ": ")
end

local ready = find_condition(conditions, "Ready")
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = "User is ready" }
end
if ready ~= nil and ready.status == "False" then
  return { status = "Degraded", message = text(ready, "KafkaUser is not ready") }
end

local not_ready = find_condition(conditions, "NotReady")
if not_ready ~= nil and not_ready.status == "True" then
  if ends_with(not_ready.reason, "Exception") or ends_with(not_ready.reason, "Error") then
    return { status = "Degraded", message = text(not_ready, "KafkaUser is not ready") }
  end
  return { status = "Progressing", message = text(not_ready, "KafkaUser is not ready yet") }
end

return { status = "Progressing", message = "Waiting for the operator to reconcile the KafkaUser" }
