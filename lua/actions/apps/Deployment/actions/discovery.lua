local actions = {}
local paused = obj.spec ~= nil and obj.spec.paused == true

actions["restart"] = { ["iconClass"] = "fa fa-fw fa-redo", ["disabled"] = false }
actions["pause"] = { ["iconClass"] = "fa fa-fw fa-pause-circle", ["disabled"] = paused }
actions["resume"] = { ["iconClass"] = "fa fa-fw fa-play-circle", ["disabled"] = not paused }
actions["scale"] = {
  ["iconClass"] = "fa fa-fw fa-plus-circle",
  ["disabled"] = false,
  ["params"] = { { ["name"] = "replicas" } },
}
return actions
