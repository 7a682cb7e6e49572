-- cluster.x-k8s.io/Machine (Cluster API)
--   failureReason/failureMessage or phase Failed       -> Degraded
--   Ready condition False with severity Error          -> Degraded
--   phase Running                                      -> Healthy
--   Pending, Provisioning, Provisioned, Deleting, ...  -> Progressing

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

local status = obj.status
if type(status) ~= "table" then
  return { status = "Progressing", message = "Waiting for the machine to be provisioned" }
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
  return { status = "Degraded", message = "Machine failed" }
end

local ready = find_condition(status.conditions, "Ready")
if ready ~= nil and ready.status == "False" and ready.severity == "Error" then
  return { status = "Degraded", message = text(ready, "Machine is not ready") }
end

if phase == "Running" then
  if type(status.nodeRef) == "table" and status.nodeRef.name ~= nil then
    return { status = "Healthy", message = "Machine is running as node " .. status.nodeRef.name }
  end
  return { status = "Healthy", message = "Machine is running" }
end
if ready ~= nil and ready.status ~= "True" then
  return { status = "Progressing", message = text(ready, "Machine is " .. phase) }
end
return { status = "Progressing", message = "Machine is " .. phase }
