"""Pod, Service and PersistentVolumeClaim health (core group)."""

from __future__ import annotations

from typing import Any

_EMPTY: dict[str, Any] = {}
IGNORE_RESTART_POLICY = "argocd.argoproj.io/ignore-restart-policy"


def _container_fail_message(ctr: dict) -> str:
    term = (ctr.get("state") or _EMPTY).get("terminated")
    if term:
        if term.get("message"):
            return term["message"]
        if term.get("reason") == "OOMKilled":
            return "OOMKilled"
        code = term.get("exitCode") or 0
        if code != 0:
            return f'container "{ctr.get("name", "")}" failed with exit code {code}'
    return ""


def _pod_ready(st: dict) -> bool:
    for cond in st.get("conditions") or ():
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def pod_health(obj: dict) -> dict:
    spec = obj.get("spec") or _EMPTY
    st = obj.get("status") or _EMPTY
    restart_policy = spec.get("restartPolicy") or "Always"  # the API server's default
    message = st.get("message") or ""
    if restart_policy == "Always":
        # A crash-looping or unpullable container is Degraded; not for OnFailure/Never pods,
        # which are usually hooks that must not fail early.
        messages = []
        for ctr in st.get("containerStatuses") or ():
            waiting = (ctr.get("state") or _EMPTY).get("waiting")
            if waiting:
                reason = waiting.get("reason") or ""
                if reason.startswith("Err") or reason.endswith("Error") or reason.endswith("BackOff"):
                    messages.append(waiting.get("message") or "")
        if messages:
            return {"status": "Degraded", "message": ", ".join(messages)}
    phase = st.get("phase")
    if phase == "Pending":
        return {"status": "Progressing", "message": message}
    if phase == "Succeeded":
        return {"status": "Healthy", "message": message}
    if phase == "Failed":
        if message:
            return {"status": "Degraded", "message": message}
        for ctr in [*(st.get("initContainerStatuses") or ()), *(st.get("containerStatuses") or ())]:
            msg = _container_fail_message(ctr)
            if msg:
                return {"status": "Degraded", "message": msg}
        return {"status": "Degraded", "message": ""}
    if phase == "Running":
        annotations = (obj.get("metadata") or _EMPTY).get("annotations") or _EMPTY
        if IGNORE_RESTART_POLICY in annotations or restart_policy == "Always":
            if _pod_ready(st):
                return {"status": "Healthy", "message": message}
            for ctr in st.get("containerStatuses") or ():
                if (ctr.get("lastState") or _EMPTY).get("terminated"):
                    return {"status": "Degraded", "message": message}
            return {"status": "Progressing", "message": message}
        if restart_policy in ("OnFailure", "Never"):
            # pods with a finite life are usually hooks: Progressing until they finish
            return {"status": "Progressing", "message": message}
    return {"status": "Unknown", "message": message}


def service_health(obj: dict) -> dict:
    spec = obj.get("spec") or _EMPTY
    if spec.get("type") == "LoadBalancer":
        lb = ((obj.get("status") or _EMPTY).get("loadBalancer") or _EMPTY).get("ingress")
        return {"status": "Healthy" if lb else "Progressing", "message": ""}
    return {"status": "Healthy", "message": ""}


_PVC = {"Lost": "Degraded", "Pending": "Progressing", "Bound": "Healthy"}


def pvc_health(obj: dict) -> dict:
    phase = (obj.get("status") or _EMPTY).get("phase")
    return {"status": _PVC.get(phase, "Unknown"), "message": ""}
