"""``/api/v1/applications/{name}/resource``: one live resource of an application (get, patch,
delete) and its Lua resource actions (list, run)."""

from __future__ import annotations

import copy
import json
from typing import Any

from kedge.kube.client import JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, KubeError
from kedge.server.api.common import app_instance, cluster_view, load_app, rbac_object
from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.redact import mask_secret
from kedge.server.routes import RESOURCE_QUERY, Param, route

TAG = "ApplicationService"
PATCH_TYPES = {
    "application/json-patch+json": JSON_PATCH,
    "application/merge-patch+json": MERGE_PATCH,
    "application/strategic-merge-patch+json": STRATEGIC_PATCH,
    "json": JSON_PATCH,
    "merge": MERGE_PATCH,
    "strategic": STRATEGIC_PATCH,
}


def _target(
    req: APIRequest, given: dict[str, Any] | None = None
) -> tuple[dict[str, Any], Any, Any, dict[str, str]]:
    """(app, cluster view, API resource, identity) of the resource named by the query (or by
    ``given``, a v2 action request), after checking it belongs to the application."""
    given = given or {}

    def val(key: str, query_key: str) -> str:
        return str(given.get(key) or req.q(query_key) or "")

    ident = {
        "group": val("group", "group"),
        "kind": val("kind", "kind"),
        "namespace": val("namespace", "namespace"),
        "name": val("resourceName", "resourceName"),
        "version": val("version", "version"),
    }
    for k, q in (("kind", "kind"), ("name", "resourceName"), ("version", "version")):
        if not ident[k]:
            raise APIError(400, f"{q} is required to name the resource")
    app = load_app(req, req.path["name"], "get")
    view = cluster_view(req, app)
    nodes = view.cache.tree(app_instance(req, app))
    managed = (app.get("status") or {}).get("resources") or []

    def same(n: dict[str, Any]) -> bool:
        return (
            (n.get("group") or "") == ident["group"]
            and n.get("kind") == ident["kind"]
            and (n.get("namespace") or "") == ident["namespace"]
            and n.get("name") == ident["name"]
        )

    if not any(same(n) for n in nodes) and not any(same(n) for n in managed):
        raise APIError(
            404,
            f"{ident['kind']} {ident['namespace'] + '/' if ident['namespace'] else ''}{ident['name']} "
            f"is not a resource of application {app['metadata']['name']}",
        )
    api_version = f"{ident['group']}/{ident['version']}" if ident["group"] else ident["version"]
    res = view.client.resource_for(api_version, ident["kind"])
    if res is None:
        raise APIError(404, f"the destination cluster does not serve {ident['kind']} in {api_version}")
    return app, view, res, ident


def _live(view: Any, res: Any, ident: dict[str, str]) -> dict[str, Any]:
    obj = view.client.get(res, ident["namespace"] or None, ident["name"])
    if obj is None:
        raise APIError(404, f"{ident['kind']} {ident['name']} not found in the destination cluster")
    obj.setdefault("apiVersion", res.api_version)
    obj.setdefault("kind", ident["kind"])
    return obj


def _manifest(obj: dict[str, Any]) -> dict[str, str]:
    return {"manifest": json.dumps(mask_secret(obj), separators=(",", ":"))}


@route(
    "GET",
    "/api/v1/applications/{name}/resource",
    summary="Get one live resource of the application (Secret values masked)",
    tag=TAG,
    query=RESOURCE_QUERY,
    response="ApplicationResourceResponse",
)
def get_resource(req: APIRequest) -> dict[str, Any]:
    _, view, res, ident = _target(req)
    return _manifest(_live(view, res, ident))


def _sub_action(verb: str, ident: dict[str, str]) -> str:
    return f"{verb}/{ident['group']}/{ident['kind']}/{ident['namespace']}/{ident['name']}"


@route(
    "POST",
    "/api/v1/applications/{name}/resource",
    summary="Patch one live resource (body: the patch as a JSON string; RBAC update/<group>/<Kind>/<ns>/<name>)",
    tag=TAG,
    query=(*RESOURCE_QUERY, Param("patchType", enum=tuple(PATCH_TYPES))),
    body="ResourcePatch",
    response="ApplicationResourceResponse",
)
def patch_resource(req: APIRequest) -> dict[str, Any]:
    app, view, res, ident = _target(req)
    req.backend.authz.check(req.principal, "applications", _sub_action("update", ident), rbac_object(app))
    try:
        patch = json.loads(req.body)
    except ValueError as exc:
        raise APIError(400, f"patch: not valid JSON: {exc}") from None
    ptype = PATCH_TYPES[req.q("patchType") or "application/merge-patch+json"]
    if ptype == JSON_PATCH and not isinstance(patch, list):
        raise APIError(400, "patch: a JSON patch is a list of operations")
    if ptype != JSON_PATCH and not isinstance(patch, dict):
        raise APIError(400, "patch: a merge patch is a JSON object")
    out = view.client.patch(
        res, ident["namespace"] or None, ident["name"], patch, ptype, field_manager="kedge-server"
    )
    return _manifest(out)


@route(
    "DELETE",
    "/api/v1/applications/{name}/resource",
    summary="Delete one live resource (RBAC delete/<group>/<Kind>/<ns>/<name>)",
    tag=TAG,
    query=(*RESOURCE_QUERY, Param("force", "boolean"), Param("orphan", "boolean")),
    response="Empty",
)
def delete_resource(req: APIRequest) -> dict[str, Any]:
    app, view, res, ident = _target(req)
    req.backend.authz.check(req.principal, "applications", _sub_action("delete", ident), rbac_object(app))
    propagation = "Orphan" if req.qbool("orphan") else "Foreground"
    grace = 0 if req.qbool("force") else None
    view.client.delete(
        res, ident["namespace"] or None, ident["name"], propagation=propagation, grace_period=grace
    )
    return {}


def _overrides(req: APIRequest):
    from kedge.health import ResourceOverrides

    return ResourceOverrides.from_configmap(req.backend.settings.current.cm)


@route(
    "GET",
    "/api/v1/applications/{name}/resource/actions",
    summary="The resource actions available for one live resource",
    tag=TAG,
    query=RESOURCE_QUERY,
    response="ResourceActionsListResponse",
)
def list_actions(req: APIRequest) -> dict[str, Any]:
    from kedge.actions import discover

    _, view, res, ident = _target(req)
    return {"actions": discover(_live(view, res, ident), _overrides(req))}


def _diff_merge(old: Any, new: Any) -> Any:
    """An RFC 7386 merge patch turning ``old`` into ``new``."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    out: dict[str, Any] = {}
    for k in old:
        if k not in new:
            out[k] = None
    for k, v in new.items():
        if k not in old:
            out[k] = v
        elif old[k] != v:
            out[k] = _diff_merge(old[k], v)
    return out


def _run_action(
    req: APIRequest, action: str, params: dict[str, str], given: dict[str, Any] | None = None
) -> dict[str, Any]:
    from kedge.actions import run

    app, view, res, ident = _target(req, given)
    req.backend.authz.check(
        req.principal, "applications", f"action/{ident['group']}/{ident['kind']}/{action}", rbac_object(app)
    )
    live = _live(view, res, ident)
    results = run(copy.deepcopy(live), action, params, _overrides(req))
    for item in results:
        op, obj = item.get("operation"), item.get("resource") or {}
        if op == "create":
            meta = obj.setdefault("metadata", {})
            if not meta.get("namespace") and ident["namespace"]:
                meta["namespace"] = ident["namespace"]
            try:
                view.client.create(obj, field_manager="kedge-server")
            except KubeError as exc:
                raise APIError(
                    400 if exc.status in (409, 422, 400) else 502,
                    f"action {action}: creating {obj.get('kind')} failed: {exc}",
                ) from None
            continue
        meta = obj.get("metadata") or {}
        target_res = view.client.resource_of(obj) if obj.get("apiVersion") and obj.get("kind") else res
        name, ns = meta.get("name") or ident["name"], meta.get("namespace") or ident["namespace"]
        current = (
            live
            if (name, ns) == (ident["name"], ident["namespace"])
            else view.client.get(target_res, ns or None, name)
        )
        if current is None:
            raise APIError(404, f"action {action}: {obj.get('kind')} {name} not found")
        body_old = {k: v for k, v in current.items() if k != "status"}
        body_new = {k: v for k, v in obj.items() if k != "status"}
        patch = _diff_merge(body_old, body_new)
        if patch:
            view.client.patch(target_res, ns or None, name, patch, MERGE_PATCH, field_manager="kedge-server")
        if "status" in obj and obj.get("status") != current.get("status"):
            try:
                view.client.patch(
                    target_res,
                    ns or None,
                    name,
                    {"status": _diff_merge(current.get("status") or {}, obj["status"])},
                    MERGE_PATCH,
                    subresource="status",
                )
            except KubeError as exc:
                if exc.status != 404:
                    raise
    return {}


@route(
    "POST",
    "/api/v1/applications/{name}/resource/actions",
    summary="Run a resource action (body: the action name as a JSON string, or {action, resourceActionParameters})",
    tag=TAG,
    query=RESOURCE_QUERY,
    body="ResourceActionRunRequest",
    response="Empty",
)
def run_action(req: APIRequest) -> dict[str, Any]:
    body = req.body
    if isinstance(body, str):
        return _run_action(req, body, {})
    params = {p["name"]: str(p.get("value", "")) for p in body.get("resourceActionParameters") or []}
    return _run_action(req, body["action"], params, body)


@route(
    "POST",
    "/api/v1/applications/{name}/resource/actions/v2",
    summary="Run a resource action with parameters (Argo CD's v2 request: the resource named in the body)",
    tag=TAG,
    query=tuple(Param(p.name, p.kind, p.description) for p in RESOURCE_QUERY),
    body="ResourceActionRunRequest",
    response="Empty",
)
def run_action_v2(req: APIRequest) -> dict[str, Any]:
    return run_action(req)
