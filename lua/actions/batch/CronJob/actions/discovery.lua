local actions = {}
local suspended = obj.spec ~= nil and obj.spec.suspend == true
actions["create-job"] = { ["iconClass"] = "fa fa-fw fa-play", ["disabled"] = false }
actions["suspend"] = { ["iconClass"] = "fa fa-fw fa-pause", ["disabled"] = suspended }
actions["resume"] = { ["iconClass"] = "fa fa-fw fa-play-circle", ["disabled"] = not suspended }
return actions
