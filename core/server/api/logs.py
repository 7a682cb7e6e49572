"""``/api/v1/applications/{name}/logs``: container logs of the application's pods, as Argo CD
answers them: newline-delimited JSON, one ``{"result": {"content", "timeStamp", "podName"}}``
per log line, then ``{"result": {"last": true}}``. RBAC: ``logs, get, <project>/<app>``.

Pods are the app's own (from its resource tree): one ``podName``, or every pod below the
resource named by ``kind``/``resourceName`` (a Deployment's pods), or all of the app's pods.
``follow`` is not supported (the answer ends at the current end of the logs).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from kedge.kube.client import KubeError
from kedge.server.api.common import app_instance, cluster_view, load_app, rbac_object
from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.routes import APP_NS, PROJECT, Param, route

MAX_PODS = 20
MAX_TAIL = 100_000


def _pods(
    nodes: list[dict[str, Any]], pod: str, kind: str, name: str, namespace: str
) -> list[dict[str, Any]]:
    by_uid = {n["uid"]: n for n in nodes}
    pods = [n for n in nodes if n.get("kind") == "Pod" and n.get("group", "") == ""]
    if namespace:
        pods = [p for p in pods if p.get("namespace") == namespace]
    if pod:
        return [p for p in pods if p.get("name") == pod]
    if not kind:
        return pods
    out = []
    for p in pods:
        node, depth = p, 0
        while node is not None and depth < 10:
            if node.get("kind") == kind and (not name or node.get("name") == name):
                out.append(p)
                break
            parents = node.get("parentRefs") or []
            node = by_uid.get(parents[0].get("uid")) if parents else None
            depth += 1
    return out


@route(
    "GET",
    "/api/v1/applications/{name}/logs",
    summary="Container logs of the application's pods (newline-delimited JSON)",
    tag="ApplicationService",
    query=(
        Param("podName"),
        Param("container"),
        Param("namespace"),
        Param("kind", description="Logs of the pods below this resource kind (e.g. Deployment)"),
        Param("resourceName"),
        Param("group"),
        Param("tailLines", "integer"),
        Param("sinceSeconds", "integer"),
        Param("filter", description="Only lines containing this text"),
        Param("follow", "boolean", "Not supported: must be false"),
        APP_NS,
        PROJECT,
    ),
    content_type="application/x-ndjson",
)
def logs(req: APIRequest) -> Response:
    app = load_app(req, req.path["name"])
    req.backend.authz.check(req.principal, "logs", "get", rbac_object(app))
    if req.qbool("follow"):
        raise APIError(400, "follow is not supported; poll with sinceSeconds")
    tail = req.qint("tailLines", 0)
    if tail > MAX_TAIL:
        raise APIError(400, f"tailLines: at most {MAX_TAIL}")
    view = cluster_view(req, app)
    nodes = view.cache.tree(app_instance(req, app))
    pods = _pods(nodes, req.q("podName"), req.q("kind"), req.q("resourceName"), req.q("namespace"))
    if req.q("podName") and not pods:
        raise APIError(404, f"pod {req.q('podName')} is not part of application {app['metadata']['name']}")
    text_filter = req.q("filter")
    out: list[bytes] = []
    for p in pods[:MAX_PODS]:
        query = {
            "container": req.q("container") or None,
            "tailLines": tail or None,
            "sinceSeconds": req.qint("sinceSeconds", 0) or None,
            "timestamps": "true",
        }
        path = f"/api/v1/namespaces/{p['namespace']}/pods/{p['name']}/log"
        try:
            resp = view.client.request("GET", path, query, stream=True)
            try:
                body = resp.read().decode("utf-8", errors="replace")
            finally:
                resp.release_conn()
        except KubeError as exc:
            if exc.status in (400, 404):
                raise APIError(400, f"logs of pod {p['name']}: {exc}") from None
            raise
        for line in body.splitlines():
            stamp, _, content = line.partition(" ")
            if not content and "T" not in stamp:
                stamp, content = "", line
            if text_filter and text_filter not in content:
                continue
            out.append(
                orjson.dumps({"result": {"content": content, "timeStamp": stamp, "podName": p["name"]}})
            )
    out.append(orjson.dumps({"result": {"last": True}}))
    return Response(b"\n".join(out) + b"\n", media_type="application/x-ndjson")
