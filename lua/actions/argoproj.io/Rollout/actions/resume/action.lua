-- Continue a paused Rollout: clear pause conditions and spec.paused.
if obj.status ~= nil then
  obj.status.pauseConditions = nil
  obj.status.controllerPause = nil
end
obj.spec.paused = nil
return obj
