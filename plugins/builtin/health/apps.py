"""Deployment, ReplicaSet, StatefulSet and DaemonSet health (kubectl rollout status logic)."""

from __future__ import annotations

from typing import Any

_EMPTY: dict[str, Any] = {}


def _parts(obj: dict) -> tuple[dict, dict, dict]:
    return obj.get("metadata") or _EMPTY, obj.get("spec") or _EMPTY, obj.get("status") or _EMPTY


def deployment_health(obj: dict) -> dict:
    meta, spec, st = _parts(obj)
    if spec.get("paused"):
        return {"status": "Suspended", "message": "Deployment is paused"}
    if (meta.get("generation") or 0) > (st.get("observedGeneration") or 0):
        return {
            "status": "Progressing",
            "message": "Waiting for rollout to finish: observed deployment generation less then desired generation",
        }
    for cond in st.get("conditions") or ():
        if cond.get("type") == "Progressing":
            if cond.get("reason") == "ProgressDeadlineExceeded":
                return {
                    "status": "Degraded",
                    "message": f'Deployment "{meta.get("name", "")}" exceeded its progress deadline',
                }
            break
    replicas = spec.get("replicas")
    updated = st.get("updatedReplicas") or 0
    if replicas is not None and updated < replicas:
        return {
            "status": "Progressing",
            "message": f"Waiting for rollout to finish: {updated} out of {replicas} new replicas have been updated...",
        }
    total = st.get("replicas") or 0
    if total > updated:
        return {
            "status": "Progressing",
            "message": f"Waiting for rollout to finish: {total - updated} old replicas are pending termination...",
        }
    available = st.get("availableReplicas") or 0
    if available < updated:
        return {
            "status": "Progressing",
            "message": f"Waiting for rollout to finish: {available} of {updated} updated replicas are available...",
        }
    return {"status": "Healthy", "message": ""}


def replicaset_health(obj: dict) -> dict:
    meta, spec, st = _parts(obj)
    if (meta.get("generation") or 0) > (st.get("observedGeneration") or 0):
        return {
            "status": "Progressing",
            "message": "Waiting for rollout to finish: observed replica set generation less then desired generation",
        }
    for cond in st.get("conditions") or ():
        if cond.get("type") == "ReplicaFailure":
            if cond.get("status") == "True":
                return {"status": "Degraded", "message": cond.get("message") or ""}
            break
    replicas = spec.get("replicas")
    available = st.get("availableReplicas") or 0
    if replicas is not None and available < replicas:
        return {
            "status": "Progressing",
            "message": f"Waiting for rollout to finish: {available} out of {replicas} new replicas are available...",
        }
    return {"status": "Healthy", "message": ""}


def statefulset_health(obj: dict) -> dict:
    meta, spec, st = _parts(obj)
    observed = st.get("observedGeneration") or 0
    if observed == 0 or (meta.get("generation") or 0) > observed:
        return {"status": "Progressing", "message": "Waiting for statefulset spec update to be observed..."}
    replicas = spec.get("replicas")
    ready = st.get("readyReplicas") or 0
    if replicas is not None and ready < replicas:
        return {"status": "Progressing", "message": f"Waiting for {replicas - ready} pods to be ready..."}
    updated = st.get("updatedReplicas") or 0
    strategy = spec.get("updateStrategy") or _EMPTY
    stype = strategy.get("type")
    rolling = strategy.get("rollingUpdate")
    if stype == "RollingUpdate" and rolling is not None:
        partition = rolling.get("partition")
        if replicas is not None and partition is not None and updated < replicas - partition:
            return {
                "status": "Progressing",
                "message": f"Waiting for partitioned roll out to finish: {updated} out of "
                f"{replicas - partition} new pods have been updated...",
            }
        return {
            "status": "Healthy",
            "message": f"partitioned roll out complete: {updated} new pods have been updated...",
        }
    if stype == "OnDelete":
        return {"status": "Healthy", "message": f"statefulset has {ready} ready pods ({updated} updated)"}
    update_rev = st.get("updateRevision") or ""
    current_rev = st.get("currentRevision") or ""
    if update_rev != current_rev:
        return {
            "status": "Progressing",
            "message": f"waiting for statefulset rolling update to complete {updated} pods at revision {update_rev}...",
        }
    current = st.get("currentReplicas") or 0
    return {
        "status": "Healthy",
        "message": f"statefulset rolling update complete {current} pods at revision {current_rev}...",
    }


def daemonset_health(obj: dict) -> dict:
    meta, spec, st = _parts(obj)
    if (meta.get("generation") or 0) > (st.get("observedGeneration") or 0):
        return {
            "status": "Progressing",
            "message": "Waiting for rollout to finish: observed daemon set generation less then desired generation",
        }
    updated = st.get("updatedNumberScheduled") or 0
    desired = st.get("desiredNumberScheduled") or 0
    if (spec.get("updateStrategy") or _EMPTY).get("type") == "OnDelete":
        return {
            "status": "Healthy",
            "message": f"daemon set {updated} out of {desired} new pods have been updated",
        }
    name = meta.get("name", "")
    if updated < desired:
        return {
            "status": "Progressing",
            "message": f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} '
            "new pods have been updated...",
        }
    available = st.get("numberAvailable") or 0
    if available < desired:
        return {
            "status": "Progressing",
            "message": f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} '
            "updated pods are available...",
        }
    return {"status": "Healthy", "message": ""}
