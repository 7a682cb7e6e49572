-- Kedge generic health check for any custom resource that follows the Kubernetes
-- "status.conditions" conventions (kstatus, as used by Flux, Cluster API, Crossplane,
-- Knative and most controller-runtime operators).
--
-- Opt-in only: this script is not matched to any group/Kind by itself. See
-- docs/health-library.md ("Generic fallback") for the argocd-cm keys that enable it.
-- It uses only the base and table libraries, so it also runs as a plain argocd-cm override
-- (resource.customizations.health.<group_Kind>) without useOpenLibs, in Kedge and in Argo CD.
--
-- Order of evaluation:
--   1. spec.suspend == true or spec.paused == true         -> Suspended
--   2. no status at all                                     -> Progressing
--   3. condition Stalled=True                               -> Degraded
--   4. condition Reconciling=True                           -> Progressing
--   5. status.observedGeneration < metadata.generation      -> Progressing
--   6. condition Ready (else Available): True / False / Unknown
--                                                           -> Healthy / Degraded / Progressing
--   7. anything else (status without a Ready/Available condition) -> Healthy

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

local function describe(c, fallback)
  if c.message ~= nil and c.message ~= "" then
    return c.message
  end
  if c.reason ~= nil and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

local spec = obj.spec or {}
local status = obj.status
local kind = obj.kind or "resource"

if spec.suspend == true or spec.paused == true then
  return { status = "Suspended", message = kind .. " is suspended" }
end

if type(status) ~= "table" then
  return { status = "Progressing", message = "Waiting for the controller to report status" }
end

local conditions = status.conditions
local stalled = find_condition(conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  return { status = "Degraded", message = describe(stalled, "Reconciliation stalled") }
end

local reconciling = find_condition(conditions, "Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  return { status = "Progressing", message = describe(reconciling, "Reconciliation in progress") }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)
if generation ~= nil and observed ~= nil and observed < generation then
  return {
    status = "Progressing",
    message = "Waiting for the controller to observe generation " .. generation .. " (observed " .. observed .. ")",
  }
end

local ready = find_condition(conditions, "Ready") or find_condition(conditions, "Available")
if ready ~= nil then
  if ready.status == "True" then
    return { status = "Healthy", message = describe(ready, ready.type) }
  end
  if ready.status == "False" then
    return { status = "Degraded", message = describe(ready, ready.type .. " is False") }
  end
  return { status = "Progressing", message = describe(ready, "Waiting for " .. ready.type) }
end

return { status = "Healthy", message = "No Ready or Available condition reported" }
