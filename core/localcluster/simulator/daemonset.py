"""The DaemonSet controller: one pod per eligible simulated Node (nodeSelector and required
node affinity honoured), RollingUpdate within ``maxUnavailable`` or OnDelete, and ``status``
(desired/current/updated NumberScheduled, numberReady/Available/Unavailable/Misscheduled)."""

from __future__ import annotations

from typing import Any

from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator.context import SimContext
from kedge.localcluster.simulator.nodes import node_matches
from kedge.localcluster.simulator.replicaset import pod_from_template
from kedge.localcluster.simulator.resources import DAEMONSETS, NODES, PODS

Obj = dict[str, Any]

REVISION_LABEL = "controller-revision-hash"
GENERATION_LABEL = "pod-template-generation"


def template_hash(ds: Obj) -> str:
    return m.compute_hash(
        (ds.get("spec") or {}).get("template") or {}, (ds.get("status") or {}).get("collisionCount")
    )


def daemon_pod(ds: Obj, node: str) -> Obj:
    pod = pod_from_template(ds, (ds.get("spec") or {}).get("template") or {}, f"{m.name_of(ds)}-")
    pod["metadata"]["labels"][REVISION_LABEL] = template_hash(ds)
    pod["metadata"]["labels"][GENERATION_LABEL] = str(ds.get("metadata", {}).get("generation") or 1)
    spec = pod["spec"]
    affinity = spec.setdefault("affinity", {})
    affinity["nodeAffinity"] = {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
            ]
        }
    }
    tolerations = list(spec.get("tolerations") or [])
    for key in (
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/disk-pressure",
        "node.kubernetes.io/memory-pressure",
        "node.kubernetes.io/pid-pressure",
        "node.kubernetes.io/unschedulable",
    ):
        if not any(t.get("key") == key for t in tolerations):
            tol: Obj = {
                "key": key,
                "operator": "Exists",
                "effect": "NoExecute" if key.endswith(("not-ready", "unreachable")) else "NoSchedule",
            }
            tolerations.append(tol)
    spec["tolerations"] = tolerations
    spec["nodeName"] = node
    return pod


def eligible_nodes(ds: Obj, nodes: list[Obj]) -> list[str]:
    probe = {"spec": ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}}
    return sorted(m.name_of(n) for n in nodes if node_matches(probe, n))


def sync(ctx: SimContext, namespace: str | None, name: str) -> None:
    ds = ctx.cache.get(DAEMONSETS, namespace, name)
    if ds is None or m.is_deleting(ds):
        return
    now = ctx.now()
    spec = ds.get("spec") or {}
    nodes = [n for n in ctx.cache.list(NODES, None) if n.get("status")]
    wanted = eligible_nodes(ds, nodes)
    revision = template_hash(ds)
    pods = [p for p in ctx.cache.owned(m.uid_of(ds), PODS) if not m.is_deleting(p)]
    by_node: dict[str, list[Obj]] = {}
    for pod in pods:
        by_node.setdefault((pod.get("spec") or {}).get("nodeName") or "", []).append(pod)

    for node, node_pods in list(by_node.items()):
        if node not in wanted:  # misscheduled: removed at once, so numberMisscheduled stays 0
            for pod in node_pods:
                ctx.delete(PODS, namespace, m.name_of(pod))
            del by_node[node]
            continue
        node_pods.sort(key=lambda p: p.get("metadata", {}).get("creationTimestamp") or "")
        keep: list[Obj] = []
        for pod in node_pods:
            if (pod.get("status") or {}).get("phase") == "Failed" or keep:
                ctx.delete(PODS, namespace, m.name_of(pod))
            else:
                keep.append(pod)
        by_node[node] = keep
    for node in wanted:
        if not by_node.get(node):
            created = ctx.create(PODS, daemon_pod(ds, node))
            by_node[node] = [created]
            ctx.event(
                ds,
                "DaemonSet",
                "Normal",
                "SuccessfulCreate",
                f"Created pod: {m.name_of(created)}",
                "daemonset-controller",
            )

    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        max_unavailable = (
            m.scaled_value(
                (strategy.get("rollingUpdate") or {}).get("maxUnavailable", 1), len(wanted), round_up=True
            )
            or 1
        )
        unavailable = sum(1 for n in wanted if not any(m.pod_is_ready(p) for p in by_node.get(n, [])))
        budget = max_unavailable - unavailable
        for node in wanted:
            if budget <= 0:
                break
            for pod in by_node.get(node, []):
                if m.labels_of(pod).get(REVISION_LABEL) != revision and m.pod_is_ready(pod):
                    ctx.delete(PODS, namespace, m.name_of(pod))
                    by_node[node] = []
                    budget -= 1
                    break

    min_ready = int(spec.get("minReadySeconds") or 0)
    scheduled = [p for n in wanted for p in by_node.get(n, [])[:1]]
    ready = sum(1 for p in scheduled if m.pod_is_ready(p))
    available = sum(1 for p in scheduled if m.pod_available(p, min_ready, now))
    updated = sum(1 for p in scheduled if m.labels_of(p).get(REVISION_LABEL) == revision)
    status: Obj = {
        "currentNumberScheduled": len(scheduled),
        "desiredNumberScheduled": len(wanted),
        "numberAvailable": available,
        "numberMisscheduled": 0,
        "numberReady": ready,
        "numberUnavailable": len(wanted) - available,
        "observedGeneration": int(ds.get("metadata", {}).get("generation") or 0),
        "updatedNumberScheduled": updated,
    }
    for key in ("numberAvailable", "numberUnavailable", "updatedNumberScheduled", "observedGeneration"):
        if not status[key]:
            status.pop(key)
    current = ctx.cache.get(DAEMONSETS, namespace, name) or ds
    if (current.get("status") or {}) != status:
        body = m.with_status(current, status)
        ctx.update_status(DAEMONSETS, body)
