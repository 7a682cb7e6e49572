-- external-secrets.io/ExternalSecret
-- Condition Ready: True (reason SecretSynced) -> Healthy; False (SecretSyncedError,
-- SecretDeleted, ...) -> Degraded with the controller's message; Unknown or absent ->
-- Progressing while the first sync is pending.

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
local ready = nil
if type(status) == "table" then
  ready = find_condition(status.conditions, "Ready")
end
if ready == nil then
  return { status = "Progressing", message = "Waiting for the secret to be synced" }
end

local message = ready.message
if message == nil or message == "" then
  message = ready.reason or ""
end
if ready.status == "True" then
  return { status = "Healthy", message = message }
end
if ready.status == "False" then
  return { status = "Degraded", message = message }
end
return { status = "Progressing", message = "Waiting for the secret to be synced" }
