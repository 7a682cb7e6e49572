-- bitnami.com/SealedSecret (Sealed Secrets)
-- The controller reports condition Synced: True -> Healthy (the Secret was unsealed);
-- False -> Degraded (e.g. "no key could decrypt secret"). Until it has observed the current
-- generation, or before any status, the SealedSecret is Progressing.

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
if type(status) ~= "table" then
  return { status = "Progressing", message = "Waiting for the secret to be unsealed" }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)
if generation ~= nil and observed ~= nil and observed < generation then
  return { status = "Progressing", message = "Waiting for the controller to unseal the new generation" }
end

local synced = find_condition(status.conditions, "Synced")
if synced == nil then
  return { status = "Progressing", message = "Waiting for the secret to be unsealed" }
end
if synced.status == "True" then
  return { status = "Healthy", message = "Secret unsealed" }
end
local message = synced.message
if message == nil or message == "" then
  message = "Secret could not be unsealed"
end
if synced.status == "False" then
  return { status = "Degraded", message = message }
end
return { status = "Progressing", message = "Waiting for the secret to be unsealed" }
