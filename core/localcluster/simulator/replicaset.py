"""The ReplicaSet controller: keeps ``spec.replicas`` pods (``generateName: <rs>-``, owned by
the ReplicaSet) and writes ``status`` (replicas, fullyLabeledReplicas, readyReplicas,
availableReplicas, observedGeneration)."""

from __future__ import annotations

from typing import Any

from kedge.localcluster.contract import StoreError
from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator.context import SimContext
from kedge.localcluster.simulator.resources import PODS, REPLICASETS

Obj = dict[str, Any]

#: Status codes of a refused pod creation that the controller reports instead of retrying:
#: bad request, forbidden (e.g. the namespace is terminating), not found, invalid.
FAILED_CREATE_CODES = (400, 403, 404, 422)

_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def pod_from_template(owner: Obj, template: Obj, generate_name: str) -> Obj:
    """A pod for a controller's pod template, owned by ``owner``."""
    tmeta = template.get("metadata") or {}
    md: Obj = {
        "generateName": generate_name,
        "namespace": m.ns_of(owner),
        "labels": dict(tmeta.get("labels") or {}),
        "ownerReferences": [m.controller_ref(owner)],
    }
    if tmeta.get("annotations"):
        md["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        md["finalizers"] = list(tmeta["finalizers"])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": md,
        "spec": m.deep_copy(template.get("spec") or {}),
    }


def pods_to_delete(pods: list[Obj], count: int) -> list[Obj]:
    """Which pods go first when scaling down (the controller's ActivePods ordering): unscheduled
    before scheduled, Pending before Running, not ready before ready, newer before older."""

    def rank(p: Obj) -> tuple[Any, ...]:
        status = p.get("status") or {}
        ready_since = m.ready_since(p) if m.pod_is_ready(p) else None
        restarts = sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or [])
        created = p.get("metadata", {}).get("creationTimestamp") or ""
        return (
            1 if (p.get("spec") or {}).get("nodeName") else 0,
            _PHASE_RANK.get(status.get("phase", "Pending"), 0),
            1 if m.pod_is_ready(p) else 0,
            -(ready_since or 0),
            -restarts,
            _neg(created),
        )

    return sorted(pods, key=rank)[: max(count, 0)]


def _neg(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


def replicaset_status(rs: Obj, pods: list[Obj], now: float, failure: str | None = None) -> Obj:
    """ReplicaSet status from its active pods (zero counters omitted, ``replicas`` always set);
    ``failure``: why creating a pod was refused, reported as condition ``ReplicaFailure``."""
    template_labels = ((rs.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    min_ready = int((rs.get("spec") or {}).get("minReadySeconds") or 0)
    status: Obj = {"replicas": len(pods)}
    fully = sum(1 for p in pods if all(m.labels_of(p).get(k) == v for k, v in template_labels.items()))
    ready = sum(1 for p in pods if m.pod_is_ready(p))
    available = sum(1 for p in pods if m.pod_available(p, min_ready, now))
    for key, value in (
        ("fullyLabeledReplicas", fully),
        ("readyReplicas", ready),
        ("availableReplicas", available),
    ):
        if value:
            status[key] = value
    generation = int(rs.get("metadata", {}).get("generation") or 0)
    if generation:
        status["observedGeneration"] = generation
    old_conds = [
        c for c in (rs.get("status") or {}).get("conditions") or [] if c.get("type") != "ReplicaFailure"
    ]
    if failure is not None:
        previous = m.get_condition(rs.get("status") or {}, "ReplicaFailure")
        cond = {
            "type": "ReplicaFailure",
            "status": "True",
            "lastTransitionTime": (previous or {}).get("lastTransitionTime") or m.rfc3339(now),
            "reason": "FailedCreate",
            "message": failure,
        }
        old_conds.append(cond)
    if old_conds:
        status["conditions"] = old_conds
    return status


def next_availability_check(rs: Obj, pods: list[Obj], now: float) -> float | None:
    """When a ready-but-not-yet-available pod (minReadySeconds) becomes available."""
    min_ready = int((rs.get("spec") or {}).get("minReadySeconds") or 0)
    if min_ready <= 0:
        return None
    times = [
        since + min_ready
        for p in pods
        if m.pod_is_ready(p) and (since := m.ready_since(p)) is not None and since + min_ready > now
    ]
    return min(times) if times else None


def sync(ctx: SimContext, namespace: str | None, name: str) -> None:
    rs = ctx.cache.get(REPLICASETS, namespace, name)
    if rs is None or m.is_deleting(rs):
        return
    now = ctx.now()
    pods = [p for p in ctx.cache.owned(m.uid_of(rs), PODS) if m.pod_is_active(p)]
    diff = len(pods) - int((rs.get("spec") or {}).get("replicas", 1) or 0)
    template = (rs.get("spec") or {}).get("template") or {}
    failure: str | None = None
    if diff < 0:
        for _ in range(-diff):
            pod = pod_from_template(rs, template, f"{name}-")
            node = ctx.pick_node(pod)
            if node:
                pod["spec"]["nodeName"] = node
            try:
                created = ctx.create(PODS, pod)
            except StoreError as err:
                if err.code not in FAILED_CREATE_CODES:
                    raise  # conflicts and the like: retried
                failure = err.message
                ctx.event(
                    rs,
                    "ReplicaSet",
                    "Warning",
                    "FailedCreate",
                    f"Error creating: {failure}",
                    "replicaset-controller",
                )
                break
            pods.append(created)
            ctx.event(
                rs,
                "ReplicaSet",
                "Normal",
                "SuccessfulCreate",
                f"Created pod: {m.name_of(created)}",
                "replicaset-controller",
            )
    elif diff > 0:
        for pod in pods_to_delete(pods, diff):
            ctx.delete(PODS, namespace, m.name_of(pod))
            ctx.event(
                rs,
                "ReplicaSet",
                "Normal",
                "SuccessfulDelete",
                f"Deleted pod: {m.name_of(pod)}",
                "replicaset-controller",
            )
            pods = [p for p in pods if m.uid_of(p) != m.uid_of(pod)]
    status = replicaset_status(rs, pods, now, failure)
    current = ctx.cache.get(REPLICASETS, namespace, name) or rs
    if (current.get("status") or {}) != status:
        body = m.with_status(current, status)
        ctx.update_status(REPLICASETS, body)
    when = next_availability_check(rs, pods, now)
    if when is not None:
        ctx.requeue_at("replicaset", namespace, name, when)
