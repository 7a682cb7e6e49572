-- elasticsearch.k8s.elastic.co/Elasticsearch (Elastic Cloud on Kubernetes)
-- ECK reports the cluster's own health colour (status.health) and its orchestration phase
-- (status.phase: Ready, ApplyingChanges, MigratingData, Stalled, Invalid).
--   phase Invalid or Stalled, or health red     -> Degraded
--   observedGeneration behind, ApplyingChanges, MigratingData, unknown health -> Progressing
--   phase Ready and health green                 -> Healthy
--   phase Ready and health yellow                -> Healthy, message says yellow (replica shards
--     unassigned; a single-node cluster is always yellow)

local status = obj.status
if type(status) ~= "table" or status.phase == nil then
  return { status = "Progressing", message = "Waiting for the Elasticsearch cluster to be created" }
end

local phase = status.phase
local health = status.health or "unknown"

if phase == "Invalid" then
  return { status = "Degraded", message = "Elasticsearch specification is invalid" }
end
if phase == "Stalled" then
  return { status = "Degraded", message = "Node shutdown is stalled: ECK cannot make progress with a downscale or rolling upgrade" }
end
if health == "red" then
  return { status = "Degraded", message = "Elasticsearch health is red: some primary shards are unassigned" }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)
if generation ~= nil and observed ~= nil and observed < generation then
  return { status = "Progressing", message = "Waiting for ECK to observe the latest spec" }
end

if phase == "Ready" and health == "green" then
  return { status = "Healthy", message = "Elasticsearch health is green" }
end
if phase == "Ready" and health == "yellow" then
  return { status = "Healthy", message = "Elasticsearch health is yellow: some replica shards are unassigned" }
end
if phase == "Ready" then
  return { status = "Progressing", message = "Waiting for Elasticsearch to report its health" }
end
return { status = "Progressing", message = "Elasticsearch is " .. phase .. " (health " .. health .. ")" }
