"""The disruption controller (PodDisruptionBudget status) and the horizontal pod autoscaler.

PodDisruptionBudgets get ``currentHealthy``, ``desiredHealthy``, ``expectedPods``,
``disruptionsAllowed`` and the ``DisruptionAllowed`` condition (``SufficientPods`` /
``InsufficientPods``) from the ready pods they select.

HorizontalPodAutoscalers (autoscaling/v2) on a Deployment, StatefulSet or ReplicaSet keep the
target's replicas within ``minReplicas``..``maxReplicas``. No metrics exist here, so the
simulated metrics recommend the current replica count, or the count in the HPA's annotation
``kedge.dev/simulate-replicas``; the HPA scales the target and reports ``AbleToScale``,
``ScalingActive`` and ``ScalingLimited`` as the real controller does."""

from __future__ import annotations

from typing import Any

from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator.context import SimContext
from kedge.localcluster.simulator.resources import (
    DEPLOYMENTS,
    HPAS,
    PDBS,
    PODS,
    REPLICASETS,
    STATEFULSETS,
)

Obj = dict[str, Any]

ANN_REPLICAS = "kedge.dev/simulate-replicas"
#: scaleTargetRef kinds the simulated autoscaler can read and scale
SCALABLE = {"Deployment": DEPLOYMENTS, "StatefulSet": STATEFULSETS, "ReplicaSet": REPLICASETS}
_CONTROLLER_RESOURCES = {"ReplicaSet": REPLICASETS, "StatefulSet": STATEFULSETS}


def _cond(
    ctype: str, status: str, reason: str, message: str, now: float, generation: int | None = None
) -> Obj:
    cond: Obj = {
        "type": ctype,
        "status": status,
        "lastTransitionTime": m.rfc3339(now),
        "reason": reason,
        "message": message,
    }
    if generation is not None:
        cond["observedGeneration"] = generation
    return cond


def pdb_status(pdb: Obj, pods: list[Obj], controller_replicas: int | None, now: float) -> Obj:
    """The disruption controller's status for ``pdb`` over the ``pods`` it selects.
    ``controller_replicas``: the summed replicas of those pods' controllers (needed for
    percentages and maxUnavailable; None when unknown)."""
    spec = pdb.get("spec") or {}
    active = [p for p in pods if m.pod_is_active(p)]
    healthy = sum(1 for p in active if m.pod_is_ready(p))
    min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
    if max_unavailable is not None or (isinstance(min_available, str) and min_available.endswith("%")):
        expected = controller_replicas if controller_replicas is not None else len(active)
    else:
        expected = len(active)
    if max_unavailable is not None:
        desired = max(expected - m.scaled_value(max_unavailable, expected, round_up=True), 0)
    elif min_available is not None:
        desired = m.scaled_value(min_available, expected, round_up=True)
    else:
        desired = 0
    allowed = max(healthy - desired, 0) if expected > 0 or healthy > 0 else 0
    generation = int(pdb.get("metadata", {}).get("generation") or 0)
    old = pdb.get("status") or {}
    if allowed > 0:
        cond = _cond("DisruptionAllowed", "True", "SufficientPods", "", now, generation)
    else:
        cond = _cond("DisruptionAllowed", "False", "InsufficientPods", "", now, generation)
    status: Obj = {"conditions": [dict(c) for c in old.get("conditions") or []]}
    m.set_condition(status, cond, always_update=True)
    status.update(
        {
            "currentHealthy": healthy,
            "desiredHealthy": desired,
            "disruptionsAllowed": allowed,
            "expectedPods": expected,
            "observedGeneration": generation,
        }
    )
    return status


def sync_pdb(ctx: SimContext, namespace: str | None, name: str) -> None:
    pdb = ctx.cache.get(PDBS, namespace, name)
    if pdb is None or m.is_deleting(pdb):
        return
    selector = (pdb.get("spec") or {}).get("selector")
    pods = [p for p in ctx.cache.list(PODS, namespace) if m.selector_matches(selector, m.labels_of(p))]
    controllers: dict[str, int] = {}
    for pod in pods:
        ref = m.controller_of(pod) or {}
        resource = _CONTROLLER_RESOURCES.get(ref.get("kind", ""))
        owner = ctx.cache.get(resource, namespace, ref.get("name", "")) if resource else None
        if owner is not None:
            spec_replicas = (owner.get("spec") or {}).get("replicas")
            controllers[m.uid_of(owner)] = 1 if spec_replicas is None else int(spec_replicas)
    replicas = sum(controllers.values()) if controllers else None
    status = pdb_status(pdb, pods, replicas, ctx.now())
    if _same_status(pdb.get("status") or {}, status):
        return
    ctx.update_status(PDBS, m.with_status(pdb, status))


def _same_status(old: Obj, new: Obj) -> bool:
    """Equal apart from condition timestamps (kept when nothing else changed)."""

    def strip(s: Obj) -> Obj:
        return {
            **s,
            "conditions": [
                {k: v for k, v in c.items() if k != "lastTransitionTime"} for c in s.get("conditions") or []
            ],
        }

    return strip(old) == strip(new)


def hpa_plan(hpa: Obj, current: int, now: float) -> tuple[int, Obj]:
    """(desired replicas, new status) for an HPA whose target has ``current`` replicas."""
    spec = hpa.get("spec") or {}
    low = int(spec.get("minReplicas") or 1)
    high = int(spec.get("maxReplicas") or max(low, current))
    try:
        recommended = int(m.annotations_of(hpa).get(ANN_REPLICAS, current))
    except ValueError:
        recommended = current
    desired = min(max(recommended, low), high)
    old = hpa.get("status") or {}
    status: Obj = {"conditions": [dict(c) for c in old.get("conditions") or []]}
    if desired != current:
        able = _cond(
            "AbleToScale",
            "True",
            "SucceededRescale",
            f"the HPA controller was able to update the target scale to {desired}",
            now,
        )
        status["lastScaleTime"] = m.rfc3339(now)
    else:
        able = _cond("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size", now)
        if old.get("lastScaleTime"):
            status["lastScaleTime"] = old["lastScaleTime"]
    metrics = spec.get("metrics") or [{"type": "Resource", "resource": {"name": "cpu"}}]
    first = metrics[0]
    what = (
        (first.get("resource") or {}).get("name", "cpu")
        if first.get("type") == "Resource"
        else first.get("type", "").lower()
    )
    active = _cond(
        "ScalingActive",
        "True",
        "ValidMetricFound",
        f"the HPA was able to successfully calculate a replica count from {what} resource utilization (percentage of request)"
        if first.get("type") == "Resource"
        else f"the HPA was able to successfully calculate a replica count from {what} metric",
        now,
    )
    if recommended < low:
        limited = _cond(
            "ScalingLimited",
            "True",
            "TooFewReplicas",
            "the desired replica count is less than the minimum replica count",
            now,
        )
    elif recommended > high:
        limited = _cond(
            "ScalingLimited",
            "True",
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
            now,
        )
    else:
        limited = _cond(
            "ScalingLimited",
            "False",
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
            now,
        )
    for cond in (able, active, limited):
        m.set_condition(status, cond, always_update=True)
    status["currentReplicas"] = current
    status["desiredReplicas"] = desired
    status["currentMetrics"] = (
        old.get("currentMetrics")
        or [
            {
                "type": "Resource",
                "resource": {"name": what, "current": {"averageUtilization": 0, "averageValue": "0"}},
            }
        ]
        if first.get("type") == "Resource"
        else old.get("currentMetrics") or None
    )
    if status["currentMetrics"] is None:
        status.pop("currentMetrics")
    if hpa.get("metadata", {}).get("generation"):
        status["observedGeneration"] = int(hpa["metadata"]["generation"])
    return desired, status


def sync_hpa(ctx: SimContext, namespace: str | None, name: str) -> None:
    hpa = ctx.cache.get(HPAS, namespace, name)
    if hpa is None or m.is_deleting(hpa):
        return
    ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
    resource = SCALABLE.get(ref.get("kind", ""))
    target = ctx.cache.get(resource, namespace, ref.get("name", "")) if resource else None
    now = ctx.now()
    if target is None:
        status = {"conditions": [dict(c) for c in (hpa.get("status") or {}).get("conditions") or []]}
        m.set_condition(
            status,
            _cond(
                "AbleToScale",
                "False",
                "FailedGetScale",
                f"the HPA controller was unable to get the target's current scale: {ref.get('kind', '').lower()}s "
                f'"{ref.get("name", "")}" not found'
                if resource
                else f"the HPA controller was unable to get the target's current scale: no scale for kind {ref.get('kind')!r}",
                now,
            ),
        )
        status["currentReplicas"] = int((hpa.get("status") or {}).get("currentReplicas") or 0)
        status["desiredReplicas"] = 0
    else:
        spec_replicas = (target.get("spec") or {}).get("replicas")
        current = 1 if spec_replicas is None else int(spec_replicas)
        desired, status = hpa_plan(hpa, current, now)
        if desired != current:
            ctx.update(resource, {**target, "spec": {**(target.get("spec") or {}), "replicas": desired}})
            ctx.event(
                hpa,
                "HorizontalPodAutoscaler",
                "Normal",
                "SuccessfulRescale",
                f"New size: {desired}; reason: {_rescale_reason(current, desired, hpa)}",
                "horizontal-pod-autoscaler",
            )
    if _same_status(hpa.get("status") or {}, status):
        return
    ctx.update_status(HPAS, m.with_status(hpa, status))


def _rescale_reason(current: int, desired: int, hpa: Obj) -> str:
    spec = hpa.get("spec") or {}
    if desired == int(spec.get("minReplicas") or 1) and current < desired:
        return "Current number of replicas below Spec.MinReplicas"
    if desired == int(spec.get("maxReplicas") or desired) and current > desired:
        return "Current number of replicas above Spec.MaxReplicas"
    return (
        "All metrics below target"
        if desired < current
        else "cpu resource utilization (percentage of request) above target"
    )
