"""``/api/v1/projects``: AppProject CRUD and project role tokens."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from kedge.kube.client import KubeError
from kedge.server.api.common import API_VERSION, check_name, project_of, with_kind
from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.routes import Param, route

TAG = "ProjectService"
WRITABLE_META = ("name", "labels", "annotations", "finalizers")


def _validate(req: APIRequest, doc: Any) -> dict[str, Any]:
    from kedge import model

    doc = copy.deepcopy(doc)
    doc.setdefault("apiVersion", API_VERSION)
    doc.setdefault("kind", "AppProject")
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != "AppProject":
        raise APIError(400, f"expected apiVersion {API_VERSION} and kind AppProject")
    meta = doc.get("metadata") or {}
    check_name(str(meta.get("name") or ""), "project name")
    if meta.get("namespace") not in (None, "", req.backend.namespace):
        raise APIError(400, f"AppProjects live in the control-plane namespace {req.backend.namespace!r}")
    doc.setdefault("spec", {})
    problems = model.validate(doc, "project")
    if not problems:
        problems = [f"project: {p}" for p in model.unknown_fields(model.parse_appproject(doc, "project"))]
    if problems:
        raise APIError(400, "\n".join(problems))
    clean = {k: meta[k] for k in WRITABLE_META if k in meta}
    clean["namespace"] = req.backend.namespace
    return {"apiVersion": API_VERSION, "kind": "AppProject", "metadata": clean, "spec": doc["spec"]}


def _load(req: APIRequest, name: str, action: str = "get") -> dict[str, Any]:
    check_name(name, "project name")
    b = req.backend
    b.authz.check(req.principal, "projects", action, name)
    proj = b.client.get(b.resource("AppProject"), b.namespace, name)
    if proj is None:
        raise APIError(404, f'appprojects.argoproj.io "{name}" not found')
    return with_kind(proj, "AppProject")


def _replace(req: APIRequest, existing: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(existing)
    for k in ("labels", "annotations", "finalizers"):
        if k in doc["metadata"]:
            body["metadata"][k] = doc["metadata"][k]
        else:
            body["metadata"].pop(k, None)
    body["spec"] = doc["spec"]
    return with_kind(req.backend.client.replace(body, field_manager="kedge-server"), "AppProject")


@route(
    "GET",
    "/api/v1/projects",
    summary="List projects",
    tag=TAG,
    query=(Param("name"),),
    response="AppProjectList",
)
def list_projects(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    items = []
    for p in sorted(b.controller.projects.list(), key=lambda p: p["metadata"]["name"]):
        name = p["metadata"]["name"]
        if req.q("name") and name != req.q("name"):
            continue
        if b.authz.allowed(req.principal, "projects", "get", name):
            items.append(with_kind(p, "AppProject"))
    return {"metadata": {}, "items": items}


@route("GET", "/api/v1/projects/{name}", summary="Get a project", tag=TAG, response="AppProject")
def get_project(req: APIRequest) -> dict[str, Any]:
    return _load(req, req.path["name"])


@route(
    "POST",
    "/api/v1/projects",
    summary="Create a project",
    tag=TAG,
    body="ProjectCreateRequest",
    response="AppProject",
)
def create_project(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    given = str(((req.body["project"] or {}).get("metadata") or {}).get("name") or "")
    b.authz.check(req.principal, "projects", "create", given)
    doc = _validate(req, req.body["project"])
    name = doc["metadata"]["name"]
    res = b.resource("AppProject")
    existing = b.client.get(res, b.namespace, name)
    if existing is None:
        try:
            return with_kind(b.client.create(doc, field_manager="kedge-server"), "AppProject")
        except KubeError as exc:
            if not exc.conflict:
                raise
            existing = b.client.get(res, b.namespace, name) or {}
    if existing.get("spec") == doc["spec"]:
        return with_kind(existing, "AppProject")
    if not req.body.get("upsert"):
        raise APIError(400, "existing project spec is different, use upsert flag to force update")
    b.authz.check(req.principal, "projects", "update", name)
    return _replace(req, existing, doc)


@route(
    "PUT",
    "/api/v1/projects/{name}",
    summary="Update a project",
    tag=TAG,
    body="ProjectUpdateRequest",
    response="AppProject",
)
def update_project(req: APIRequest) -> dict[str, Any]:
    name = req.path["name"]
    body = copy.deepcopy(req.body["project"])
    given = (body.get("metadata") or {}).get("name")
    if given and given != name:
        raise APIError(400, f"metadata.name {given!r} does not match the project in the path {name!r}")
    body.setdefault("metadata", {})["name"] = name
    existing = _load(req, name, "update")
    doc = _validate(req, body)
    return _replace(req, existing, doc)


@route(
    "DELETE",
    "/api/v1/projects/{name}",
    summary="Delete a project (refused while applications use it)",
    tag=TAG,
    response="Empty",
)
def delete_project(req: APIRequest) -> dict[str, Any]:
    name = req.path["name"]
    b = req.backend
    _load(req, name, "delete")
    using = [a for a in b.controller.apps.list() if project_of(a) == name]
    if using:
        raise APIError(400, f"project is referenced by {len(using)} applications")
    b.client.delete(b.resource("AppProject"), b.namespace, name)
    return {}


def _role(proj: dict[str, Any], role: str) -> dict[str, Any]:
    for r in (proj.get("spec") or {}).get("roles") or []:
        if isinstance(r, dict) and r.get("name") == role:
            return r
    raise APIError(404, f"project '{proj['metadata']['name']}' does not have role '{role}'")


@route(
    "POST",
    "/api/v1/projects/{project}/roles/{role}/token",
    summary="Create a JWT for a project role",
    tag=TAG,
    body="ProjectTokenCreateRequest",
    body_required=False,
    response="ProjectTokenResponse",
)
def create_project_token(req: APIRequest) -> dict[str, Any]:
    pname, rname = req.path["project"], req.path["role"]
    body = req.body or {}
    if req.principal is not None and req.principal.subject.startswith("proj:"):
        raise APIError(403, "project role tokens cannot create tokens")
    proj = _load(req, pname, "update")
    role = _role(proj, rname)
    try:
        expires_in = int(body.get("expiresIn") or 0)
    except (TypeError, ValueError):
        raise APIError(400, "expiresIn: expected a number of seconds") from None
    if expires_in < 0:
        raise APIError(400, "expiresIn: must not be negative")
    token_id = str(body.get("id") or uuid.uuid4())
    if any(t.get("id") == token_id for t in role.get("jwtTokens") or []):
        raise APIError(400, f"role '{rname}' already has a token with id '{token_id}'")
    token, claims = req.backend.auth.issuer.issue_api_token(
        f"proj:{pname}:{rname}", expires_in or None, token_id=token_id, project=True
    )
    entry: dict[str, Any] = {"iat": claims.issued_at, "id": token_id}
    if claims.expires_at:
        entry["exp"] = claims.expires_at
    role.setdefault("jwtTokens", []).append(entry)
    by_role = proj.setdefault("status", {}).setdefault("jwtTokensByRole", {}).setdefault(rname, {})
    by_role.setdefault("items", []).append(entry)
    req.backend.client.replace(proj, field_manager="kedge-server")
    return {"token": token}


@route(
    "DELETE",
    "/api/v1/projects/{project}/roles/{role}/token/{iat}",
    summary="Revoke a project role token (by its iat, or ?id=)",
    tag=TAG,
    query=(Param("id"),),
    response="Empty",
)
def delete_project_token(req: APIRequest) -> dict[str, Any]:
    pname, rname = req.path["project"], req.path["role"]
    proj = _load(req, pname, "update")
    role = _role(proj, rname)
    tid, iat = req.q("id"), req.path["iat"]

    def keep(t: dict[str, Any]) -> bool:
        if tid:
            return str(t.get("id")) != tid
        return str(t.get("iat")) != iat

    before = len(role.get("jwtTokens") or [])
    role["jwtTokens"] = [t for t in role.get("jwtTokens") or [] if keep(t)]
    by_role = ((proj.get("status") or {}).get("jwtTokensByRole") or {}).get(rname)
    if by_role:
        by_role["items"] = [t for t in by_role.get("items") or [] if keep(t)]
    if before == len(role["jwtTokens"]):
        raise APIError(404, f"role '{rname}' has no token {tid or iat}")
    req.backend.client.replace(proj, field_manager="kedge-server")
    return {}
