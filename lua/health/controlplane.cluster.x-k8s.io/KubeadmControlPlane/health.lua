-- controlplane.cluster.x-k8s.io/KubeadmControlPlane (Cluster API)
--   failureReason/failureMessage                         -> Degraded
--   observedGeneration behind, not initialized, or machines not all
--   updated and ready                                   -> Progressing
--   every desired machine updated and ready             -> Healthy

local status = obj.status
if type(status) ~= "table" then
  return { status = "Progressing", message = "Waiting for the control plane to be initialized" }
end

if status.failureMessage ~= nil or status.failureReason ~= nil then
  local message = status.failureMessage or status.failureReason
  if status.failureReason ~= nil and status.failureMessage ~= nil then
    message = status.failureReason .. ": " .. status.failureMessage
  end
  return { status = "Degraded", message = message }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)
if generation ~= nil and observed ~= nil and observed < generation then
  return { status = "Progressing", message = "Waiting for the control plane spec update to be observed" }
end

local initialized = status.initialized == true
if type(status.initialization) == "table" and status.initialization.controlPlaneInitialized == true then
  initialized = true
end
if not initialized then
  return { status = "Progressing", message = "Waiting for the control plane to be initialized" }
end

local spec = obj.spec or {}
local desired = tonumber(spec.replicas) or 1
local ready = tonumber(status.readyReplicas) or 0
local updated = tonumber(status.updatedReplicas) or tonumber(status.upToDateReplicas) or 0
local total = tonumber(status.replicas) or 0

if updated < desired or total > desired then
  return {
    status = "Progressing",
    message = string.format("Rolling out control plane: %d of %d machines up to date", updated, desired),
  }
end
if ready < desired then
  return {
    status = "Progressing",
    message = string.format("Waiting for control plane machines: %d of %d ready", ready, desired),
  }
end
return { status = "Healthy", message = string.format("%d of %d control plane machines ready", ready, desired) }
