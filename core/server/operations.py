"""Writing operations on Applications as Argo CD's API server does: the ``operation`` field
(``sync``, ``initiatedBy``, ``info``, ``retry``), which the controller then runs.

Used when :mod:`kedge.controller.operations` (the sync engine's own request functions) is not
available; the field layout is Argo CD's, so either side understands the other.
"""

from __future__ import annotations

from typing import Any

from kedge.kube.client import MERGE_PATCH, KubeClient, KubeError
from kedge.server.errors import APIError

API_VERSION = "argoproj.io/v1alpha1"


def _app_res(client: KubeClient):
    res = client.resource_for(API_VERSION, "Application")
    if res is None:
        raise APIError(503, "the cluster does not serve Applications; are Kedge's CRDs installed?")
    return res


def request_sync(
    client: KubeClient,
    namespace: str,
    name: str,
    *,
    revision: str = "",
    prune: bool = False,
    dry_run: bool = False,
    resources: list[dict[str, Any]] | None = None,
    sync_options: list[str] | None = None,
    strategy: dict[str, Any] | None = None,
    initiated_by: str = "",
    revisions: list[str] | None = None,
    manifests: list[str] | None = None,
    info: list[dict[str, str]] | None = None,
    retry: dict[str, Any] | None = None,
    source: dict[str, Any] | None = None,
    resource_version: str | None = None,
) -> dict[str, Any]:
    """Set ``operation.sync`` on the Application; returns the updated Application.

    ``resource_version`` makes the write conditional (409 if the app changed meanwhile)."""
    sync: dict[str, Any] = {}
    if revision:
        sync["revision"] = revision
    if revisions:
        sync["revisions"] = list(revisions)
    if prune:
        sync["prune"] = True
    if dry_run:
        sync["dryRun"] = True
    if resources:
        sync["resources"] = resources
    if sync_options:
        sync["syncOptions"] = list(sync_options)
    if strategy:
        sync["syncStrategy"] = strategy
    if manifests:
        sync["manifests"] = list(manifests)
    if source:
        sync["source"] = source
    operation: dict[str, Any] = {"sync": sync, "initiatedBy": {"username": initiated_by or "unknown"}}
    if info:
        operation["info"] = info
    if retry:
        operation["retry"] = retry
    patch: dict[str, Any] = {"operation": operation}
    if resource_version:
        patch["metadata"] = {"resourceVersion": resource_version}
    return client.patch(_app_res(client), namespace, name, patch, MERGE_PATCH)


def terminate_operation(client: KubeClient, namespace: str, name: str) -> dict[str, Any]:
    """Ask the controller to stop the running operation (``status.operationState.phase:
    Terminating``), as ``argocd app terminate-op`` does."""
    res = _app_res(client)
    app = client.get(res, namespace, name)
    if app is None:
        raise APIError(404, f'applications.argoproj.io "{name}" not found')
    state = (app.get("status") or {}).get("operationState") or {}
    if not app.get("operation") and state.get("phase") not in ("Running", "Terminating"):
        raise APIError(400, "Unable to terminate operation. No operation is in progress")
    body = {
        "status": {"operationState": {"phase": "Terminating"}},
        "metadata": {"resourceVersion": app["metadata"]["resourceVersion"]},
    }
    try:
        return client.patch(res, namespace, name, body, MERGE_PATCH, subresource="status")
    except KubeError as exc:
        if exc.status != 404:
            raise
        return client.patch(res, namespace, name, body, MERGE_PATCH)
