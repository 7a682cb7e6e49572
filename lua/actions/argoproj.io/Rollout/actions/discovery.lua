local actions = {}
local status = obj.status or {}
local spec = obj.spec or {}
local fully_promoted = status.currentPodHash ~= nil and status.currentPodHash == status.stableRS
local paused = spec.paused == true or (status.pauseConditions ~= nil and table.getn(status.pauseConditions) > 0)
  or status.controllerPause == true
local aborted = status.abort == true

actions["restart"] = { ["iconClass"] = "fa fa-fw fa-redo", ["disabled"] = false }
actions["resume"] = { ["iconClass"] = "fa fa-fw fa-play-circle", ["disabled"] = not paused }
actions["pause"] = { ["iconClass"] = "fa fa-fw fa-pause-circle", ["disabled"] = fully_promoted or spec.paused == true }
actions["abort"] = { ["iconClass"] = "fa fa-fw fa-times-circle", ["disabled"] = fully_promoted or aborted }
actions["retry"] = { ["iconClass"] = "fa fa-fw fa-redo-alt", ["disabled"] = fully_promoted or not aborted }
actions["promote-full"] = { ["iconClass"] = "fa fa-fw fa-angle-double-right", ["disabled"] = fully_promoted }
return actions
