-- pkg.crossplane.io/Function
-- Crossplane reports two conditions on packages: Installed (the package revision is
-- unpacked and active) and Healthy (the active revision's runtime and dependencies are
-- healthy). Both True -> Healthy. Healthy=False -> Degraded. Installed=False with an
-- error message (e.g. the package image cannot be pulled) -> Degraded; an inactive revision
-- under revisionActivationPolicy Manual -> Suspended; otherwise Progressing.

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
  if c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local annotations = (obj.metadata and obj.metadata.annotations) or {}
if annotations["crossplane.io/paused"] == "true" then
  return { status = "Suspended", message = "Reconciliation is paused via the crossplane.io/paused annotation" }
end

local conditions = nil
if type(obj.status) == "table" then
  conditions = obj.status.conditions
end
local installed = find_condition(conditions, "Installed")
local healthy = find_condition(conditions, "Healthy")

if healthy ~= nil and healthy.status == "False" then
  return { status = "Degraded", message = text(healthy, "Package revision is unhealthy") }
end

if installed ~= nil and installed.status == "False" then
  if installed.reason == "InactivePackageRevision" then
    return { status = "Suspended", message = text(installed, "Package revision is inactive") }
  end
  if installed.message ~= nil and installed.message ~= "" then
    return { status = "Degraded", message = installed.message }
  end
end

if installed ~= nil and installed.status == "True" and healthy ~= nil and healthy.status == "True" then
  return { status = "Healthy", message = "Function is installed and healthy" }
end

if installed == nil or installed.status ~= "True" then
  return { status = "Progressing", message = "Installing Function package" }
end
return { status = "Progressing", message = "Waiting for the package revision to become healthy" }
