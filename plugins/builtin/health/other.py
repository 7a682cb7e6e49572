"""Ingress, Job, HorizontalPodAutoscaler, APIService, Argo CD Application and Argo Workflow health."""

from __future__ import annotations

import json
from typing import Any

from kedge.errors import KedgeError

_EMPTY: dict[str, Any] = {}


def ingress_health(obj: dict) -> dict:
    lb = (((obj.get("status") or _EMPTY).get("loadBalancer")) or _EMPTY).get("ingress")
    return {"status": "Healthy" if lb else "Progressing", "message": ""}


def job_health(obj: dict) -> dict:
    failed = complete = suspended = False
    fail_msg = message = ""
    for cond in (obj.get("status") or _EMPTY).get("conditions") or ():
        ctype = cond.get("type")
        if ctype == "Failed":
            failed = complete = True
            fail_msg = cond.get("message") or ""
        elif ctype == "Complete":
            complete = True
            message = cond.get("message") or ""
        elif ctype == "Suspended":
            complete = True
            message = cond.get("message") or ""
            if cond.get("status") == "True":
                suspended = True
    if not complete:
        return {"status": "Progressing", "message": message}
    if failed:
        return {"status": "Degraded", "message": fail_msg}
    if suspended:
        return {"status": "Suspended", "message": message}
    return {"status": "Healthy", "message": message}


_HPA_WAITING = {"status": "Progressing", "message": "Waiting to Autoscale"}
_HPA_DEGRADED = {
    ("AbleToScale", "FailedGetScale"),
    ("AbleToScale", "FailedUpdateScale"),
    ("ScalingActive", "FailedGetResourceMetric"),
    ("ScalingActive", "InvalidSelector"),
}
_HPA_HEALTHY_TYPES = ("AbleToScale", "ScalingLimited")


def hpa_health(obj: dict) -> dict:
    api_version = obj.get("apiVersion") or ""
    if api_version == "autoscaling/v1":
        raw = ((obj.get("metadata") or _EMPTY).get("annotations") or _EMPTY).get(
            "autoscaling.alpha.kubernetes.io/conditions"
        )
        if raw is None:
            return dict(_HPA_WAITING)
        try:
            conditions = json.loads(raw)
        except ValueError as exc:
            raise KedgeError(f"failed to convert conditions annotation to typed: {exc}") from None
        if not conditions:
            return dict(_HPA_WAITING)
    else:
        conditions = (obj.get("status") or _EMPTY).get("conditions") or []
    healthy: list[str] = []
    for cond in conditions:
        ctype = cond.get("type")
        if (ctype, cond.get("reason")) in _HPA_DEGRADED:
            return {"status": "Degraded", "message": cond.get("message") or ""}
        if ctype in _HPA_HEALTHY_TYPES and cond.get("status") == "True":
            healthy.append(cond.get("message") or "")
    if len(healthy) == len(conditions):
        return {"status": "Healthy", "message": ",".join(healthy)}
    return dict(_HPA_WAITING)


def apiservice_health(obj: dict) -> dict:
    for cond in (obj.get("status") or _EMPTY).get("conditions") or ():
        if cond.get("type") == "Available":
            msg = f"{cond.get('reason') or ''}: {cond.get('message') or ''}"
            return {"status": "Healthy" if cond.get("status") == "True" else "Progressing", "message": msg}
    return {"status": "Progressing", "message": "Waiting to be processed"}


def application_health(obj: dict) -> dict:
    """A child Application's own ``status.health`` (what Argo CD's documented app-of-apps check returns)."""
    health = (obj.get("status") or _EMPTY).get("health") or _EMPTY
    if not health.get("status"):
        return {"status": "Progressing", "message": "Waiting for application to be reconciled"}
    return {"status": health["status"], "message": health.get("message") or ""}


_WORKFLOW = {
    "": "Progressing",
    "Pending": "Progressing",
    "Running": "Progressing",
    "Succeeded": "Healthy",
    "Failed": "Degraded",
    "Error": "Degraded",
}


def workflow_health(obj: dict) -> dict:
    st = obj.get("status") or _EMPTY
    return {"status": _WORKFLOW.get(st.get("phase") or "", "Unknown"), "message": st.get("message") or ""}
