-- argoproj.io/CronWorkflow (Argo Workflows)
-- A CronWorkflow is configuration: it is Healthy while it can schedule workflows.
-- spec.suspend, or status.phase Stopped (its stopStrategy was met), is Suspended.
-- A SubmissionError or SpecError condition (status True) is Degraded.

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

local spec = obj.spec or {}
local status = obj.status
if type(status) ~= "table" then
  status = {}
end

if spec.suspend == true then
  return { status = "Suspended", message = "CronWorkflow is suspended" }
end
if status.phase == "Stopped" then
  return { status = "Suspended", message = "CronWorkflow stopped: its stop strategy condition was met" }
end

local errors = { "SpecError", "SubmissionError" }
for _, ctype in ipairs(errors) do
  local c = find_condition(status.conditions, ctype)
  if c ~= nil and c.status == "True" then
    local message = c.message
    if message == nil or message == "" then
      message = ctype
    end
    return { status = "Degraded", message = message }
  end
end

if status.lastScheduledTime ~= nil then
  return { status = "Healthy", message = "Last scheduled at " .. tostring(status.lastScheduledTime) }
end
return { status = "Healthy", message = "Waiting for the first scheduled run" }
