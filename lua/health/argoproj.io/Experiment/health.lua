-- argoproj.io/Experiment (Argo Rollouts)
-- status.phase: Pending/Running -> Progressing, Successful -> Healthy, Failed/Error ->
-- Degraded, Inconclusive -> Suspended. status.message explains failures.

local status = obj.status
if type(status) ~= "table" or status.phase == nil or status.phase == "" then
  return { status = "Progressing", message = "Waiting for the experiment to start" }
end

local function msg(default)
  if status.message ~= nil and status.message ~= "" then
    return status.message
  end
  return default
end

local phase = status.phase
if phase == "Successful" then
  return { status = "Healthy", message = msg("Experiment completed successfully") }
end
if phase == "Failed" or phase == "Error" then
  return { status = "Degraded", message = msg("Experiment " .. phase) }
end
if phase == "Inconclusive" then
  return { status = "Suspended", message = msg("Experiment was inconclusive") }
end
return { status = "Progressing", message = msg("Experiment is " .. phase) }
