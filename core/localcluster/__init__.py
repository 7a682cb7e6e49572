"""Kedge's embedded Kubernetes cluster: an API server speaking the real REST protocol, backed by
SQLite, plus a workload simulator standing in for kube-controller-manager and kubelets.

``from kedge.localcluster import LocalCluster`` (imported lazily) starts one in-process; see
docs/localcluster.md. Modules: ``cluster`` (LocalCluster, kubeconfig), ``server`` (the ASGI API),
``store`` (objects, resourceVersions, SQLite), ``watch``, ``garbage`` (garbage collector),
``registry`` (served resources), ``discovery``, ``openapi``, ``tables``, ``selectors``,
``validation``, ``immutable``, ``protobuf`` (kubectl's protobuf bodies), ``tls``, ``contract``
(the interface the simulator uses), ``patching`` and ``defaults`` (patches, server-side apply,
defaulting), ``simulator``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LocalCluster"]


def __getattr__(name: str) -> Any:
    if name == "LocalCluster":
        from kedge.localcluster.cluster import LocalCluster

        return LocalCluster
    raise AttributeError(name)
