-- cert-manager.io/CertificateRequest
-- Issued (Ready=True) is Healthy. Denied=True, InvalidRequest=True or Ready=False with
-- reason Failed/Denied are Degraded (cert-manager will not retry them). Anything else,
-- e.g. Ready=False reason Pending (waiting for approval or for the issuer), is Progressing.

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
  return { status = "Progressing", message = "Waiting for the certificate request to be processed" }
end

local conditions = status.conditions
local denied = find_condition(conditions, "Denied")
if denied ~= nil and denied.status == "True" then
  return { status = "Degraded", message = text(denied, "Certificate request was denied") }
end

local invalid = find_condition(conditions, "InvalidRequest")
if invalid ~= nil and invalid.status == "True" then
  return { status = "Degraded", message = text(invalid, "Certificate request is invalid") }
end

local ready = find_condition(conditions, "Ready")
if ready ~= nil then
  if ready.status == "True" then
    return { status = "Healthy", message = text(ready, "Certificate issued") }
  end
  if ready.status == "False" and (ready.reason == "Failed" or ready.reason == "Denied") then
    return { status = "Degraded", message = text(ready, "Certificate request failed") }
  end
  return { status = "Progressing", message = text(ready, "Waiting for the certificate to be issued") }
end

local approved = find_condition(conditions, "Approved")
if approved ~= nil and approved.status == "True" then
  return { status = "Progressing", message = "Approved, waiting for the issuer to sign the certificate" }
end

return { status = "Progressing", message = "Waiting for the certificate request to be approved" }
