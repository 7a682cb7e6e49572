"""Prometheus metrics with Argo CD's names, prefixed ``kedge_`` instead of ``argocd_``:

* ``kedge_app_info{name, namespace, project, repo, dest_server, dest_namespace, sync_status,
  health_status, operation}`` (gauge, 1 per application, computed at scrape time);
* ``kedge_app_sync_total{name, namespace, project, dest_server, phase}`` (counter: finished
  sync operations, seen as ``status.operationState`` reaching a final phase);
* ``kedge_app_reconcile{namespace, dest_server}`` (histogram of reconcile durations, seconds);
* ``kedge_app_k8s_request_total`` is not exported (the client has no per-request hook yet).
"""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

FINAL_PHASES = ("Succeeded", "Failed", "Error")
RECONCILE_BUCKETS = (0.25, 0.5, 1, 2, 4, 8, 16)


class _AppInfo:
    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def collect(self):
        fam = GaugeMetricFamily(
            "kedge_app_info",
            "Information about application.",
            labels=[
                "name",
                "namespace",
                "project",
                "repo",
                "dest_server",
                "dest_namespace",
                "sync_status",
                "health_status",
                "operation",
            ],
        )
        for app in self.backend.controller.apps.list():
            meta, spec, status = app.get("metadata") or {}, app.get("spec") or {}, app.get("status") or {}
            src = spec.get("source") or (spec.get("sources") or [{}])[0]
            dest = spec.get("destination") or {}
            op = app.get("operation") or {}
            fam.add_metric(
                [
                    meta.get("name", ""),
                    meta.get("namespace", ""),
                    spec.get("project") or "default",
                    str(src.get("repoURL", "")),
                    dest.get("server") or dest.get("name") or "",
                    dest.get("namespace", ""),
                    (status.get("sync") or {}).get("status", "Unknown"),
                    (status.get("health") or {}).get("status", "Unknown"),
                    "sync" if op.get("sync") is not None else "",
                ],
                1.0,
            )
        yield fam


class AppMetrics:
    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.registry = CollectorRegistry()
        self.sync_total = Counter(
            "kedge_app_sync_total",
            "Number of application syncs.",
            ["name", "namespace", "project", "dest_server", "phase"],
            registry=self.registry,
        )
        self.reconcile = Histogram(
            "kedge_app_reconcile",
            "Application reconciliation performance in seconds.",
            ["namespace", "dest_server"],
            buckets=RECONCILE_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_AppInfo(backend))
        self._lock = threading.Lock()
        backend.controller.apps.add_handler(self._on_app)

    def _on_app(self, etype: str, new: dict[str, Any] | None, old: dict[str, Any] | None) -> None:
        if new is None:
            return
        meta, spec = new.get("metadata") or {}, new.get("spec") or {}
        dest = spec.get("destination") or {}
        server = dest.get("server") or dest.get("name") or ""
        status, old_status = new.get("status") or {}, (old or {}).get("status") or {}
        op, old_op = status.get("operationState") or {}, old_status.get("operationState") or {}
        if op.get("phase") in FINAL_PHASES and (op.get("finishedAt"), op.get("phase")) != (
            old_op.get("finishedAt"),
            old_op.get("phase"),
        ):
            if op.get("operation", {}).get("sync") is not None or "syncResult" in op:
                self.sync_total.labels(
                    meta.get("name", ""),
                    meta.get("namespace", ""),
                    spec.get("project") or "default",
                    server,
                    op["phase"],
                ).inc()
        if status.get("reconciledAt") and status.get("reconciledAt") != old_status.get("reconciledAt"):
            state = self.backend.controller.states.get(meta.get("name", ""))
            if state is not None and state.duration:
                self.reconcile.labels(meta.get("namespace", ""), server).observe(state.duration)
