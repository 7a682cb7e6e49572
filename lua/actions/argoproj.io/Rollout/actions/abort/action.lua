-- Abort the update: the controller scales the new version down and returns to the stable one.
if obj.status == nil then
  obj.status = {}
end
obj.status.abort = true
return obj
