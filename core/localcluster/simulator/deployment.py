"""The Deployment controller: Deployment -> ReplicaSets, rolling updates bounded by
maxSurge/maxUnavailable, Recreate, paused, revision history clean-up, progress deadline, and
``status`` written the way kube-controller-manager writes it.

The decisions are pure functions over plain dicts (tested on their own); :func:`sync` applies
them through the simulator's context.
"""

from __future__ import annotations

from typing import Any

from kedge.localcluster.contract import AlreadyExistsError, StoreError
from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator.context import SimContext
from kedge.localcluster.simulator.replicaset import FAILED_CREATE_CODES
from kedge.localcluster.simulator.resources import DEPLOYMENTS, PODS, REPLICASETS

Obj = dict[str, Any]

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
#: Deployment annotations never copied onto its ReplicaSets
_SKIP_ANNOTATIONS = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
}

AVAILABLE = "Available"
PROGRESSING = "Progressing"
REASON_MIN_AVAILABLE = "MinimumReplicasAvailable"
REASON_MIN_UNAVAILABLE = "MinimumReplicasUnavailable"
REASON_NEW_RS_CREATED = "NewReplicaSetCreated"
REASON_FOUND_NEW_RS = "FoundNewReplicaSet"
REASON_RS_UPDATED = "ReplicaSetUpdated"
REASON_NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
REASON_TIMED_OUT = "ProgressDeadlineExceeded"
REASON_PAUSED = "DeploymentPaused"
REASON_RS_CREATE_ERROR = "ReplicaSetCreateError"
REASON_RESUMED = "DeploymentResumed"

NO_DEADLINE = 2**31 - 1


# -- spec accessors (with the API server's defaults) ----------------------------------------


def replicas_of(obj: Obj) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def strategy_type(d: Obj) -> str:
    return ((d.get("spec") or {}).get("strategy") or {}).get("type") or "RollingUpdate"


def progress_deadline(d: Obj) -> int | None:
    value = (d.get("spec") or {}).get("progressDeadlineSeconds", 600)
    if value is None or int(value) == NO_DEADLINE:
        return None
    return int(value)


def revision_history_limit(d: Obj) -> int:
    value = (d.get("spec") or {}).get("revisionHistoryLimit")
    return 10 if value is None else int(value)


def min_ready_seconds(obj: Obj) -> int:
    return int((obj.get("spec") or {}).get("minReadySeconds") or 0)


def resolve_fenceposts(d: Obj) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as absolute numbers; both zero is not allowed, so
    maxUnavailable becomes 1 (as the real controller does)."""
    ru = ((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    desired = replicas_of(d)
    surge = m.scaled_value(ru.get("maxSurge", "25%"), desired, round_up=True)
    unavailable = m.scaled_value(ru.get("maxUnavailable", "25%"), desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_unavailable(d: Obj) -> int:
    if strategy_type(d) != "RollingUpdate" or replicas_of(d) == 0:
        return 0
    return min(resolve_fenceposts(d)[1], replicas_of(d))


def max_surge(d: Obj) -> int:
    if strategy_type(d) != "RollingUpdate":
        return 0
    return resolve_fenceposts(d)[0]


# -- ReplicaSet helpers ---------------------------------------------------------------------


def rs_replicas(rs: Obj) -> int:
    return replicas_of(rs)


def rs_status(rs: Obj, field: str) -> int:
    return int((rs.get("status") or {}).get(field) or 0)


def revision_of(rs: Obj) -> int:
    try:
        return int(m.annotations_of(rs).get(REVISION, "0"))
    except ValueError:
        return 0


def _normalised_template(template: Obj) -> Obj:
    t = dict(template or {})
    md = t["metadata"] = dict(t.get("metadata") or {})
    labels = dict(md.get("labels") or {})
    labels.pop(HASH_LABEL, None)
    md["labels"] = labels
    if md.get("creationTimestamp") is None:
        md.pop("creationTimestamp", None)
    if not md.get("annotations"):
        md.pop("annotations", None)
    return t


def templates_equal(a: Obj, b: Obj) -> bool:
    """Pod templates equal apart from the pod-template-hash label (EqualIgnoreHash)."""
    return _normalised_template(a) == _normalised_template(b)


def template_hash(d: Obj) -> str:
    status = d.get("status") or {}
    return m.compute_hash(
        _normalised_template((d.get("spec") or {}).get("template") or {}), status.get("collisionCount")
    )


def by_creation(rss: list[Obj]) -> list[Obj]:
    return sorted(rss, key=lambda r: (r.get("metadata", {}).get("creationTimestamp") or "", m.name_of(r)))


def find_new_rs(d: Obj, rss: list[Obj]) -> Obj | None:
    """The oldest ReplicaSet whose template equals the Deployment's."""
    template = (d.get("spec") or {}).get("template") or {}
    for rs in by_creation(rss):
        if templates_equal((rs.get("spec") or {}).get("template") or {}, template):
            return rs
    return None


def new_rs_replicas(d: Obj, all_rss: list[Obj], new_rs: Obj | None) -> int:
    """How many replicas the new ReplicaSet may have now (NewRSNewReplicas)."""
    desired = replicas_of(d)
    current_new = rs_replicas(new_rs) if new_rs is not None else 0
    if strategy_type(d) != "RollingUpdate":
        return desired
    max_total = desired + max_surge(d)
    current_total = sum(rs_replicas(rs) for rs in all_rss)
    if new_rs is not None and not any(m.uid_of(rs) == m.uid_of(new_rs) for rs in all_rss):
        current_total += current_new
    if current_total >= max_total:
        return current_new
    scale_up = min(max_total - current_total, desired - current_new)
    return current_new + max(scale_up, 0)


def plan_old_scale_down(d: Obj, new_rs: Obj | None, old_rss: list[Obj]) -> dict[str, int]:
    """reconcileOldReplicaSets: which old ReplicaSets to scale down, and to what, without going
    below ``replicas - maxUnavailable`` available pods. Returns {rs name: new replicas}."""
    old_active = [rs for rs in old_rss if rs_replicas(rs) > 0]
    if not old_active:
        return {}
    all_rss = old_rss + ([new_rs] if new_rs is not None else [])
    all_pods = sum(rs_replicas(rs) for rs in all_rss)
    min_available = replicas_of(d) - max_unavailable(d)
    new_unavailable = 0
    if new_rs is not None:
        new_unavailable = max(rs_replicas(new_rs) - rs_status(new_rs, "availableReplicas"), 0)
    max_scaled_down = all_pods - min_available - new_unavailable
    if max_scaled_down <= 0:
        return {}
    plan: dict[str, int] = {}
    current = {m.name_of(rs): rs_replicas(rs) for rs in old_rss}
    # 1. unhealthy replicas of old ReplicaSets go first (cleanupUnhealthyReplicas)
    cleaned = 0
    for rs in by_creation(old_active):
        if cleaned >= max_scaled_down:
            break
        name = m.name_of(rs)
        unhealthy = current[name] - rs_status(rs, "availableReplicas")
        if unhealthy <= 0:
            continue
        count = min(max_scaled_down - cleaned, unhealthy)
        current[name] -= count
        plan[name] = current[name]
        cleaned += count
    # 2. then healthy ones, oldest first, keeping minAvailable (scaleDownOldReplicaSetsForRollingUpdate)
    available = sum(rs_status(rs, "availableReplicas") for rs in all_rss)
    if available > min_available:
        budget = min(available - min_available, max_scaled_down - cleaned)
        for rs in by_creation(old_active):
            if budget <= 0:
                break
            name = m.name_of(rs)
            if current[name] == 0:
                continue
            count = min(current[name], budget)
            current[name] -= count
            plan[name] = current[name]
            budget -= count
    return plan


def find_active_or_latest(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
    rss = ([new_rs] if new_rs is not None else []) + old_rss
    active = [rs for rs in rss if rs_replicas(rs) > 0]
    if len(active) == 1:
        return active[0]
    if not active:
        if new_rs is not None:
            return new_rs
        return by_creation(old_rss)[-1] if old_rss else None
    return None


def plan_scale(d: Obj, new_rs: Obj | None, old_rss: list[Obj]) -> dict[str, int]:
    """Scaling without a rollout (paused, or a replicas change with one active ReplicaSet);
    with several active ReplicaSets the change is spread proportionally, largest first."""
    desired = replicas_of(d)
    target = find_active_or_latest(new_rs, old_rss)
    if target is not None:
        return {} if rs_replicas(target) == desired else {m.name_of(target): desired}
    rss = ([new_rs] if new_rs is not None else []) + old_rss
    active = [rs for rs in rss if rs_replicas(rs) > 0]
    allowed = desired + max_surge(d)
    total = sum(rs_replicas(rs) for rs in active)
    delta = allowed - total
    if delta == 0:
        return {}
    plan = {m.name_of(rs): rs_replicas(rs) for rs in active}
    order = sorted(active, key=lambda r: (-rs_replicas(r), m.name_of(r)))
    if delta < 0:
        order = sorted(active, key=lambda r: (rs_replicas(r), m.name_of(r)), reverse=True)
    remaining = delta
    for rs in order:
        if remaining == 0:
            break
        share = int(delta * rs_replicas(rs) / total) if total else 0
        share = max(share, remaining) if delta < 0 else min(share, remaining)
        if share == 0:
            share = 1 if delta > 0 else -1
        name = m.name_of(rs)
        new_value = max(plan[name] + share, 0)
        remaining -= new_value - plan[name]
        plan[name] = new_value
    return {k: v for k, v in plan.items() if v != rs_replicas(next(r for r in active if m.name_of(r) == k))}


def rs_to_clean_up(d: Obj, old_rss: list[Obj]) -> list[str]:
    """Old, fully scaled-down ReplicaSets beyond revisionHistoryLimit, oldest revisions first."""
    limit = revision_history_limit(d)
    cleanable = [
        rs
        for rs in old_rss
        if rs_replicas(rs) == 0
        and rs_status(rs, "replicas") == 0
        and not m.is_deleting(rs)
        and int((rs.get("status") or {}).get("observedGeneration") or 0)
        >= int(rs.get("metadata", {}).get("generation") or 0)
    ]
    excess = len([rs for rs in old_rss if not m.is_deleting(rs)]) - limit
    if excess <= 0:
        return []
    cleanable.sort(key=lambda r: (revision_of(r), r.get("metadata", {}).get("creationTimestamp") or ""))
    return [m.name_of(rs) for rs in cleanable[:excess]]


# -- status ---------------------------------------------------------------------------------


def condition(ctype: str, status: str, reason: str, message: str, now: float) -> Obj:
    ts = m.rfc3339(now)
    return {
        "type": ctype,
        "status": status,
        "lastUpdateTime": ts,
        "lastTransitionTime": ts,
        "reason": reason,
        "message": message,
    }


def calculate_status(d: Obj, all_rss: list[Obj], new_rs: Obj | None, now: float) -> Obj:
    """calculateStatus: replica counts and the Available condition (conditions carried over)."""
    old = d.get("status") or {}
    available = sum(rs_status(rs, "availableReplicas") for rs in all_rss)
    total = sum(rs_replicas(rs) for rs in all_rss)
    status: Obj = {
        "observedGeneration": int(d.get("metadata", {}).get("generation") or 0),
        "replicas": sum(rs_status(rs, "replicas") for rs in all_rss),
        "updatedReplicas": rs_status(new_rs, "replicas") if new_rs is not None else 0,
        "readyReplicas": sum(rs_status(rs, "readyReplicas") for rs in all_rss),
        "availableReplicas": available,
        "unavailableReplicas": max(total - available, 0),
        "conditions": [dict(c) for c in old.get("conditions") or []],
    }
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if available >= replicas_of(d) - max_unavailable(d):
        cond = condition(AVAILABLE, "True", REASON_MIN_AVAILABLE, "Deployment has minimum availability.", now)
    else:
        cond = condition(
            AVAILABLE, "False", REASON_MIN_UNAVAILABLE, "Deployment does not have minimum availability.", now
        )
    m.set_condition(status, cond)
    return status


def deployment_complete(d: Obj, status: Obj) -> bool:
    desired = replicas_of(d)
    return (
        int(status.get("updatedReplicas") or 0) == desired
        and int(status.get("replicas") or 0) == desired
        and int(status.get("availableReplicas") or 0) == desired
        and int(status.get("observedGeneration") or 0) >= int(d.get("metadata", {}).get("generation") or 0)
    )


def deployment_progressing(d: Obj, new_status: Obj) -> bool:
    old = d.get("status") or {}

    def g(s: Obj, f: str) -> int:
        return int(s.get(f) or 0)

    old_old = g(old, "replicas") - g(old, "updatedReplicas")
    new_old = g(new_status, "replicas") - g(new_status, "updatedReplicas")
    return (
        g(new_status, "updatedReplicas") > g(old, "updatedReplicas")
        or new_old < old_old
        or g(new_status, "readyReplicas") > g(old, "readyReplicas")
        or g(new_status, "availableReplicas") > g(old, "availableReplicas")
    )


def deployment_timed_out(d: Obj, status: Obj, now: float) -> bool:
    deadline = progress_deadline(d)
    if deadline is None:
        return False
    cond = m.get_condition(status, PROGRESSING)
    if cond is None:
        return False
    if cond.get("reason") == REASON_NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == REASON_TIMED_OUT:
        return True
    since = m.parse_time(cond.get("lastUpdateTime"))
    return since is not None and since + deadline < now


def rollout_status(d: Obj, all_rss: list[Obj], new_rs: Obj | None, now: float) -> Obj:
    """syncRolloutStatus: calculateStatus plus the Progressing condition."""
    status = calculate_status(d, all_rss, new_rs, now)
    if progress_deadline(d) is None:
        m.remove_condition(status, PROGRESSING)
        return _finish(status)
    current = m.get_condition(d.get("status") or {}, PROGRESSING)
    complete_already = (
        status["replicas"] == status["updatedReplicas"]
        and current is not None
        and current.get("reason") == REASON_NEW_RS_AVAILABLE
    )
    if not complete_already:
        name = m.name_of(new_rs) if new_rs is not None else None
        if deployment_complete(d, status):
            msg = (
                f'ReplicaSet "{name}" has successfully progressed.'
                if name
                else f'Deployment "{m.name_of(d)}" has successfully progressed.'
            )
            m.set_condition(status, condition(PROGRESSING, "True", REASON_NEW_RS_AVAILABLE, msg, now))
        elif deployment_progressing(d, status):
            msg = (
                f'ReplicaSet "{name}" is progressing.'
                if name
                else f'Deployment "{m.name_of(d)}" is progressing.'
            )
            cond = condition(PROGRESSING, "True", REASON_RS_UPDATED, msg, now)
            if current is not None:
                if current.get("status") == "True":
                    cond["lastTransitionTime"] = current.get("lastTransitionTime", cond["lastTransitionTime"])
                m.remove_condition(status, PROGRESSING)
            m.set_condition(status, cond)
        elif deployment_timed_out(d, status, now):
            msg = (
                f'ReplicaSet "{name}" has timed out progressing.'
                if name
                else f'Deployment "{m.name_of(d)}" has timed out progressing.'
            )
            m.set_condition(status, condition(PROGRESSING, "False", REASON_TIMED_OUT, msg, now))
    return _finish(status)


def replica_failure(all_rss: list[Obj], new_rs: Obj | None, now: float) -> Obj | None:
    """getReplicaFailures: a ReplicaSet's ReplicaFailure condition (the new one's first),
    as the Deployment's own ReplicaFailure condition."""
    ordered = ([new_rs] if new_rs is not None else []) + [
        rs for rs in all_rss if new_rs is None or m.uid_of(rs) != m.uid_of(new_rs)
    ]
    for rs in ordered:
        cond = m.get_condition(rs.get("status") or {}, "ReplicaFailure")
        if cond is not None and cond.get("status") == "True":
            out = condition("ReplicaFailure", "True", cond.get("reason", ""), cond.get("message", ""), now)
            out["lastTransitionTime"] = cond.get("lastTransitionTime", out["lastTransitionTime"])
            return out
    return None


def paused_condition(d: Obj, status: Obj, now: float) -> None:
    """checkPausedConditions: Progressing=Unknown while paused, and once when resumed."""
    if progress_deadline(d) is None:
        return
    cond = m.get_condition(status, PROGRESSING)
    if cond is not None and cond.get("reason") == REASON_TIMED_OUT:
        return
    paused = bool((d.get("spec") or {}).get("paused"))
    if paused and (cond is None or cond.get("reason") != REASON_PAUSED):
        m.set_condition(status, condition(PROGRESSING, "Unknown", REASON_PAUSED, "Deployment is paused", now))
    elif not paused and cond is not None and cond.get("reason") == REASON_PAUSED:
        m.set_condition(
            status, condition(PROGRESSING, "Unknown", REASON_RESUMED, "Deployment is resumed", now)
        )


def _finish(status: Obj) -> Obj:
    """Drop zero counters as the API's omitempty JSON does."""
    for key in (
        "observedGeneration",
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
    ):
        if not status.get(key):
            status.pop(key, None)
    if not status.get("conditions"):
        status.pop("conditions", None)
    return status


def new_replica_set(d: Obj, replicas: int, revision: int) -> Obj:
    """The ReplicaSet a Deployment creates for its current template."""
    spec = d.get("spec") or {}
    pth = template_hash(d)
    template = m.deep_copy(spec.get("template") or {})
    tmeta = template.setdefault("metadata", {})
    tmeta["labels"] = {**(tmeta.get("labels") or {}), HASH_LABEL: pth}
    selector = m.deep_copy(spec.get("selector") or {})
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: pth}
    annotations = {k: v for k, v in m.annotations_of(d).items() if k not in _SKIP_ANNOTATIONS}
    annotations.update(replica_annotations(d))
    annotations[REVISION] = str(revision)
    rs_spec: Obj = {"replicas": replicas, "selector": selector, "template": template}
    if spec.get("minReadySeconds"):
        rs_spec["minReadySeconds"] = spec["minReadySeconds"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{m.name_of(d)}-{pth}",
            "namespace": m.ns_of(d),
            "labels": dict(tmeta["labels"]),
            "annotations": annotations,
            "ownerReferences": [m.controller_ref(d)],
        },
        "spec": rs_spec,
    }


def replica_annotations(d: Obj) -> dict[str, str]:
    return {DESIRED_REPLICAS: str(replicas_of(d)), MAX_REPLICAS: str(replicas_of(d) + max_surge(d))}


# -- the controller -------------------------------------------------------------------------


def sync(ctx: SimContext, namespace: str | None, name: str) -> None:
    cached = ctx.cache.get(DEPLOYMENTS, namespace, name)
    if cached is None or m.is_deleting(cached):
        return
    d = dict(cached)
    now = ctx.now()
    rss = [rs for rs in ctx.cache.owned(m.uid_of(d), REPLICASETS) if not m.is_deleting(rs)]
    new_rs = find_new_rs(d, rss)
    old_rss = [rs for rs in rss if new_rs is None or m.uid_of(rs) != m.uid_of(new_rs)]
    spec = d.get("spec") or {}
    status_conds: list[Obj] = []  # conditions set while finding/creating the new RS
    paused = bool(spec.get("paused"))

    # revision bookkeeping (getAllReplicaSetsAndSyncRevision)
    max_old_rev = max((revision_of(rs) for rs in old_rss), default=0)
    new_revision = max_old_rev + 1
    if new_rs is not None:
        new_rs = _sync_new_rs_annotations(ctx, d, new_rs, new_revision)
        if progress_deadline(d) is not None and m.get_condition(d.get("status") or {}, PROGRESSING) is None:
            status_conds.append(
                condition(
                    PROGRESSING,
                    "True",
                    REASON_FOUND_NEW_RS,
                    f'Found new replica set "{m.name_of(new_rs)}"',
                    now,
                )
            )

    def finish(all_rss: list[Obj], nrs: Obj | None, with_progress: bool) -> None:
        work = {**d, "status": m.deep_copy(d.get("status") or {})}
        wstatus = work["status"]
        for c in status_conds:
            m.set_condition(wstatus, c)
        paused_condition(work, wstatus, now)
        if with_progress and not paused:
            status = rollout_status(work, all_rss, nrs, now)
        else:
            status = _finish(calculate_status(work, all_rss, nrs, now))
        failure = replica_failure(all_rss, nrs, now)
        if failure is not None:
            m.set_condition(status, failure)
        else:
            m.remove_condition(status, "ReplicaFailure")
            if not status.get("conditions"):
                status.pop("conditions", None)
        _write_status(ctx, d, status, nrs)
        _requeue_for_deadline(ctx, d, status)

    if paused:
        plan = plan_scale(d, new_rs, old_rss)
        current = _apply_plan(ctx, d, rss, plan)
        if new_rs is not None:
            new_rs = next((r for r in current if m.uid_of(r) == m.uid_of(new_rs)), new_rs)
        _cleanup(ctx, d, [r for r in current if new_rs is None or m.uid_of(r) != m.uid_of(new_rs)])
        finish(current, new_rs, with_progress=False)
        return

    if strategy_type(d) == "Recreate":
        active_old = [rs for rs in old_rss if rs_replicas(rs) > 0]
        if active_old:
            current = _apply_plan(ctx, d, rss, {m.name_of(rs): 0 for rs in active_old})
            finish(current, new_rs, with_progress=True)
            return
        if _old_pods_running(ctx, old_rss):
            finish(rss, new_rs, with_progress=True)
            return
        if new_rs is None:
            new_rs = _create_new_rs(ctx, d, old_rss, new_revision, status_conds, now)
            if new_rs is None:
                finish(rss, None, with_progress=False)
                return
            rss = old_rss + [new_rs]
        if rs_replicas(new_rs) != replicas_of(d):
            current = _apply_plan(ctx, d, rss, {m.name_of(new_rs): replicas_of(d)})
            new_rs = next(r for r in current if m.uid_of(r) == m.uid_of(new_rs))
            finish(current, new_rs, with_progress=True)
            return
    else:
        if new_rs is None:
            new_rs = _create_new_rs(ctx, d, old_rss, new_revision, status_conds, now)
            if new_rs is not None:
                rss = old_rss + [new_rs]
            finish(rss, new_rs, with_progress=new_rs is not None)
            return
        # scaling event with a single active ReplicaSet: just scale it
        desired = replicas_of(d)
        if rs_replicas(new_rs) > desired:
            current = _apply_plan(ctx, d, rss, {m.name_of(new_rs): desired})
            finish(current, _find(current, new_rs), with_progress=True)
            return
        wanted = new_rs_replicas(d, rss, new_rs)
        if wanted != rs_replicas(new_rs):
            current = _apply_plan(ctx, d, rss, {m.name_of(new_rs): wanted})
            finish(current, _find(current, new_rs), with_progress=True)
            return
        plan = plan_old_scale_down(d, new_rs, old_rss)
        if plan:
            current = _apply_plan(ctx, d, rss, plan)
            finish(current, _find(current, new_rs), with_progress=True)
            return
        # keep replica annotations current on the new RS
        if any(m.annotations_of(new_rs).get(k) != v for k, v in replica_annotations(d).items()):
            current = _apply_plan(ctx, d, rss, {m.name_of(new_rs): rs_replicas(new_rs)}, force=True)
            rss, new_rs = current, _find(current, new_rs)
            old_rss = [rs for rs in rss if m.uid_of(rs) != m.uid_of(new_rs)]

    if deployment_complete(d, d.get("status") or {}):
        _cleanup(ctx, d, old_rss)
    finish(rss, new_rs, with_progress=True)


def _find(rss: list[Obj], rs: Obj) -> Obj:
    return next((r for r in rss if m.uid_of(r) == m.uid_of(rs)), rs)


def _old_pods_running(ctx: SimContext, old_rss: list[Obj]) -> bool:
    for rs in old_rss:
        if rs_status(rs, "replicas") > 0:
            return True
        for pod in ctx.cache.owned(m.uid_of(rs), PODS):
            if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                return True
    return False


def _sync_new_rs_annotations(ctx: SimContext, d: Obj, new_rs: Obj, new_revision: int) -> Obj:
    """Give the new ReplicaSet the latest revision (a rollback re-uses an old ReplicaSet, which
    then gets the next revision number) and the Deployment's minReadySeconds, and mirror the
    revision onto the Deployment's ``deployment.kubernetes.io/revision`` annotation."""
    rs = new_rs
    min_ready = (d.get("spec") or {}).get("minReadySeconds") or 0
    stale_revision = revision_of(rs) < new_revision
    stale_min_ready = ((rs.get("spec") or {}).get("minReadySeconds") or 0) != min_ready
    if stale_revision or stale_min_ready:
        rs = m.deep_copy(rs)
        if stale_revision:
            rs["metadata"].setdefault("annotations", {})[REVISION] = str(new_revision)
        if min_ready:
            rs["spec"]["minReadySeconds"] = min_ready
        else:
            rs["spec"].pop("minReadySeconds", None)
        rs = ctx.update(REPLICASETS, rs)
    _set_deployment_revision(ctx, d, str(revision_of(rs)))
    return rs


def _set_deployment_revision(ctx: SimContext, d: Obj, revision: str) -> None:
    if m.annotations_of(d).get(REVISION) == revision:
        return
    current = ctx.cache.get(DEPLOYMENTS, m.ns_of(d), m.name_of(d)) or d
    annotations = {**m.annotations_of(current), REVISION: revision}
    fresh = {**current, "metadata": {**current["metadata"], "annotations": annotations}}
    updated = ctx.update(DEPLOYMENTS, fresh)
    d["metadata"] = updated["metadata"]


def _create_new_rs(
    ctx: SimContext, d: Obj, old_rss: list[Obj], revision: int, conds: list[Obj], now: float
) -> Obj | None:
    """Create the ReplicaSet for the current template. None when the API server refuses it
    (reported as condition Progressing=False, reason ReplicaSetCreateError, and an Event)."""
    placeholder = new_replica_set(d, 0, revision)
    replicas = new_rs_replicas(d, old_rss, placeholder)
    body = new_replica_set(d, replicas, revision)
    try:
        created = ctx.create(REPLICASETS, body)
    except AlreadyExistsError:
        existing = ctx.cache.get(REPLICASETS, m.ns_of(d), m.name_of(body))
        template = (d.get("spec") or {}).get("template") or {}
        if (
            existing is None
            or not m.owned_by(existing, d)
            or not templates_equal((existing.get("spec") or {}).get("template") or {}, template)
        ):
            # a hash collision: bump collisionCount so the next hash differs, and retry
            status = dict(d.get("status") or {})
            status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
            ctx.update_status(DEPLOYMENTS, m.with_status(d, status))
            raise
        created = existing
    except StoreError as err:
        if err.code not in FAILED_CREATE_CODES:
            raise
        msg = f'Failed to create new replica set "{m.name_of(body)}": {err.message}'
        ctx.event(d, "Deployment", "Warning", REASON_RS_CREATE_ERROR, msg, "deployment-controller")
        if progress_deadline(d) is not None:
            conds.append(condition(PROGRESSING, "False", REASON_RS_CREATE_ERROR, msg, now))
        return None
    else:
        if replicas > 0:
            _scaled_event(ctx, d, m.name_of(created), 0, replicas)
        if progress_deadline(d) is not None:
            msg = f'Created new replica set "{m.name_of(created)}"'
            conds.append(condition(PROGRESSING, "True", REASON_NEW_RS_CREATED, msg, now))
    _set_deployment_revision(ctx, d, str(revision_of(created)))
    return created


def _apply_plan(
    ctx: SimContext, d: Obj, rss: list[Obj], plan: dict[str, int], force: bool = False
) -> list[Obj]:
    """Scale ReplicaSets (updating their desired/max-replicas annotations) and return the list
    with the written versions."""
    out = []
    ann = replica_annotations(d)
    for rs in rss:
        name = m.name_of(rs)
        if name in plan and (plan[name] != rs_replicas(rs) or force):
            body = {
                **rs,
                "spec": {**rs["spec"], "replicas": plan[name]},
                "metadata": {**rs["metadata"], "annotations": {**m.annotations_of(rs), **ann}},
            }
            if plan[name] != rs_replicas(rs):
                _scaled_event(ctx, d, name, rs_replicas(rs), plan[name])
            rs = ctx.update(REPLICASETS, body)
        out.append(rs)
    return out


def _scaled_event(ctx: SimContext, d: Obj, rs_name: str, old: int, new: int) -> None:
    direction = "up" if new > old else "down"
    ctx.event(
        d,
        "Deployment",
        "Normal",
        "ScalingReplicaSet",
        f"Scaled {direction} replica set {rs_name} from {old} to {new}",
        "deployment-controller",
    )


def _cleanup(ctx: SimContext, d: Obj, old_rss: list[Obj]) -> None:
    for name in rs_to_clean_up(d, old_rss):
        ctx.delete(REPLICASETS, m.ns_of(d), name)


def _write_status(ctx: SimContext, d: Obj, status: Obj, new_rs: Obj | None) -> None:
    current = ctx.cache.get(DEPLOYMENTS, m.ns_of(d), m.name_of(d)) or d
    if (current.get("status") or {}) == status:
        return
    body = m.with_status(current, status)
    ctx.update_status(DEPLOYMENTS, body)


def _requeue_for_deadline(ctx: SimContext, d: Obj, status: Obj) -> None:
    """requeueStuckDeployment: look again when the progress deadline would pass."""
    deadline = progress_deadline(d)
    cond = m.get_condition(status, PROGRESSING)
    if deadline is None or cond is None or cond.get("reason") in (REASON_NEW_RS_AVAILABLE, REASON_TIMED_OUT):
        return
    if deployment_complete(d, status) or (d.get("spec") or {}).get("paused"):
        return
    since = m.parse_time(cond.get("lastUpdateTime"))
    if since is not None:
        ctx.requeue_at("deployment", m.ns_of(d), m.name_of(d), since + deadline + 1)
