-- networking.istio.io/Gateway (Istio)
-- Istio writes status only when status reporting/analysis is enabled in istiod, so a
-- Gateway without status is Healthy. Analyzer results in status.validationMessages:
-- any level ERROR -> Degraded (codes and names listed, e.g. "IST0101 ReferencedResourceNotFound");
-- warnings alone stay Healthy but are named in the message. A Reconciled=False condition
-- (config still being distributed to proxies) -> Progressing.

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

local function describe(m)
  local t = m.type or {}
  local parts = {}
  if t.code ~= nil then
    table.insert(parts, t.code)
  end
  if t.name ~= nil then
    table.insert(parts, t.name)
  end
  if #parts == 0 then
    table.insert(parts, "unknown analyzer message")
  end
  return table.concat(parts, " ")
end

local status = obj.status
if type(status) ~= "table" then
  return { status = "Healthy", message = "No Istio analysis problems reported" }
end

local errors = {}
local warnings = {}
if type(status.validationMessages) == "table" then
  for _, m in ipairs(status.validationMessages) do
    local level = string.upper(tostring(m.level or ""))
    if level == "ERROR" then
      table.insert(errors, describe(m))
    elseif level == "WARNING" or level == "WARN" then
      table.insert(warnings, describe(m))
    end
  end
end

if #errors > 0 then
  return { status = "Degraded", message = "Istio analysis errors: " .. table.concat(errors, ", ") }
end

local reconciled = find_condition(status.conditions, "Reconciled")
if reconciled ~= nil and reconciled.status == "False" then
  local message = reconciled.message
  if message == nil or message == "" then
    message = "distribution to proxies in progress"
  end
  return { status = "Progressing", message = "Waiting for the configuration to reach all proxies: " .. message }
end

if #warnings > 0 then
  return { status = "Healthy", message = "Istio analysis warnings: " .. table.concat(warnings, ", ") }
end
return { status = "Healthy", message = "No Istio analysis problems reported" }
