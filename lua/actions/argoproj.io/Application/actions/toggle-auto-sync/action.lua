-- Switch automated sync off or on. Turning it off keeps the policy (prune, selfHeal...) and sets
-- automated.enabled = false; turning it on sets enabled = true, creating the policy if needed.
if obj.spec == nil then
  obj.spec = {}
end
if obj.spec.syncPolicy == nil then
  obj.spec.syncPolicy = {}
end
local automated = obj.spec.syncPolicy.automated
if automated == nil then
  obj.spec.syncPolicy.automated = { enabled = true }
elseif automated.enabled == false then
  automated.enabled = true
else
  automated.enabled = false
end
return obj
