"""Kedge's built-in health checks, in Python, with Argo CD's semantics and messages.

They are registered through the ``kedge_health_checks`` hook like any plugin's, and sit last in
the lookup order of :func:`kedge.health.assess` (after argocd-cm overrides, third-party health
plugins and the Lua library), exactly where gitops-engine's built-in checks sit in Argo CD.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kedge.builtin.health import apps, core, other
from kedge.hookspecs import hookimpl


@dataclass(frozen=True)
class HealthCheck:
    """A health check provider: ``name`` is ``group/Kind`` (core kinds: ``/Pod``)."""

    name: str
    assess: Callable[[dict], dict | None]


CHECKS: dict[str, Callable[[dict], Any]] = {
    "/Pod": core.pod_health,
    "/Service": core.service_health,
    "/PersistentVolumeClaim": core.pvc_health,
    "apps/Deployment": apps.deployment_health,
    "apps/ReplicaSet": apps.replicaset_health,
    "apps/StatefulSet": apps.statefulset_health,
    "apps/DaemonSet": apps.daemonset_health,
    "extensions/Ingress": other.ingress_health,
    "networking.k8s.io/Ingress": other.ingress_health,
    "batch/Job": other.job_health,
    "autoscaling/HorizontalPodAutoscaler": other.hpa_health,
    "apiregistration.k8s.io/APIService": other.apiservice_health,
    "argoproj.io/Application": other.application_health,
    "argoproj.io/Workflow": other.workflow_health,
}


@hookimpl
def kedge_health_checks() -> Iterable[HealthCheck]:
    return [HealthCheck(name, fn) for name, fn in CHECKS.items()]
