-- Retry an aborted update.
if obj.status == nil then
  obj.status = {}
end
obj.status.abort = false
return obj
