-- postgresql.cnpg.io/ScheduledBackup (CloudNativePG)
-- A schedule is configuration: Suspended while spec.suspend is true, Healthy once the
-- operator has processed it (status.lastCheckTime), Progressing before that.
-- The Backups it creates carry their own health.

local spec = obj.spec or {}
if spec.suspend == true then
  return { status = "Suspended", message = "Scheduled backups are suspended" }
end

local status = obj.status
if type(status) ~= "table" or (status.lastCheckTime == nil and status.nextScheduleTime == nil) then
  return { status = "Progressing", message = "Waiting for the schedule to be processed" }
end

if status.lastScheduleTime ~= nil then
  local message = "Last backup scheduled at " .. tostring(status.lastScheduleTime)
  if status.nextScheduleTime ~= nil then
    message = message .. ", next at " .. tostring(status.nextScheduleTime)
  end
  return { status = "Healthy", message = message }
end
if status.nextScheduleTime ~= nil then
  return { status = "Healthy", message = "Next backup at " .. tostring(status.nextScheduleTime) }
end
return { status = "Healthy", message = "Schedule is active" }
