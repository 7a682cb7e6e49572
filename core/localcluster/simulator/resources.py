"""Resource keys of the contract (``kedge.localcluster.contract``) the simulator works with."""

DEPLOYMENTS = "apps/v1/deployments"
REPLICASETS = "apps/v1/replicasets"
STATEFULSETS = "apps/v1/statefulsets"
DAEMONSETS = "apps/v1/daemonsets"
CONTROLLERREVISIONS = "apps/v1/controllerrevisions"
PODS = "/v1/pods"
NODES = "/v1/nodes"
NAMESPACES = "/v1/namespaces"
SERVICES = "/v1/services"
ENDPOINTS = "/v1/endpoints"
PVCS = "/v1/persistentvolumeclaims"
PVS = "/v1/persistentvolumes"
JOBS = "batch/v1/jobs"
CRONJOBS = "batch/v1/cronjobs"
INGRESSES = "networking.k8s.io/v1/ingresses"
ENDPOINTSLICES = "discovery.k8s.io/v1/endpointslices"
PDBS = "policy/v1/poddisruptionbudgets"
HPAS = "autoscaling/v2/horizontalpodautoscalers"

#: (resource key, apiVersion, kind) of everything the simulator watches, when served.
WATCHED: list[tuple[str, str, str]] = [
    (NAMESPACES, "v1", "Namespace"),
    (NODES, "v1", "Node"),
    (DEPLOYMENTS, "apps/v1", "Deployment"),
    (REPLICASETS, "apps/v1", "ReplicaSet"),
    (STATEFULSETS, "apps/v1", "StatefulSet"),
    (DAEMONSETS, "apps/v1", "DaemonSet"),
    (CONTROLLERREVISIONS, "apps/v1", "ControllerRevision"),
    (PODS, "v1", "Pod"),
    (SERVICES, "v1", "Service"),
    (ENDPOINTS, "v1", "Endpoints"),
    (ENDPOINTSLICES, "discovery.k8s.io/v1", "EndpointSlice"),
    (PVCS, "v1", "PersistentVolumeClaim"),
    (PVS, "v1", "PersistentVolume"),
    (JOBS, "batch/v1", "Job"),
    (CRONJOBS, "batch/v1", "CronJob"),
    (INGRESSES, "networking.k8s.io/v1", "Ingress"),
    (PDBS, "policy/v1", "PodDisruptionBudget"),
    (HPAS, "autoscaling/v2", "HorizontalPodAutoscaler"),
]

#: ownerReference kind -> work-queue controller name
OWNER_CONTROLLERS = {
    "Deployment": "deployment",
    "ReplicaSet": "replicaset",
    "StatefulSet": "statefulset",
    "DaemonSet": "daemonset",
    "Job": "job",
    "CronJob": "cronjob",
}
