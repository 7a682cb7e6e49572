"""The StatefulSet controller: pods ``<sts>-0`` .. ``<sts>-N-1`` with stable identity,
PersistentVolumeClaims from ``volumeClaimTemplates`` (``<template>-<sts>-<ordinal>``),
OrderedReady (one at a time, in order) or Parallel pod management, RollingUpdate (highest
ordinal first, honouring ``partition``) or OnDelete, ControllerRevisions when served, and
``status`` with currentRevision/updateRevision."""

from __future__ import annotations

import re
from typing import Any

from kedge.localcluster.contract import AlreadyExistsError
from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator.context import SimContext
from kedge.localcluster.simulator.resources import CONTROLLERREVISIONS, PODS, PVCS, STATEFULSETS

Obj = dict[str, Any]

REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def ordinal_of(sts_name: str, pod: Obj) -> int | None:
    match = re.fullmatch(re.escape(sts_name) + r"-(\d+)", m.name_of(pod))
    return int(match.group(1)) if match else None


def update_revision(sts: Obj) -> str:
    template = (sts.get("spec") or {}).get("template") or {}
    return f"{m.name_of(sts)}-{m.compute_hash(template, (sts.get('status') or {}).get('collisionCount'))}"


def claim_name(template: Obj, sts: Obj, ordinal: int) -> str:
    return f"{m.name_of(template)}-{m.name_of(sts)}-{ordinal}"


def claims_for(sts: Obj, ordinal: int) -> list[Obj]:
    """The PersistentVolumeClaims pod ``ordinal`` needs."""
    spec = sts.get("spec") or {}
    selector_labels = (spec.get("selector") or {}).get("matchLabels") or {}
    retention = spec.get("persistentVolumeClaimRetentionPolicy") or {}
    out = []
    for template in spec.get("volumeClaimTemplates") or []:
        tmeta = template.get("metadata") or {}
        md: Obj = {
            "name": claim_name(template, sts, ordinal),
            "namespace": m.ns_of(sts),
            "labels": {**(tmeta.get("labels") or {}), **selector_labels},
        }
        if tmeta.get("annotations"):
            md["annotations"] = dict(tmeta["annotations"])
        if retention.get("whenDeleted") == "Delete":
            md["ownerReferences"] = [m.controller_ref(sts)]
        out.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": md,
                "spec": m.deep_copy(template.get("spec") or {}),
            }
        )
    return out


def pod_for(sts: Obj, ordinal: int, revision: str) -> Obj:
    spec = sts.get("spec") or {}
    template = spec.get("template") or {}
    tmeta = template.get("metadata") or {}
    name = f"{m.name_of(sts)}-{ordinal}"
    labels = {
        **(tmeta.get("labels") or {}),
        REVISION_LABEL: revision,
        POD_NAME_LABEL: name,
        POD_INDEX_LABEL: str(ordinal),
    }
    pod_spec = m.deep_copy(template.get("spec") or {})
    pod_spec["hostname"] = name
    if spec.get("serviceName"):
        pod_spec["subdomain"] = spec["serviceName"]
    volumes = [
        v
        for v in pod_spec.get("volumes") or []
        if v.get("name") not in {m.name_of(t) for t in spec.get("volumeClaimTemplates") or []}
    ]
    for t in spec.get("volumeClaimTemplates") or []:
        volumes.append(
            {"name": m.name_of(t), "persistentVolumeClaim": {"claimName": claim_name(t, sts, ordinal)}}
        )
    if volumes:
        pod_spec["volumes"] = volumes
    md: Obj = {
        "name": name,
        "namespace": m.ns_of(sts),
        "labels": labels,
        "ownerReferences": [m.controller_ref(sts)],
    }
    if tmeta.get("annotations"):
        md["annotations"] = dict(tmeta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": pod_spec}


def statefulset_status(sts: Obj, pods: list[Obj], current_rev: str, update_rev: str, now: float) -> Obj:
    min_ready = int((sts.get("spec") or {}).get("minReadySeconds") or 0)
    replicas = len(pods)
    ready = sum(1 for p in pods if m.pod_is_ready(p))
    available = sum(1 for p in pods if m.pod_available(p, min_ready, now))
    updated = sum(1 for p in pods if m.labels_of(p).get(REVISION_LABEL) == update_rev)
    current = sum(1 for p in pods if m.labels_of(p).get(REVISION_LABEL) == current_rev)
    desired = int(
        (sts.get("spec") or {}).get("replicas", 1)
        if (sts.get("spec") or {}).get("replicas") is not None
        else 1
    )
    if updated == desired and replicas == desired and ready == desired:
        current_rev, current = update_rev, updated
    status: Obj = {
        "observedGeneration": int(sts.get("metadata", {}).get("generation") or 0),
        "replicas": replicas,
        "readyReplicas": ready,
        "currentReplicas": current,
        "updatedReplicas": updated,
        "currentRevision": current_rev,
        "updateRevision": update_rev,
        "collisionCount": int((sts.get("status") or {}).get("collisionCount") or 0),
        "availableReplicas": available,
    }
    for key in ("observedGeneration", "readyReplicas", "currentReplicas", "updatedReplicas"):
        if not status[key]:
            status.pop(key)
    return status


def _ensure_revision(ctx: SimContext, sts: Obj, revision: str) -> None:
    if (
        not ctx.served(CONTROLLERREVISIONS)
        or ctx.cache.get(CONTROLLERREVISIONS, m.ns_of(sts), revision) is not None
    ):
        return
    existing = [int(r.get("revision") or 0) for r in ctx.cache.owned(m.uid_of(sts), CONTROLLERREVISIONS)]
    body = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": revision,
            "namespace": m.ns_of(sts),
            "labels": {
                **((sts.get("spec") or {}).get("selector") or {}).get("matchLabels", {}),
                "controller.kubernetes.io/hash": revision.rsplit("-", 1)[-1],
            },
            "ownerReferences": [m.controller_ref(sts)],
        },
        "data": {
            "spec": {
                "template": {
                    **m.deep_copy((sts.get("spec") or {}).get("template") or {}),
                    "$patch": "replace",
                }
            }
        },
        "revision": max(existing, default=0) + 1,
    }
    try:
        ctx.create(CONTROLLERREVISIONS, body)
    except AlreadyExistsError:
        pass


def sync(ctx: SimContext, namespace: str | None, name: str) -> None:
    sts = ctx.cache.get(STATEFULSETS, namespace, name)
    if sts is None or m.is_deleting(sts):
        return
    now = ctx.now()
    spec = sts.get("spec") or {}
    desired = 1 if spec.get("replicas") is None else int(spec["replicas"])
    parallel = spec.get("podManagementPolicy") == "Parallel"
    strategy = spec.get("updateStrategy") or {}
    partition = int(((strategy.get("rollingUpdate") or {}).get("partition")) or 0)
    update_rev = update_revision(sts)
    current_rev = (sts.get("status") or {}).get("currentRevision") or update_rev
    _ensure_revision(ctx, sts, update_rev)

    pods: dict[int, Obj] = {}
    for pod in ctx.cache.owned(m.uid_of(sts), PODS):
        ordinal = ordinal_of(name, pod)
        if ordinal is not None:
            pods[ordinal] = pod

    def healthy(pod: Obj) -> bool:
        return m.pod_is_ready(pod) and not m.is_deleting(pod)

    # replace failed pods
    for ordinal, pod in list(pods.items()):
        if (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded") and not m.is_deleting(pod):
            ctx.delete(PODS, namespace, m.name_of(pod))
            pods.pop(ordinal)

    blocked = False
    for ordinal in range(desired):
        for claim in claims_for(sts, ordinal):
            if ctx.cache.get(PVCS, namespace, m.name_of(claim)) is None:
                try:
                    ctx.create(PVCS, claim)
                    ctx.event(
                        sts,
                        "StatefulSet",
                        "Normal",
                        "SuccessfulCreate",
                        f"create Claim {m.name_of(claim)} Pod {name}-{ordinal} in StatefulSet {name} success",
                        "statefulset-controller",
                    )
                except AlreadyExistsError:
                    pass
        pod = pods.get(ordinal)
        if pod is None:
            if blocked:
                break
            revision = current_rev if ordinal < partition else update_rev
            body = pod_for(sts, ordinal, revision)
            node = ctx.pick_node(body)
            if node:
                body["spec"]["nodeName"] = node
            try:
                pods[ordinal] = ctx.create(PODS, body)
            except AlreadyExistsError:
                break  # the previous incarnation is still going away
            pod_name = m.name_of(body)
            ctx.event(
                sts,
                "StatefulSet",
                "Normal",
                "SuccessfulCreate",
                f"create Pod {pod_name} in StatefulSet {name} successful",
                "statefulset-controller",
            )
            if not parallel:
                blocked = True
                break
        elif not parallel and not healthy(pod):
            blocked = True
            break

    # scale down: highest ordinal first
    extra = sorted((o for o in pods if o >= desired), reverse=True)
    if extra and (parallel or all(healthy(pods[o]) for o in pods if o < desired)):
        when_scaled = (spec.get("persistentVolumeClaimRetentionPolicy") or {}).get("whenScaled")
        for ordinal in extra if parallel else extra[:1]:
            ctx.delete(PODS, namespace, m.name_of(pods[ordinal]))
            pods.pop(ordinal)
            if when_scaled == "Delete":
                for claim in claims_for(sts, ordinal):
                    if ctx.cache.get(PVCS, namespace, m.name_of(claim)) is not None:
                        ctx.delete(PVCS, namespace, m.name_of(claim))

    # rolling update: highest ordinal at or above the partition first, one at a time
    if (
        not blocked
        and strategy.get("type", "RollingUpdate") == "RollingUpdate"
        and len([o for o in pods if o < desired]) == desired
        and all(healthy(p) for p in pods.values())
    ):
        for ordinal in sorted((o for o in pods if partition <= o < desired), reverse=True):
            if m.labels_of(pods[ordinal]).get(REVISION_LABEL) != update_rev:
                ctx.delete(PODS, namespace, m.name_of(pods[ordinal]))
                pods.pop(ordinal)
                break

    status = statefulset_status(
        sts, [p for p in pods.values() if not m.is_deleting(p)], current_rev, update_rev, now
    )
    current = ctx.cache.get(STATEFULSETS, namespace, name) or sts
    if (current.get("status") or {}) != status:
        body = m.with_status(current, status)
        ctx.update_status(STATEFULSETS, body)
