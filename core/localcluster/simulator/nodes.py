"""Simulated Nodes: the Node objects (Ready, with capacity and addresses), pod placement
(fewest pods first, honouring nodeSelector) and address allocation for pods and
LoadBalancer Services."""

from __future__ import annotations

import threading
from typing import Any

from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator.context import SimulatorOptions

Obj = dict[str, Any]


def node_object(name: str, index: int, opts: SimulatorOptions, now: float) -> Obj:
    """A Node as a kubelet registers it (spec, labels, annotations); status via node_status."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
            },
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"podCIDR": pod_cidr(index), "podCIDRs": [pod_cidr(index)], "providerID": f"kedge://{name}"},
    }


def pod_cidr(index: int) -> str:
    return f"10.{244 + index}.0.0/16"


def node_ip(index: int) -> str:
    return f"172.18.0.{index + 2}"


def node_status(name: str, index: int, opts: SimulatorOptions, now: float, old: Obj | None = None) -> Obj:
    """A healthy node's status. Condition times are kept from ``old`` when present."""
    ts = m.rfc3339(now)
    olds = {c.get("type"): c for c in (old or {}).get("conditions") or []}

    def cond(ctype: str, status: str, reason: str, message: str) -> Obj:
        prev = olds.get(ctype) or {}
        return {
            "type": ctype,
            "status": status,
            "lastHeartbeatTime": prev.get("lastHeartbeatTime", ts),
            "lastTransitionTime": prev.get("lastTransitionTime", ts) if prev.get("status") == status else ts,
            "reason": reason,
            "message": message,
        }

    resources = {
        "cpu": opts.node_cpu,
        "ephemeral-storage": "102400Mi",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": opts.node_memory,
        "pods": opts.node_max_pods,
    }
    return {
        "addresses": [
            {"type": "InternalIP", "address": node_ip(index)},
            {"type": "Hostname", "address": name},
        ],
        "allocatable": dict(resources),
        "capacity": dict(resources),
        "conditions": [
            cond(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "architecture": "amd64",
            "bootID": m.sha_hex("boot:" + name)[:32],
            "containerRuntimeVersion": "containerd://1.7.18",
            "kernelVersion": "6.1.0-kedge",
            "kubeProxyVersion": opts.kubelet_version,
            "kubeletVersion": opts.kubelet_version,
            "machineID": m.sha_hex("machine:" + name)[:32],
            "operatingSystem": "linux",
            "osImage": "Kedge simulated node",
            "systemUUID": _uuid(name),
        },
    }


def _uuid(seed: str) -> str:
    h = m.sha_hex("uuid:" + seed)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def node_matches(pod: Obj, node: Obj) -> bool:
    """nodeSelector and required node affinity (matchExpressions on labels, matchFields on
    metadata.name) against a node; taints are not simulated."""
    spec = pod.get("spec") or {}
    labels = m.labels_of(node)
    for k, v in (spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    for term in terms:
        ok = True
        for expr in term.get("matchExpressions") or []:
            ok = ok and _node_expr(expr, labels.get(expr.get("key", "")), expr.get("key", "") in labels)
        for expr in term.get("matchFields") or []:
            if expr.get("key") == "metadata.name":
                ok = ok and _node_expr(expr, m.name_of(node), True)
        if ok:
            return True
    return False


def _node_expr(expr: Obj, value: str | None, present: bool) -> bool:
    op, values = expr.get("operator"), expr.get("values") or []
    if op == "In":
        return present and value in values
    if op == "NotIn":
        return not present or value not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and values:
        try:
            a, b = int(value or ""), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


class Addresses:
    """Pod and load-balancer address pools; thread-safe, addresses released on pod deletion."""

    def __init__(self, opts: SimulatorOptions) -> None:
        self._lock = threading.Lock()
        self._opts = opts
        self._index = {name: i for i, name in enumerate(opts.node_names())}
        self._pod_next: dict[str, int] = {}
        self._pod_used: set[str] = set()
        self._lb_used: dict[str, str] = {}

    def node_index(self, node: str) -> int | None:
        return self._index.get(node)

    def mark_pod_ip(self, ip: str | None) -> None:
        if ip:
            with self._lock:
                self._pod_used.add(ip)

    def release_pod_ip(self, ip: str | None) -> None:
        if ip:
            with self._lock:
                self._pod_used.discard(ip)

    def pod_ip(self, node: str) -> str:
        index = self._index.get(node, 0)
        with self._lock:
            n = self._pod_next.get(node, 1)
            for _ in range(65534):
                n = n % 65534 + 1
                if n % 256 in (0, 255):
                    continue
                ip = f"10.{244 + index}.{n >> 8}.{n & 255}"
                if ip not in self._pod_used:
                    self._pod_used.add(ip)
                    self._pod_next[node] = n
                    return ip
            raise RuntimeError(f"node {node}: pod address range {pod_cidr(index)} is exhausted")

    def mark_lb_ip(self, owner: str, ip: str) -> None:
        with self._lock:
            self._lb_used[owner] = ip

    def lb_ip(self, owner: str) -> str:
        with self._lock:
            if owner in self._lb_used:
                return self._lb_used[owner]
            used = set(self._lb_used.values())
            for n in range(1, 255):
                ip = f"{self._opts.load_balancer_prefix}{n}"
                if ip not in used and ip != self._opts.ingress_address:
                    self._lb_used[owner] = ip
                    return ip
            raise RuntimeError("the load-balancer address pool is exhausted")

    def release_lb_ip(self, owner: str) -> None:
        with self._lock:
            self._lb_used.pop(owner, None)
