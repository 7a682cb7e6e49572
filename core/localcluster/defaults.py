"""Defaulting of built-in kinds: the values the real API server fills in on create and update.

``apply_defaults(obj)`` mutates ``obj`` in place and writes exactly what Kubernetes' defaulting
functions (and the create-time registry strategies users see the effect of) write, so that
``kubectl get -o yaml`` and Kedge's diffs look the same against the local cluster as against a
real one: Deployment strategy 25%/25%, ``revisionHistoryLimit: 10``,
``progressDeadlineSeconds: 600``; Service ``type: ClusterIP``, ``sessionAffinity: None``,
``targetPort`` = ``port``; containers' ``terminationMessagePath``, ``imagePullPolicy``;
pod ``dnsPolicy``, ``restartPolicy``, ``schedulerName``, ... Custom resources are left alone
(their defaults come from their schema).

Allocations that need cluster state are delegated: ``allocate_ip(service) -> str`` gives a
ClusterIP (when omitted, ``spec.clusterIP`` is left for the caller to allocate) and
``allocate_node_port(service, port) -> int`` a node port (when omitted, a port derived from a
hash of namespace/name/port, stable across updates).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable
from typing import Any

AllocateIP = Callable[[dict[str, Any]], str]
AllocateNodePort = Callable[[dict[str, Any], dict[str, Any]], int]

NODE_PORT_RANGE = (30000, 32767)
SERVICE_CIDR = "10.96.0.0/12"


def apply_defaults(
    obj: dict[str, Any],
    allocate_ip: AllocateIP | None = None,
    allocate_node_port: AllocateNodePort | None = None,
) -> None:
    """Fill in the defaults the API server writes for a built-in kind (in place)."""
    if not isinstance(obj, dict):
        return
    api_version = obj.get("apiVersion") or ""
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    fn = _KIND_DEFAULTS.get((group, obj.get("kind") or ""))
    if fn is None:
        return
    if fn is _service:
        _service(obj, allocate_ip, allocate_node_port)
    else:
        fn(obj)


# --- helpers ------------------------------------------------------------------------------


def _dict(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """``parent[key]`` as a dict, created when missing (a non-dict is left alone: validation
    reports it)."""
    value = parent.get(key)
    if value is None:
        value = parent[key] = {}
    return value if isinstance(value, dict) else {}


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return _dict(obj, "spec")


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


# --- pods ---------------------------------------------------------------------------------


def image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or an untagged image without digest, else ``IfNotPresent``."""
    name = image or ""
    if "@" in name:
        name, _digest = name.split("@", 1)
        last = name.rsplit("/", 1)[-1]
        return "Always" if ":" in last and last.rsplit(":", 1)[1] == "latest" else "IfNotPresent"
    last = name.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    _handler(probe)


def _handler(handler: Any) -> None:
    if not isinstance(handler, dict):
        return
    http = handler.get("httpGet")
    if isinstance(http, dict):
        if not http.get("path"):
            http["path"] = "/"
        if not http.get("scheme"):
            http["scheme"] = "HTTP"


def _field_ref(holder: Any) -> None:
    if isinstance(holder, dict):
        ref = holder.get("fieldRef")
        if isinstance(ref, dict) and not ref.get("apiVersion"):
            ref["apiVersion"] = "v1"


def _container(c: dict[str, Any], host_network: bool) -> None:
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = image_pull_policy(str(c.get("image") or ""))
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    if c.get("resources") is None:
        c["resources"] = {}
    for port in _items(c.get("ports")):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        if host_network and not port.get("hostPort") and port.get("containerPort"):
            port["hostPort"] = port["containerPort"]
    for env in _items(c.get("env")):
        _field_ref(env.get("valueFrom"))
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(key))
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        _handler(lifecycle.get("postStart"))
        _handler(lifecycle.get("preStop"))


_VOLUME_SOURCES = (
    "hostPath emptyDir gcePersistentDisk awsElasticBlockStore gitRepo secret nfs iscsi glusterfs "
    "persistentVolumeClaim rbd flexVolume cinder cephfs flocker downwardAPI fc azureFile configMap "
    "vsphereVolume quobyte azureDisk photonPersistentDisk projected portworxVolume scaleIO storageos "
    "csi ephemeral image"
).split()


def _volume(v: dict[str, Any]) -> None:
    if not any(v.get(src) is not None for src in _VOLUME_SOURCES):
        v["emptyDir"] = {}
        return
    for src in ("secret", "configMap", "downwardAPI", "projected"):
        s = v.get(src)
        if isinstance(s, dict) and s.get("defaultMode") is None:
            s["defaultMode"] = 420
    hp = v.get("hostPath")
    if isinstance(hp, dict) and hp.get("type") is None:
        hp["type"] = ""
    dapi = v.get("downwardAPI")
    if isinstance(dapi, dict):
        for item in _items(dapi.get("items")):
            _field_ref(item)
    proj = v.get("projected")
    if isinstance(proj, dict):
        for source in _items(proj.get("sources")):
            d = source.get("downwardAPI")
            if isinstance(d, dict):
                for item in _items(d.get("items")):
                    _field_ref(item)
            tok = source.get("serviceAccountToken")
            if isinstance(tok, dict) and tok.get("expirationSeconds") is None:
                tok["expirationSeconds"] = 3600
    eph = v.get("ephemeral")
    if isinstance(eph, dict):
        tmpl = eph.get("volumeClaimTemplate")
        if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
            tmpl["spec"].setdefault("volumeMode", "Filesystem")


def pod_spec_defaults(spec: dict[str, Any]) -> None:
    """Defaults of a PodSpec, in a Pod or any pod template."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    # The deprecated serviceAccount mirrors serviceAccountName in v1.
    if spec.get("serviceAccountName") and not spec.get("serviceAccount"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    elif spec.get("serviceAccount") and not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    host_network = bool(spec.get("hostNetwork"))
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in _items(spec.get(key)):
            _container(c, host_network)
    for v in _items(spec.get("volumes")):
        _volume(v)


def _template(spec: dict[str, Any]) -> None:
    tmpl = spec.get("template")
    if isinstance(tmpl, dict):
        pod_spec = tmpl.get("spec")
        if isinstance(pod_spec, dict):
            pod_spec_defaults(pod_spec)


def _qos_class(spec: dict[str, Any]) -> str:
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    guaranteed = True
    containers = _items(spec.get("containers")) + _items(spec.get("initContainers"))
    for c in containers:
        res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
        req = {k: v for k, v in (res.get("requests") or {}).items() if k in ("cpu", "memory")}
        lim = {k: v for k, v in (res.get("limits") or {}).items() if k in ("cpu", "memory")}
        requests.update(req)
        limits.update(lim)
        if set(lim) != {"cpu", "memory"} or any(str(req.get(k, lim[k])) != str(lim[k]) for k in lim):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    return "Guaranteed" if guaranteed and containers else "Burstable"


_DEFAULT_TOLERATIONS = (
    {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
)


def _pod(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    for key in ("initContainers", "containers"):
        for c in _items(spec.get(key)):
            res = c.get("resources")
            if isinstance(res, dict) and isinstance(res.get("limits"), dict):
                requests = res.get("requests") if isinstance(res.get("requests"), dict) else None
                for name, value in res["limits"].items():
                    if requests is None:
                        requests = res["requests"] = {}
                    requests.setdefault(name, value)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    pod_spec_defaults(spec)
    # Admission the real API server runs on every pod: service account, priority, tolerations.
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = "default"
        spec["serviceAccount"] = "default"
    if spec.get("priority") is None and not spec.get("priorityClassName"):
        spec["priority"] = 0
    if not spec.get("preemptionPolicy"):
        spec["preemptionPolicy"] = "PreemptLowerPriority"
    tolerations = spec.get("tolerations")
    if tolerations is None:
        tolerations = spec["tolerations"] = []
    if isinstance(tolerations, list):
        present = {(t.get("key"), t.get("effect")) for t in _items(tolerations)}
        for t in _DEFAULT_TOLERATIONS:
            if (t["key"], "NoExecute") not in present and (t["key"], None) not in present:
                tolerations.append(dict(t))
    status = obj.get("status")
    if not isinstance(status, dict) or not status.get("phase"):
        status = obj["status"] = status if isinstance(status, dict) else {}
        status["phase"] = "Pending"
    if isinstance(status, dict) and not status.get("qosClass"):
        status["qosClass"] = _qos_class(spec)


def _pod_template(obj: dict[str, Any]) -> None:
    tmpl = obj.get("template")
    if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
        pod_spec_defaults(tmpl["spec"])


# --- workloads ----------------------------------------------------------------------------


def _deployment(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = _dict(spec, "strategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy.get("type") == "RollingUpdate":
        ru = _dict(strategy, "rollingUpdate")
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = "25%"
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = "25%"
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = 600
    _template(spec)


def _replica_set(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    _template(spec)


def _replication_controller(obj: dict[str, Any]) -> None:
    """v1 ReplicationController: selector and labels default to the template's labels."""
    spec = _spec(obj)
    tmpl = spec.get("template")
    labels = ((tmpl.get("metadata") or {}).get("labels") if isinstance(tmpl, dict) else None) or {}
    if labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = _dict(obj, "metadata")
        if not meta.get("labels"):
            meta["labels"] = dict(labels)
    _replica_set(obj)


def _claim_template(pvc: dict[str, Any]) -> None:
    pvc.setdefault("apiVersion", "v1")
    pvc.setdefault("kind", "PersistentVolumeClaim")
    spec = pvc.get("spec")
    if isinstance(spec, dict) and not spec.get("volumeMode"):
        spec["volumeMode"] = "Filesystem"
    status = _dict(pvc, "status")
    if not status.get("phase"):
        status["phase"] = "Pending"


def _stateful_set(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = _dict(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        if strategy.get("rollingUpdate") is None:
            strategy["rollingUpdate"] = {}
    ru = strategy.get("rollingUpdate")
    if strategy.get("type") == "RollingUpdate" and isinstance(ru, dict) and ru.get("partition") is None:
        ru["partition"] = 0
    policy = _dict(spec, "persistentVolumeClaimRetentionPolicy")
    if not policy.get("whenDeleted"):
        policy["whenDeleted"] = "Retain"
    if not policy.get("whenScaled"):
        policy["whenScaled"] = "Retain"
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    _template(spec)
    for pvc in _items(spec.get("volumeClaimTemplates")):
        _claim_template(pvc)


def _daemon_set(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    strategy = _dict(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy.get("type") == "RollingUpdate":
        ru = _dict(strategy, "rollingUpdate")
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = 1
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = 0
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    _template(spec)


def _job_spec(spec: dict[str, Any]) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6
    if not spec.get("completionMode"):
        spec["completionMode"] = "NonIndexed"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if not spec.get("podReplacementPolicy"):
        spec["podReplacementPolicy"] = (
            "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed"
        )
    pfp = spec.get("podFailurePolicy")
    if isinstance(pfp, dict):
        for rule in _items(pfp.get("rules")):
            for cond in _items(rule.get("onPodConditions")):
                cond.setdefault("status", "True")
    _template(spec)


def _job(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    meta = _dict(obj, "metadata")
    tmpl = spec.get("template") if isinstance(spec.get("template"), dict) else None
    tmpl_labels = (tmpl.get("metadata") or {}).get("labels") if tmpl else None
    if tmpl_labels and not meta.get("labels"):
        meta["labels"] = dict(tmpl_labels)
    _job_spec(spec)
    # The job registry's selector generation (on create, once the object has a uid).
    uid = meta.get("uid")
    if uid and tmpl is not None and not spec.get("manualSelector") and spec.get("selector") is None:
        labels = _dict(_dict(tmpl, "metadata"), "labels")
        name = meta.get("name") or ""
        for key in ("batch.kubernetes.io/controller-uid", "controller-uid"):
            labels.setdefault(key, uid)
        for key in ("batch.kubernetes.io/job-name", "job-name"):
            labels.setdefault(key, name)
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}


def _cron_job(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    if not spec.get("concurrencyPolicy"):
        spec["concurrencyPolicy"] = "Allow"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("successfulJobsHistoryLimit") is None:
        spec["successfulJobsHistoryLimit"] = 3
    if spec.get("failedJobsHistoryLimit") is None:
        spec["failedJobsHistoryLimit"] = 1
    jt = spec.get("jobTemplate")
    if isinstance(jt, dict) and isinstance(jt.get("spec"), dict):
        _template(jt["spec"])


# --- services -----------------------------------------------------------------------------


def stable_node_port(service: dict[str, Any], port: dict[str, Any]) -> int:
    """A node port derived from namespace/name/port: the same on every update."""
    meta = service.get("metadata") or {}
    seed = (
        f"{meta.get('namespace', '')}/{meta.get('name', '')}/{port.get('port')}/{port.get('protocol', 'TCP')}"
    )
    lo, hi = NODE_PORT_RANGE
    return lo + int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") % (hi - lo + 1)


class ClusterIPAllocator:
    """Hands out unique ClusterIPs from the service CIDR, deterministically: the first choice
    for a service is derived from its namespace/name, then the next free address. Call
    :meth:`reserve` for addresses already in use (e.g. after loading the store)."""

    def __init__(self, cidr: str = SERVICE_CIDR) -> None:
        self.network = ipaddress.ip_network(cidr)
        self.used: set[str] = {str(self.network.network_address + 1)}  # kubernetes.default

    def reserve(self, ip: str) -> None:
        self.used.add(ip)

    def release(self, ip: str) -> None:
        self.used.discard(ip)

    def __call__(self, service: dict[str, Any]) -> str:
        meta = service.get("metadata") or {}
        size = self.network.num_addresses - 2
        if len(self.used) >= size:
            raise RuntimeError(f"no ClusterIP left in {self.network}")
        seed = f"{meta.get('namespace', '')}/{meta.get('name', '')}".encode()
        offset = int.from_bytes(hashlib.sha256(seed).digest()[:4], "big") % size
        for i in range(size):
            ip = str(self.network.network_address + 1 + (offset + i) % size)
            if ip not in self.used:
                self.used.add(ip)
                return ip
        raise RuntimeError(f"no ClusterIP left in {self.network}")  # pragma: no cover


def _service(
    obj: dict[str, Any], allocate_ip: AllocateIP | None, allocate_node_port: AllocateNodePort | None
) -> None:
    spec = _spec(obj)
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec.get("sessionAffinity") == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec.get("sessionAffinity") == "ClientIP":
        cfg = _dict(spec, "sessionAffinityConfig")
        client = _dict(cfg, "clientIP")
        if client.get("timeoutSeconds") is None:
            client["timeoutSeconds"] = 10800
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    stype = spec["type"]
    for port in _items(spec.get("ports")):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        if port.get("targetPort") in (None, 0, "") and port.get("port") is not None:
            port["targetPort"] = port["port"]
    external = stype in ("NodePort", "LoadBalancer") or (stype == "ClusterIP" and spec.get("externalIPs"))
    if external and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and stype in ("ClusterIP", "NodePort", "LoadBalancer"):
        spec["internalTrafficPolicy"] = "Cluster"
    if stype == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True
    if stype != "ExternalName":
        if not spec.get("clusterIP") and allocate_ip is not None:
            spec["clusterIP"] = allocate_ip(obj)
        if spec.get("clusterIP") and not spec.get("clusterIPs"):
            spec["clusterIPs"] = [spec["clusterIP"]]
        if not spec.get("ipFamilies"):
            spec["ipFamilies"] = ["IPv4"]
        if not spec.get("ipFamilyPolicy"):
            spec["ipFamilyPolicy"] = "SingleStack"
        if stype == "NodePort" or (stype == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts")):
            for port in _items(spec.get("ports")):
                if not port.get("nodePort"):
                    port["nodePort"] = (allocate_node_port or stable_node_port)(obj, port)
    status = _dict(obj, "status")
    if status.get("loadBalancer") is None:
        status["loadBalancer"] = {}


def _endpoints(obj: dict[str, Any]) -> None:
    for subset in _items(obj.get("subsets")):
        for port in _items(subset.get("ports")):
            if not port.get("protocol"):
                port["protocol"] = "TCP"


# --- config and storage -------------------------------------------------------------------


def _secret(obj: dict[str, Any]) -> None:
    if not obj.get("type"):
        obj["type"] = "Opaque"


def _pvc(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    if not spec.get("volumeMode"):
        spec["volumeMode"] = "Filesystem"
    status = _dict(obj, "status")
    if not status.get("phase"):
        status["phase"] = "Pending"


def _pv(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    hp = spec.get("hostPath")
    if isinstance(hp, dict) and hp.get("type") is None:
        hp["type"] = ""
    if not spec.get("persistentVolumeReclaimPolicy"):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    if not spec.get("volumeMode"):
        spec["volumeMode"] = "Filesystem"
    status = _dict(obj, "status")
    if not status.get("phase"):
        status["phase"] = "Pending"


def _namespace(obj: dict[str, Any]) -> None:
    meta = _dict(obj, "metadata")
    if meta.get("name"):
        labels = meta.get("labels")
        if not isinstance(labels, dict):
            labels = meta["labels"] = {}
        labels["kubernetes.io/metadata.name"] = meta["name"]
    spec = _spec(obj)
    if spec.get("finalizers") is None:
        spec["finalizers"] = ["kubernetes"]
    status = _dict(obj, "status")
    if not status.get("phase"):
        status["phase"] = "Active"


def _node(obj: dict[str, Any]) -> None:
    status = obj.get("status")
    if isinstance(status, dict) and status.get("capacity") and status.get("allocatable") is None:
        status["allocatable"] = dict(status["capacity"])


def _storage_class(obj: dict[str, Any]) -> None:
    if not obj.get("reclaimPolicy"):
        obj["reclaimPolicy"] = "Delete"
    if not obj.get("volumeBindingMode"):
        obj["volumeBindingMode"] = "Immediate"


# --- networking, rbac, autoscaling, scheduling ----------------------------------------------


def _network_policy(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    for direction in ("ingress", "egress"):
        for rule in _items(spec.get(direction)):
            for port in _items(rule.get("ports")):
                if not port.get("protocol"):
                    port["protocol"] = "TCP"
    if not spec.get("policyTypes"):
        types = ["Ingress"]
        if spec.get("egress"):
            types.append("Egress")
        spec["policyTypes"] = types


def _subjects(obj: dict[str, Any]) -> None:
    for subject in _items(obj.get("subjects")):
        if not subject.get("apiGroup"):
            kind = subject.get("kind")
            if kind in ("User", "Group"):
                subject["apiGroup"] = "rbac.authorization.k8s.io"
            elif kind == "ServiceAccount":
                subject["apiGroup"] = ""


def _hpa(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if obj.get("apiVersion") != "autoscaling/v2":
        return
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        up = _dict(behavior, "scaleUp")
        up.setdefault("stabilizationWindowSeconds", 0)
        up.setdefault("selectPolicy", "Max")
        if not up.get("policies"):
            up["policies"] = [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15},
            ]
        down = _dict(behavior, "scaleDown")
        down.setdefault("stabilizationWindowSeconds", 300)
        down.setdefault("selectPolicy", "Max")
        if not down.get("policies"):
            down["policies"] = [{"type": "Percent", "value": 100, "periodSeconds": 15}]


def _priority_class(obj: dict[str, Any]) -> None:
    if not obj.get("preemptionPolicy"):
        obj["preemptionPolicy"] = "PreemptLowerPriority"


def _crd(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    names = spec.get("names")
    if isinstance(names, dict) and names.get("kind"):
        if not names.get("singular"):
            names["singular"] = str(names["kind"]).lower()
        if not names.get("listKind"):
            names["listKind"] = f"{names['kind']}List"
    conversion = spec.get("conversion")
    if conversion is None:
        spec["conversion"] = {"strategy": "None"}
    elif isinstance(conversion, dict):
        service = ((conversion.get("webhook") or {}).get("clientConfig") or {}).get("service")
        if isinstance(service, dict) and service.get("port") is None:
            service["port"] = 443


def _webhooks(obj: dict[str, Any], mutating: bool) -> None:
    for hook in _items(obj.get("webhooks")):
        hook.setdefault("failurePolicy", "Fail")
        hook.setdefault("matchPolicy", "Equivalent")
        if hook.get("namespaceSelector") is None:
            hook["namespaceSelector"] = {}
        if hook.get("objectSelector") is None:
            hook["objectSelector"] = {}
        hook.setdefault("timeoutSeconds", 10)
        if mutating:
            hook.setdefault("reinvocationPolicy", "Never")
        for rule in _items(hook.get("rules")):
            rule.setdefault("scope", "*")
        service = (hook.get("clientConfig") or {}).get("service")
        if isinstance(service, dict) and service.get("port") is None:
            service["port"] = 443


_KIND_DEFAULTS: dict[tuple[str, str], Callable[..., None]] = {
    ("", "Pod"): _pod,
    ("", "PodTemplate"): _pod_template,
    ("", "ReplicationController"): _replication_controller,
    ("", "Node"): _node,
    ("", "Service"): _service,
    ("", "Endpoints"): _endpoints,
    ("", "Secret"): _secret,
    ("", "PersistentVolumeClaim"): _pvc,
    ("", "PersistentVolume"): _pv,
    ("", "Namespace"): _namespace,
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replica_set,
    ("apps", "StatefulSet"): _stateful_set,
    ("apps", "DaemonSet"): _daemon_set,
    ("batch", "Job"): _job,
    ("batch", "CronJob"): _cron_job,
    ("networking.k8s.io", "NetworkPolicy"): _network_policy,
    ("rbac.authorization.k8s.io", "RoleBinding"): _subjects,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _subjects,
    ("autoscaling", "HorizontalPodAutoscaler"): _hpa,
    ("scheduling.k8s.io", "PriorityClass"): _priority_class,
    ("storage.k8s.io", "StorageClass"): _storage_class,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): _crd,
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): lambda o: _webhooks(o, False),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): lambda o: _webhooks(o, True),
}
