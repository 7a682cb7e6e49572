"""``/api/v1/applicationsets``: ApplicationSet list, get, create (upsert), delete. The
ApplicationSet controller generates the applications; RBAC is Argo CD's
``applicationsets, <action>, <project>/<name>`` with the project of the template."""

from __future__ import annotations

import copy
from typing import Any

from kedge.kube.client import KubeError
from kedge.server.api.common import API_VERSION, check_app_namespace, check_name, with_kind
from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.routes import APP_NS, Param, route

TAG = "ApplicationSetService"
WRITABLE_META = ("name", "labels", "annotations", "finalizers")


def _project(appset: dict[str, Any]) -> str:
    tmpl = ((appset.get("spec") or {}).get("template") or {}).get("spec") or {}
    return str(tmpl.get("project") or "default")


def _obj(appset: dict[str, Any]) -> str:
    return f"{_project(appset)}/{(appset.get('metadata') or {}).get('name', '')}"


def _load(req: APIRequest, name: str, action: str) -> dict[str, Any]:
    check_name(name, "applicationset name")
    check_app_namespace(req)
    b = req.backend
    found = b.client.get(b.resource("ApplicationSet"), b.namespace, name)
    if found is None:
        b.authz.check(req.principal, "applicationsets", action, f"*/{name}")
        raise APIError(404, f'applicationsets.argoproj.io "{name}" not found')
    b.authz.check(req.principal, "applicationsets", action, _obj(found))
    return with_kind(found, "ApplicationSet")


@route(
    "GET",
    "/api/v1/applicationsets",
    summary="List ApplicationSets",
    tag=TAG,
    query=(Param("projects", "array"), Param("selector"), APP_NS),
    response="ApplicationSetList",
)
def list_appsets(req: APIRequest) -> dict[str, Any]:
    from kedge.localcluster.selectors import SelectorError, matches_labels, parse_label_selector

    check_app_namespace(req)
    b = req.backend
    try:
        selector = parse_label_selector(req.q("selector"))
    except SelectorError as exc:
        raise APIError(400, f"selector: {exc}") from None
    projects = set(req.qlist("projects"))
    items, _ = b.client.list(b.resource("ApplicationSet"), b.namespace)
    out = []
    for a in sorted(items, key=lambda x: (x.get("metadata") or {}).get("name", "")):
        if projects and _project(a) not in projects:
            continue
        if selector and not matches_labels(selector, (a.get("metadata") or {}).get("labels")):
            continue
        if b.authz.allowed(req.principal, "applicationsets", "get", _obj(a)):
            out.append(with_kind(a, "ApplicationSet"))
    return {"metadata": {}, "items": out}


@route(
    "GET",
    "/api/v1/applicationsets/{name}",
    summary="Get an ApplicationSet",
    tag=TAG,
    query=(APP_NS,),
    response="ApplicationSet",
)
def get_appset(req: APIRequest) -> dict[str, Any]:
    return _load(req, req.path["name"], "get")


@route(
    "POST",
    "/api/v1/applicationsets",
    summary="Create an ApplicationSet (upsert=true replaces it)",
    tag=TAG,
    query=(Param("upsert", "boolean"), Param("dryRun", "boolean")),
    body="ApplicationSet",
    response="ApplicationSet",
)
def create_appset(req: APIRequest) -> dict[str, Any]:
    from kedge import model

    b = req.backend
    doc = copy.deepcopy(req.body)
    doc.setdefault("apiVersion", API_VERSION)
    doc.setdefault("kind", "ApplicationSet")
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != "ApplicationSet":
        raise APIError(400, f"expected apiVersion {API_VERSION} and kind ApplicationSet")
    meta = doc.get("metadata") or {}
    check_name(str(meta.get("name") or ""), "applicationset name")
    check_app_namespace(req, meta.get("namespace") or "")
    problems = model.validate(doc, "applicationset")
    if not problems:
        problems = [
            f"applicationset: {p}"
            for p in model.unknown_fields(model.parse_applicationset(doc, "applicationset"))
        ]
    if problems:
        raise APIError(400, "\n".join(problems))
    clean = {
        "apiVersion": API_VERSION,
        "kind": "ApplicationSet",
        "spec": doc["spec"],
        "metadata": {**{k: meta[k] for k in WRITABLE_META if k in meta}, "namespace": b.namespace},
    }
    b.authz.check(req.principal, "applicationsets", "create", _obj(clean))
    res = b.resource("ApplicationSet")
    existing = b.client.get(res, b.namespace, clean["metadata"]["name"])
    dry = req.qbool("dryRun")
    if existing is None:
        return with_kind(b.client.create(clean, dry_run=dry, field_manager="kedge-server"), "ApplicationSet")
    if existing.get("spec") == clean["spec"]:
        return with_kind(existing, "ApplicationSet")
    if not req.qbool("upsert"):
        raise APIError(400, "existing ApplicationSet spec is different, use upsert flag to force update")
    b.authz.check(req.principal, "applicationsets", "update", _obj(existing))
    b.authz.check(req.principal, "applicationsets", "update", _obj(clean))
    body = copy.deepcopy(existing)
    body["spec"] = clean["spec"]
    for k in ("labels", "annotations", "finalizers"):
        if k in clean["metadata"]:
            body["metadata"][k] = clean["metadata"][k]
    try:
        return with_kind(b.client.replace(body, dry_run=dry, field_manager="kedge-server"), "ApplicationSet")
    except KubeError as exc:
        if exc.conflict:
            raise APIError(409, "the ApplicationSet changed meanwhile; try again") from None
        raise


@route(
    "DELETE",
    "/api/v1/applicationsets/{name}",
    summary="Delete an ApplicationSet",
    tag=TAG,
    query=(APP_NS,),
    response="Empty",
)
def delete_appset(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    _load(req, req.path["name"], "delete")
    b.client.delete(b.resource("ApplicationSet"), b.namespace, req.path["name"])
    return {}
