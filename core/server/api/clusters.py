"""``/api/v1/clusters``: destination clusters (Secrets labelled
``argocd.argoproj.io/secret-type: cluster``; the management cluster is ``in-cluster``,
``https://kubernetes.default.svc``). Bearer tokens, passwords and client keys are never returned."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from kedge.kube.client import KubeError
from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.routes import Param, route
from kedge.settings.objects import SECRET_TYPE_LABEL

TAG = "ClusterService"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"
ID_QUERY = (
    Param(
        "id.type",
        enum=("server", "name", "name_escaped"),
        description="What the path value is (default server)",
    ),
)


def _rbac_obj(c: Any) -> str:
    return f"{c.project}/{c.server}" if c.project else c.server


def _public_config(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tls = config.get("tlsClientConfig") or {}
    safe_tls = {k: tls[k] for k in ("insecure", "serverName", "caData", "certData") if k in tls}
    if safe_tls:
        out["tlsClientConfig"] = safe_tls
    if config.get("username"):
        out["username"] = config["username"]
    if isinstance(config.get("awsAuthConfig"), dict):
        out["awsAuthConfig"] = {
            k: v for k, v in config["awsAuthConfig"].items() if k in ("clusterName", "roleARN", "profile")
        }
    return out


def _public(c: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "server": c.server,
        "name": c.name or c.server,
        "config": _public_config(c.config),
        "connectionState": {"status": "Unknown", "message": ""},
    }
    if c.namespaces:
        out["namespaces"] = list(c.namespaces)
    if c.cluster_resources:
        out["clusterResources"] = True
    if c.project:
        out["project"] = c.project
    if c.shard is not None:
        out["shard"] = c.shard
    if c.labels:
        out["labels"] = {k: v for k, v in c.labels.items() if k != SECRET_TYPE_LABEL}
    if c.annotations:
        out["annotations"] = dict(c.annotations)
    return out


def _clusters(req: APIRequest) -> list[Any]:
    from kedge.settings.repos import Cluster

    s = req.backend.settings.current
    items = list(s.clusters())
    if s.in_cluster_enabled and not any(c.server.rstrip("/") == IN_CLUSTER_SERVER for c in items):
        items.insert(0, Cluster(server=IN_CLUSTER_SERVER, name=IN_CLUSTER_NAME))
    return items


def _find(req: APIRequest, value: str) -> Any:
    kind = req.q("id.type") or "server"
    for c in _clusters(req):
        if kind == "server" and c.server.rstrip("/") == value.rstrip("/"):
            return c
        if kind in ("name", "name_escaped") and (c.name or c.server) == value.replace("%2F", "/"):
            return c
    req.backend.authz.check(req.principal, "clusters", "get", value)
    raise APIError(404, f"cluster {value!r} not found")


@route(
    "GET",
    "/api/v1/clusters",
    summary="List clusters (credentials never included)",
    tag=TAG,
    query=(Param("server"), Param("name")),
    response="ClusterList",
)
def list_clusters(req: APIRequest) -> dict[str, Any]:
    out = []
    for c in _clusters(req):
        if req.q("server") and c.server.rstrip("/") != req.q("server").rstrip("/"):
            continue
        if req.q("name") and (c.name or c.server) != req.q("name"):
            continue
        if req.backend.authz.allowed(req.principal, "clusters", "get", _rbac_obj(c)):
            out.append(_public(c))
    return {"metadata": {}, "items": out}


@route(
    "GET",
    "/api/v1/clusters/{id}",
    summary="Get a cluster by server URL (URL-encoded) or ?id.type=name",
    tag=TAG,
    path_types={"id": "path"},
    query=ID_QUERY,
    response="Cluster",
)
def get_cluster(req: APIRequest) -> dict[str, Any]:
    c = _find(req, req.path["id"])
    req.backend.authz.check(req.principal, "clusters", "get", _rbac_obj(c))
    return _public(c)


def _secret_doc(req: APIRequest, body: dict[str, Any], name: str) -> dict[str, Any]:
    data: dict[str, str] = {"server": body["server"], "name": body.get("name") or body["server"]}
    data["config"] = json.dumps(body.get("config") or {"tlsClientConfig": {"insecure": False}})
    if body.get("namespaces"):
        data["namespaces"] = ",".join(body["namespaces"])
    if body.get("clusterResources"):
        data["clusterResources"] = "true"
    if body.get("project"):
        data["project"] = body["project"]
    if body.get("shard") not in (None, ""):
        data["shard"] = str(int(body["shard"]))
    labels = {**(body.get("labels") or {}), SECRET_TYPE_LABEL: "cluster"}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "namespace": req.backend.namespace,
            "labels": labels,
            "annotations": body.get("annotations") or {},
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def _save(req: APIRequest, existing: Any, upsert: bool) -> dict[str, Any]:
    from kedge.settings.objects import config_object
    from kedge.settings.repos import cluster_from

    b = req.backend
    body = req.body
    server = str(body.get("server") or "").strip()
    if not server.startswith(("https://", "http://")):
        raise APIError(400, f"server: expected an https:// URL, got {server!r}")
    if server.rstrip("/") == IN_CLUSTER_SERVER and not existing:
        existing = None
    project = body.get("project") or ""
    obj = f"{project}/{server}" if project else server
    if existing is not None:
        if not upsert:
            raise APIError(400, "existing cluster spec is different; use upsert flag to force update")
        b.authz.check(req.principal, "clusters", "update", _rbac_obj(existing))
        b.authz.check(req.principal, "clusters", "update", obj)
        if existing.secret and body.get("config") is None:
            body = {**body, "config": existing.config}
    else:
        b.authz.check(req.principal, "clusters", "create", obj)
    name = (existing.secret if existing is not None and existing.secret else None) or (
        "cluster-" + hashlib.sha256(server.rstrip("/").encode()).hexdigest()[:10]
    )
    try:
        doc = _secret_doc(req, {**body, "server": server}, name)
    except (TypeError, ValueError) as exc:
        raise APIError(400, f"invalid cluster: {exc}") from None
    cluster, problems = cluster_from(config_object(doc)[0])
    if problems or cluster is None:
        raise APIError(400, "; ".join(problems) or "invalid cluster")
    res = b.resource("Secret", "v1")
    current = b.client.get(res, b.namespace, name)
    if current is None:
        b.client.create(doc, field_manager="kedge-server")
    else:
        doc["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        b.client.replace(doc, field_manager="kedge-server")
    b.refresh_settings()
    return _public(cluster)


@route(
    "POST",
    "/api/v1/clusters",
    summary="Add a cluster",
    tag=TAG,
    query=(Param("upsert", "boolean"),),
    body="Cluster",
    response="Cluster",
)
def create_cluster(req: APIRequest) -> dict[str, Any]:
    server = str(req.body.get("server") or "")
    existing = next(
        (c for c in req.backend.settings.current.clusters() if c.server.rstrip("/") == server.rstrip("/")),
        None,
    )
    return _save(req, existing, req.qbool("upsert"))


@route(
    "PUT",
    "/api/v1/clusters/{id}",
    summary="Update a cluster",
    tag=TAG,
    path_types={"id": "path"},
    query=ID_QUERY,
    body="Cluster",
    response="Cluster",
)
def update_cluster(req: APIRequest) -> dict[str, Any]:
    c = _find(req, req.path["id"])
    if str(req.body.get("server") or "").rstrip("/") != c.server.rstrip("/"):
        raise APIError(400, "server does not match the cluster in the path")
    return _save(req, c if c.secret else None, True)


@route(
    "DELETE",
    "/api/v1/clusters/{id}",
    summary="Remove a cluster",
    tag=TAG,
    path_types={"id": "path"},
    query=ID_QUERY,
    response="Empty",
)
def delete_cluster(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    c = _find(req, req.path["id"])
    b.authz.check(req.principal, "clusters", "delete", _rbac_obj(c))
    if not c.secret:
        raise APIError(
            400,
            'the in-cluster destination is built in; set cluster.inClusterEnabled: "false" in argocd-cm to disable it',
        )
    try:
        b.client.delete(b.resource("Secret", "v1"), b.namespace, c.secret)
    except KubeError as exc:
        if not exc.not_found:
            raise
    b.refresh_settings()
    return {}
