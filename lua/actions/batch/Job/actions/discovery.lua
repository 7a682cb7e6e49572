local actions = {}
local suspended = obj.spec ~= nil and obj.spec.suspend == true
local finished = false
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if (c.type == "Complete" or c.type == "Failed") and c.status == "True" then
      finished = true
    end
  end
end
actions["suspend"] = { ["iconClass"] = "fa fa-fw fa-pause", ["disabled"] = suspended or finished }
actions["resume"] = { ["iconClass"] = "fa fa-fw fa-play-circle", ["disabled"] = not suspended or finished }
return actions
