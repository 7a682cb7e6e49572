-- velero.io/Restore (Velero)
-- status.phase: Completed -> Healthy; Failed, FailedValidation, PartiallyFailed -> Degraded
-- (with the validation errors, or the failure reason and error/warning counts);
-- New, InProgress, WaitingForPluginOperations*, Finalizing*, Deleting -> Progressing.

local status = obj.status
if type(status) ~= "table" or status.phase == nil or status.phase == "" then
  return { status = "Progressing", message = "Waiting for the restore to start" }
end

local function counts()
  local errors = tonumber(status.errors) or 0
  local warnings = tonumber(status.warnings) or 0
  return string.format("%d error(s), %d warning(s)", errors, warnings)
end

local phase = status.phase
if phase == "Completed" then
  local warnings = tonumber(status.warnings) or 0
  if warnings > 0 then
    return { status = "Healthy", message = "Restore completed with " .. string.format("%d", warnings) .. " warning(s)" }
  end
  return { status = "Healthy", message = "Restore completed" }
end
if phase == "FailedValidation" then
  local message = "Restore failed validation"
  if type(status.validationErrors) == "table" and #status.validationErrors > 0 then
    message = message .. ": " .. table.concat(status.validationErrors, "; ")
  end
  return { status = "Degraded", message = message }
end
if phase == "Failed" then
  local message = "Restore failed"
  if status.failureReason ~= nil and status.failureReason ~= "" then
    message = message .. ": " .. status.failureReason
  end
  return { status = "Degraded", message = message }
end
if phase == "PartiallyFailed" then
  return { status = "Degraded", message = "Restore partially failed: " .. counts() }
end
return { status = "Progressing", message = "Restore is " .. phase }
