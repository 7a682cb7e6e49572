local actions = {}
actions["restart"] = { ["iconClass"] = "fa fa-fw fa-redo", ["disabled"] = false }
actions["scale"] = {
  ["iconClass"] = "fa fa-fw fa-plus-circle",
  ["disabled"] = false,
  ["params"] = { { ["name"] = "replicas" } },
}
return actions
