-- argoproj.io/Workflow (Argo Workflows)
-- status.phase: Pending/Running -> Progressing (Suspended while spec.suspend is set),
-- Succeeded -> Healthy, Failed/Error -> Degraded with status.message.

local status = obj.status
local spec = obj.spec or {}
local phase = nil
if type(status) == "table" then
  phase = status.phase
end

local function msg(default)
  if type(status) == "table" and status.message ~= nil and status.message ~= "" then
    return status.message
  end
  return default
end

if phase == "Succeeded" then
  return { status = "Healthy", message = msg("Workflow succeeded") }
end
if phase == "Failed" or phase == "Error" then
  return { status = "Degraded", message = msg("Workflow " .. string.lower(phase)) }
end
if spec.suspend == true then
  return { status = "Suspended", message = "Workflow is suspended" }
end
if phase == nil or phase == "" then
  return { status = "Progressing", message = "Waiting for the workflow to start" }
end
return { status = "Progressing", message = msg("Workflow is " .. string.lower(phase)) }
