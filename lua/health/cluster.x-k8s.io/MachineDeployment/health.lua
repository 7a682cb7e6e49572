-- cluster.x-k8s.io/MachineDeployment (Cluster API)
--   spec.paused                                            -> Suspended
--   phase Failed                                           -> Degraded
--   observedGeneration behind, or replicas not all updated and available -> Progressing
--   all spec.replicas updated, ready and available         -> Healthy

local spec = obj.spec or {}
if spec.paused == true then
  return { status = "Suspended", message = "MachineDeployment is paused" }
end

local status = obj.status
if type(status) ~= "table" then
  return { status = "Progressing", message = "Waiting for the machine deployment to be reconciled" }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)
if generation ~= nil and observed ~= nil and observed < generation then
  return { status = "Progressing", message = "Waiting for the machine deployment spec update to be observed" }
end

if status.phase == "Failed" then
  local message = status.failureMessage or "MachineDeployment failed"
  return { status = "Degraded", message = message }
end

local desired = tonumber(spec.replicas) or tonumber(status.replicas) or 0
local updated = tonumber(status.updatedReplicas) or 0
local available = tonumber(status.availableReplicas) or 0
local total = tonumber(status.replicas) or 0

if updated < desired then
  return {
    status = "Progressing",
    message = string.format("Waiting for rollout: %d of %d machines updated", updated, desired),
  }
end
if total > updated then
  return {
    status = "Progressing",
    message = string.format("Waiting for rollout: %d old machines pending termination", total - updated),
  }
end
if available < desired then
  return {
    status = "Progressing",
    message = string.format("Waiting for rollout: %d of %d machines available", available, desired),
  }
end
return { status = "Healthy", message = string.format("%d of %d machines available", available, desired) }
