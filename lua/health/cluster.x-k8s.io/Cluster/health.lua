-- cluster.x-k8s.io/Cluster (Cluster API, v1beta1 and v1beta2 status)
--   spec.paused                                        -> Suspended
--   status.failureReason/failureMessage or phase Failed -> Degraded
--   Ready (v1beta1) or Available (v1beta2) condition:
--     True and phase Provisioned -> Healthy; False with severity Error -> Degraded
--   phase Provisioned without such a condition         -> Healthy
--   otherwise (Pending, Provisioning, Deleting, ...)   -> Progressing

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
if spec.paused == true then
  return { status = "Suspended", message = "Cluster reconciliation is paused" }
end

local status = obj.status
if type(status) ~= "table" then
  return { status = "Progressing", message = "Waiting for the cluster to be provisioned" }
end

if status.failureMessage ~= nil or status.failureReason ~= nil then
  local message = status.failureMessage or status.failureReason
  if status.failureReason ~= nil and status.failureMessage ~= nil then
    message = status.failureReason .. ": " .. status.failureMessage
  end
  return { status = "Degraded", message = message }
end

local phase = status.phase or "Pending"
if phase == "Failed" then
  return { status = "Degraded", message = "Cluster provisioning failed" }
end

local ready = find_condition(status.conditions, "Ready") or find_condition(status.conditions, "Available")
if ready ~= nil then
  if ready.status == "True" and phase == "Provisioned" then
    return { status = "Healthy", message = "Cluster is provisioned and ready" }
  end
  if ready.status == "False" and ready.severity == "Error" then
    return { status = "Degraded", message = text(ready, "Cluster is not ready") }
  end
  if ready.status ~= "True" then
    return { status = "Progressing", message = text(ready, "Cluster is " .. phase) }
  end
elseif phase == "Provisioned" then
  return { status = "Healthy", message = "Cluster is provisioned" }
end
return { status = "Progressing", message = "Cluster is " .. phase }
