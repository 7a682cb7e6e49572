-- Run the CronJob now, like `kubectl create job --from=cronjob/NAME`: a Job from the
-- jobTemplate, owned by the CronJob so that it shows up under it.
local template = obj.spec.jobTemplate or {}
local job = {}
job.apiVersion = "batch/v1"
job.kind = "Job"
job.metadata = {}
job.metadata.name = obj.metadata.name .. "-" .. os.date("!%Y%m%d%H%M")
job.metadata.namespace = obj.metadata.namespace

local labels = {}
local annotations = {}
if template.metadata ~= nil then
  if template.metadata.labels ~= nil then
    for k, v in pairs(template.metadata.labels) do labels[k] = v end
  end
  if template.metadata.annotations ~= nil then
    for k, v in pairs(template.metadata.annotations) do annotations[k] = v end
  end
end
annotations["cronjob.kubernetes.io/instantiate"] = "manual"
if next(labels) ~= nil then
  job.metadata.labels = labels
end
job.metadata.annotations = annotations

job.metadata.ownerReferences = {
  {
    apiVersion = obj.apiVersion,
    kind = obj.kind,
    name = obj.metadata.name,
    uid = obj.metadata.uid,
    blockOwnerDeletion = true,
    controller = true,
  },
}
job.spec = template.spec

return { { operation = "create", resource = job } }
