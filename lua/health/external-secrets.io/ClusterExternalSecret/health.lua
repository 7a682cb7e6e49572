-- external-secrets.io/ClusterExternalSecret
-- The controller sets one condition: Ready (every selected namespace has its
-- ExternalSecret), PartiallyReady or NotReady (some or all namespaces failed; the failures
-- are listed in status.failedNamespaces). No condition yet -> Progressing.

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
if type(status) ~= "table" or type(status.conditions) ~= "table" or #status.conditions == 0 then
  return { status = "Progressing", message = "Waiting for ExternalSecrets to be created" }
end

local function failures()
  local parts = {}
  if type(status.failedNamespaces) == "table" then
    for _, f in ipairs(status.failedNamespaces) do
      if type(f) == "table" then
        table.insert(parts, tostring(f.namespace) .. ": " .. tostring(f.reason))
      else
        table.insert(parts, tostring(f))
      end
    end
  end
  return table.concat(parts, "; ")
end

local ready = find_condition(status.conditions, "Ready")
if ready ~= nil and ready.status == "True" and failures() == "" then
  local count = 0
  if type(status.provisionedNamespaces) == "table" then
    count = #status.provisionedNamespaces
  end
  return { status = "Healthy", message = string.format("ExternalSecret created in %d namespace(s)", count) }
end

local bad_types = { "NotReady", "PartiallyReady" }
for _, ctype in ipairs(bad_types) do
  local c = find_condition(status.conditions, ctype)
  if c ~= nil and (c.status == "True" or c.status == "False") then
    local message = failures()
    if message == "" then
      message = c.message or ctype
    end
    return { status = "Degraded", message = ctype .. ": " .. message }
  end
end

return { status = "Progressing", message = "Waiting for ExternalSecrets to be created" }
