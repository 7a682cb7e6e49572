-- rabbitmq.com/RabbitmqCluster (RabbitMQ Cluster Operator)
-- Conditions: ReconcileSuccess (the operator could apply the spec), AllReplicasReady,
-- ClusterAvailable (at least one node serves traffic) and NoWarnings.
--   ReconcileSuccess=False                         -> Degraded
--   observedGeneration behind, or not all replicas ready -> Progressing
--   AllReplicasReady=True and ClusterAvailable=True -> Healthy (NoWarnings=False is named)

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
if type(status) ~= "table" or type(status.conditions) ~= "table" or #status.conditions == 0 then
  return { status = "Progressing", message = "Waiting for the RabbitMQ cluster to be created" }
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

local reconcile = find_condition(status.conditions, "ReconcileSuccess")
if reconcile ~= nil and reconcile.status == "False" then
  return { status = "Degraded", message = text(reconcile, "Reconciliation failed") }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)
if generation ~= nil and observed ~= nil and observed < generation then
  return { status = "Progressing", message = "Waiting for the operator to observe the latest spec" }
end

local replicas = find_condition(status.conditions, "AllReplicasReady")
if replicas == nil or replicas.status ~= "True" then
  local message = "Waiting for all RabbitMQ nodes to be ready"
  if replicas ~= nil then
    message = text(replicas, message)
  end
  return { status = "Progressing", message = message }
end

local available = find_condition(status.conditions, "ClusterAvailable")
if available ~= nil and available.status ~= "True" then
  return { status = "Progressing", message = text(available, "Waiting for the cluster to become available") }
end

local warnings = find_condition(status.conditions, "NoWarnings")
if warnings ~= nil and warnings.status == "False" then
  return { status = "Healthy", message = "All nodes ready, with warnings: " .. text(warnings, "see the NoWarnings condition") }
end
return { status = "Healthy", message = "All RabbitMQ nodes are ready" }
