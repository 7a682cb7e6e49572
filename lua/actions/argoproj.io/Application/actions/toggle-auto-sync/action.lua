-- Switch automated sync off (drop spec.syncPolicy.automated) or on (an empty automated policy).
if obj.spec.syncPolicy == nil then
  obj.spec.syncPolicy = {}
end
local automated = obj.spec.syncPolicy.automated
if automated ~= nil and automated.enabled ~= false then
  obj.spec.syncPolicy.automated = nil
elseif automated ~= nil then
  automated.enabled = true
else
  obj.spec.syncPolicy.automated = {}
end
return obj
