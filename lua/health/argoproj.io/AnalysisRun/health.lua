-- argoproj.io/AnalysisRun (Argo Rollouts)
-- status.phase: Pending/Running -> Progressing, Successful -> Healthy, Failed/Error ->
-- Degraded, Inconclusive -> Suspended (the owning rollout pauses until a person decides).
-- Failure messages come from status.message, else from the first failing metric.

local status = obj.status
if type(status) ~= "table" or status.phase == nil or status.phase == "" then
  return { status = "Progressing", message = "Waiting for the analysis to start" }
end

local function metric_message(wanted)
  if type(status.metricResults) ~= "table" then
    return nil
  end
  for _, m in ipairs(status.metricResults) do
    if m.phase == wanted then
      if m.message ~= nil and m.message ~= "" then
        return "Metric \"" .. tostring(m.name) .. "\": " .. m.message
      end
      return "Metric \"" .. tostring(m.name) .. "\" assessed " .. wanted
    end
  end
  return nil
end

local function msg(default)
  if status.message ~= nil and status.message ~= "" then
    return status.message
  end
  return default
end

local phase = status.phase
if phase == "Successful" then
  return { status = "Healthy", message = msg("Analysis completed successfully") }
end
if phase == "Failed" or phase == "Error" then
  return { status = "Degraded", message = msg(metric_message(phase) or ("Analysis " .. phase)) }
end
if phase == "Inconclusive" then
  return { status = "Suspended", message = msg(metric_message(phase) or "Analysis was inconclusive") }
end
return { status = "Progressing", message = msg("Analysis is " .. phase) }
