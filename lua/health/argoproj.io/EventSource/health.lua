-- argoproj.io/EventSource (Argo Events)
-- Argo Events sets SourcesProvided and Deployed conditions. Any of them False -> Degraded with its message;
-- all True -> Healthy; missing or Unknown -> Progressing.

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
local conditions = nil
if type(status) == "table" then
  conditions = status.conditions
end

local expected = { "SourcesProvided", "Deployed" }
local waiting = nil
for _, ctype in ipairs(expected) do
  local c = find_condition(conditions, ctype)
  if c ~= nil and c.status == "False" then
    local message = c.message
    if message == nil or message == "" then
      message = c.reason or (ctype .. " is False")
    end
    return { status = "Degraded", message = message }
  end
  if waiting == nil and (c == nil or c.status ~= "True") then
    waiting = ctype
  end
end

if waiting ~= nil then
  return { status = "Progressing", message = "Waiting for condition " .. waiting }
end
return { status = "Healthy", message = "EventSource is deployed" }
