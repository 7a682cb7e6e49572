-- postgresql.cnpg.io/Backup (CloudNativePG)
-- status.phase: pending/started/running/finalizing -> Progressing, completed -> Healthy,
-- failed -> Degraded with status.error, walArchivingFailing -> Degraded.

local status = obj.status
if type(status) ~= "table" or status.phase == nil or status.phase == "" then
  return { status = "Progressing", message = "Waiting for the backup to start" }
end

local phase = status.phase
if phase == "completed" then
  local method = status.method or "backup"
  return { status = "Healthy", message = "Backup completed (" .. method .. ")" }
end
if phase == "failed" or phase == "walArchivingFailing" then
  local message = status.error
  if message == nil or message == "" then
    message = "Backup " .. phase
  end
  return { status = "Degraded", message = message }
end
return { status = "Progressing", message = "Backup is " .. phase }
