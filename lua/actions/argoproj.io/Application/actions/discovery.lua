local actions = {}
local automated = obj.spec ~= nil and obj.spec.syncPolicy ~= nil and obj.spec.syncPolicy.automated ~= nil
  and obj.spec.syncPolicy.automated.enabled ~= false
local name = "Enable Auto-Sync"
if automated then
  name = "Disable Auto-Sync"
end
actions["toggle-auto-sync"] = { ["iconClass"] = "fa fa-fw fa-sync", ["displayName"] = name, ["disabled"] = false }
return actions
