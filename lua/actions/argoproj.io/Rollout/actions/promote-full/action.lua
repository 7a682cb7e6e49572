-- Skip the remaining steps and analysis and promote the new version at once.
if obj.status == nil then
  obj.status = {}
end
obj.status.promoteFull = true
if obj.status.pauseConditions ~= nil then
  obj.status.pauseConditions = nil
end
return obj
