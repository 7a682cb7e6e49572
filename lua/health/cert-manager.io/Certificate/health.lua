-- cert-manager.io/Certificate
-- Ready=True is Healthy, also while a renewal runs (Issuing=True: the current certificate is
-- still valid). A first issuance (Issuing=True, Ready not True) is Progressing. A failed
-- issuance (Issuing=False reason Failed, even for a renewal of a still-valid certificate, so
-- it gets noticed before expiry) or Ready=False with no issuance running is Degraded.

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

local function text(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local status = obj.status
if type(status) ~= "table" or status.conditions == nil then
  return { status = "Progressing", message = "Waiting for certificate" }
end

local ready = find_condition(status.conditions, "Ready")
local issuing = find_condition(status.conditions, "Issuing")

if issuing ~= nil and issuing.status == "False" and issuing.reason == "Failed" then
  return { status = "Degraded", message = text(issuing, "Certificate issuance failed") }
end

if ready ~= nil and ready.status == "True" then
  if issuing ~= nil and issuing.status == "True" then
    -- a renewal: the current certificate is still valid and served
    return { status = "Healthy", message = text(issuing, "Renewing certificate") }
  end
  return { status = "Healthy", message = text(ready, "Certificate is up to date and has not expired") }
end

if issuing ~= nil and issuing.status == "True" then
  return { status = "Progressing", message = text(issuing, "Issuing certificate") }
end

if ready ~= nil and ready.status == "False" then
  return { status = "Degraded", message = text(ready, "Certificate is not ready") }
end

return { status = "Progressing", message = "Waiting for certificate" }
