-- Retry an aborted update: clear the abort flag and the failed analysis runs' status so the
-- controller starts the steps (and their analysis) again.
if obj.status == nil or obj.status.abort ~= true then
  return obj
end
obj.status.abort = nil
if obj.status.canary ~= nil then
  obj.status.canary.currentStepAnalysisRunStatus = nil
  obj.status.canary.currentBackgroundAnalysisRunStatus = nil
end
if obj.status.blueGreen ~= nil then
  obj.status.blueGreen.prePromotionAnalysisRunStatus = nil
  obj.status.blueGreen.postPromotionAnalysisRunStatus = nil
end
return obj
