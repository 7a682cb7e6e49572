-- Pause the rollout (spec.paused), like `kubectl rollout pause`.
obj.spec.paused = true
return obj
