-- Wildcard check for every kind in a *.crossplane.io group (this directory is "_.crossplane.io/_",
-- "_" standing for "*"): managed resources of the classic providers, composite resources and
-- claims, and Crossplane's own kinds (CompositeResourceDefinition, ProviderRevision, ...).
-- Exact checks (pkg.crossplane.io/Provider, ...) take precedence over this wildcard.
--
--   annotation crossplane.io/paused: "true"            -> Suspended
--   Synced=False (ReconcileError, ...)                  -> Degraded
--   Healthy=False (package revisions)                   -> Degraded
--   Ready=False reason Unavailable                      -> Degraded
--   Ready=False (Creating, Deleting) or Unknown         -> Progressing
--   Established/Offered=False (XRDs)                    -> Progressing
--   Ready=True, or every condition True                 -> Healthy
--   no conditions: configuration kinds (ProviderConfig, Composition, ...) are Healthy,
--   everything else is Progressing until the first reconcile.

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
  if c.reason ~= nil and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

-- Kinds that hold configuration only and often carry no conditions at all.
local function is_config_kind(kind)
  if kind == nil then
    return false
  end
  local suffixes = {
    "ProviderConfig", "ProviderConfigUsage", "StoreConfig", "Composition", "CompositionRevision",
    "EnvironmentConfig", "ImageConfig", "DeploymentRuntimeConfig", "ControllerConfig", "Usage",
    "ManagedResourceActivationPolicy", "ManagedResourceDefinition",
  }
  for _, suffix in ipairs(suffixes) do
    if string.sub(kind, -string.len(suffix)) == suffix then
      return true
    end
  end
  return false
end

local annotations = (obj.metadata and obj.metadata.annotations) or {}
if annotations["crossplane.io/paused"] == "true" then
  return { status = "Suspended", message = "Reconciliation is paused via the crossplane.io/paused annotation" }
end

local conditions = nil
if type(obj.status) == "table" then
  conditions = obj.status.conditions
end
if type(conditions) ~= "table" or #conditions == 0 then
  if is_config_kind(obj.kind) then
    return { status = "Healthy", message = "Configuration resource" }
  end
  return { status = "Progressing", message = "Waiting for the resource to be reconciled" }
end

local synced = find_condition(conditions, "Synced")
if synced ~= nil and synced.status == "False" then
  return { status = "Degraded", message = text(synced, "Resource could not be synced") }
end

local healthy = find_condition(conditions, "Healthy")
if healthy ~= nil and healthy.status == "False" then
  return { status = "Degraded", message = text(healthy, "Package revision is unhealthy") }
end

local ready = find_condition(conditions, "Ready")
if ready ~= nil then
  if ready.status == "True" then
    return { status = "Healthy", message = text(ready, "Resource is available for use") }
  end
  if ready.status == "False" and ready.reason == "Unavailable" then
    return { status = "Degraded", message = text(ready, "Resource is not available for use") }
  end
  return { status = "Progressing", message = text(ready, "Waiting for the resource to become ready") }
end

for _, c in ipairs(conditions) do
  if c.status ~= "True" then
    return { status = "Progressing", message = text(c, "Waiting for " .. tostring(c.type)) }
  end
end
return { status = "Healthy", message = "All conditions are True" }
