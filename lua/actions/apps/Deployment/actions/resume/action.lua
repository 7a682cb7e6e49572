-- Resume a paused rollout, like `kubectl rollout resume`.
if obj.spec.paused ~= nil then
  obj.spec.paused = nil
end
return obj
