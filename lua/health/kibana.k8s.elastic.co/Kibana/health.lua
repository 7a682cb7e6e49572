-- kibana.k8s.elastic.co/Kibana (Elastic Cloud on Kubernetes)
-- status.health: green (all desired instances available) -> Healthy, red -> Degraded,
-- anything else (unknown, no status yet) -> Progressing.

local status = obj.status
if type(status) ~= "table" or status.health == nil then
  return { status = "Progressing", message = "Waiting for Kibana to be created" }
end

local generation = obj.metadata and tonumber(obj.metadata.generation)
local observed = tonumber(status.observedGeneration)
if generation ~= nil and observed ~= nil and observed < generation then
  return { status = "Progressing", message = "Waiting for ECK to observe the latest spec" }
end

local available = tonumber(status.availableNodes) or 0
local count = tonumber(status.count) or available
if status.health == "green" then
  return { status = "Healthy", message = string.format("Kibana health is green (%d/%d instances available)", available, count) }
end
if status.health == "red" then
  return { status = "Degraded", message = string.format("Kibana health is red (%d/%d instances available)", available, count) }
end
return { status = "Progressing", message = "Kibana health is " .. tostring(status.health) }
