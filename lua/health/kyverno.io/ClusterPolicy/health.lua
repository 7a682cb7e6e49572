-- kyverno.io/ClusterPolicy
-- Kyverno marks a policy ready once its webhooks are configured: condition Ready (Kyverno
-- 1.8+), or the boolean status.ready of older versions. Ready=True -> Healthy,
-- Ready=False -> Degraded with Kyverno's message, not reported yet -> Progressing.

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
  return { status = "Progressing", message = "Waiting for the policy to be ready" }
end

local ready = find_condition(status.conditions, "Ready")
if ready ~= nil then
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
  return { status = "Progressing", message = "Waiting for the policy to be ready" }
end

if status.ready == true then
  return { status = "Healthy", message = "Policy is ready" }
end
return { status = "Progressing", message = "Waiting for the policy to be ready" }
