-- velero.io/Schedule (Velero)
-- spec.paused -> Suspended; phase Enabled -> Healthy (with the last backup time);
-- FailedValidation -> Degraded with the validation errors; New or no status -> Progressing.

local spec = obj.spec or {}
if spec.paused == true then
  return { status = "Suspended", message = "Schedule is paused" }
end

local status = obj.status
if type(status) ~= "table" or status.phase == nil or status.phase == "" or status.phase == "New" then
  return { status = "Progressing", message = "Waiting for the schedule to be validated" }
end

if status.phase == "FailedValidation" then
  local message = "Schedule failed validation"
  if type(status.validationErrors) == "table" and #status.validationErrors > 0 then
    message = message .. ": " .. table.concat(status.validationErrors, "; ")
  end
  return { status = "Degraded", message = message }
end

if status.phase == "Enabled" then
  if status.lastBackup ~= nil then
    return { status = "Healthy", message = "Last backup at " .. tostring(status.lastBackup) }
  end
  return { status = "Healthy", message = "Schedule is enabled" }
end
return { status = "Progressing", message = "Schedule is " .. tostring(status.phase) }
