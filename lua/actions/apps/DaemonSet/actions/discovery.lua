local actions = {}
actions["restart"] = { ["iconClass"] = "fa fa-fw fa-redo", ["disabled"] = false }
return actions
