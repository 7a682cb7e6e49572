-- tekton.dev/TaskRun (Tekton Pipelines)
-- Tekton reports a single Succeeded condition: True -> Healthy; False (failed, timed out,
-- cancelled) -> Degraded; Unknown -> Progressing. A run held with spec.status TaskRunPending
-- -> Suspended until it is started.

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
local succeeded = nil
if type(status) == "table" then
  succeeded = find_condition(status.conditions, "Succeeded")
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

if succeeded ~= nil and succeeded.status == "True" then
  return { status = "Healthy", message = text(succeeded, "TaskRun succeeded") }
end
if succeeded ~= nil and succeeded.status == "False" then
  return { status = "Degraded", message = text(succeeded, "TaskRun failed") }
end
if spec.status == "TaskRunPending" or (succeeded ~= nil and succeeded.reason == "TaskRunPending") then
  return { status = "Suspended", message = "TaskRun is pending (spec.status: TaskRunPending)" }
end
if succeeded == nil then
  return { status = "Progressing", message = "Waiting for the TaskRun to start" }
end
return { status = "Progressing", message = text(succeeded, "TaskRun is running") }
