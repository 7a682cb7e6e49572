-- postgresql.cnpg.io/Cluster (CloudNativePG)
-- The operator describes the cluster in status.phase (a sentence) and status.phaseReason.
--   annotation cnpg.io/hibernation: "on"            -> Suspended
--   phase "Cluster in healthy state"                -> Healthy
--   phases that need a person (unrecoverable, waiting for user action, cannot create
--   objects, plugin/image catalog errors)           -> Degraded
--   any other phase (setting up primary, creating replicas, switchover, upgrades, ...)
--                                                    -> Progressing

local annotations = (obj.metadata and obj.metadata.annotations) or {}
if annotations["cnpg.io/hibernation"] == "on" then
  return { status = "Suspended", message = "Cluster is hibernated" }
end

local status = obj.status
if type(status) ~= "table" or status.phase == nil or status.phase == "" then
  return { status = "Progressing", message = "Waiting for the cluster to be created" }
end

local phase = status.phase
local message = phase
if status.phaseReason ~= nil and status.phaseReason ~= "" then
  message = phase .. ": " .. status.phaseReason
end

if phase == "Cluster in healthy state" then
  local ready = tonumber(status.readyInstances)
  local total = tonumber(status.instances)
  if ready ~= nil and total ~= nil then
    return { status = "Healthy", message = string.format("Cluster in healthy state (%d/%d instances ready)", ready, total) }
  end
  return { status = "Healthy", message = phase }
end

local needs_attention = {
  "Cluster is in an unrecoverable state, needs manual intervention",
  "Waiting for user action",
  "Unable to create required cluster objects",
}
for _, p in ipairs(needs_attention) do
  if phase == p then
    return { status = "Degraded", message = message }
  end
end
if string.find(phase, "cannot proceed", 1, true) ~= nil or string.find(phase, "cannot execute", 1, true) ~= nil then
  return { status = "Degraded", message = message }
end

return { status = "Progressing", message = message }
