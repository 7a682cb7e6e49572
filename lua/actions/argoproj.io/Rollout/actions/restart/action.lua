-- Restart all pods of the Rollout (spec.restartAt), like `kubectl argo rollouts restart`.
obj.spec.restartAt = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
