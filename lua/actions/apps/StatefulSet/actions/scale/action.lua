-- Scale to actionParams.replicas (a non-negative whole number).
local value = nil
if actionParams ~= nil then
  value = actionParams["replicas"]
end
if value == nil or value == "" then
  error("scale needs the parameter 'replicas' (the desired number of replicas)", 0)
end
local replicas = tonumber(value)
if replicas == nil or replicas < 0 or replicas % 1 ~= 0 then
  error("scale: parameter 'replicas' must be a non-negative whole number, got '" .. tostring(value) .. "'", 0)
end
obj.spec.replicas = replicas
return obj
