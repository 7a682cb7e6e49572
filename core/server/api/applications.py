"""``/api/v1/applications``: list, get, create, update, patch, delete, sync, rollback,
terminate, manifests, managed resources, resource tree, events, revision metadata."""

from __future__ import annotations

import base64
import copy
import json
import time
from typing import Any

import jsonpatch

from kedge.kube.client import MERGE_PATCH, KubeError
from kedge.server.api.common import (
    API_VERSION,
    app_instance,
    check_app_namespace,
    check_name,
    cluster_view,
    load_app,
    project_of,
    rbac_object,
    with_kind,
)
from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.redact import mask_secrets
from kedge.server.routes import APP_NS, PROJECT, Param, route

TAG = "ApplicationService"
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
BACKGROUND_FINALIZER = "resources-finalizer.argocd.argoproj.io/background"
#: metadata fields a client may set on an Application
WRITABLE_META = ("name", "namespace", "labels", "annotations", "finalizers")

LIST_QUERY = (
    Param("name", description="Only the application with this name"),
    Param("search", description="Only applications whose name contains this text"),
    Param("projects", "array", "Only applications of these projects (repeat or comma-separate)"),
    Param("project", "array", "Alias of projects"),
    Param("selector", description="Label selector (e.g. team=a,tier!=db)"),
    Param("repo", description="Only applications whose source is this repository URL"),
    APP_NS,
    Param("refresh", enum=("normal", "hard"), description="Refresh the listed application first (with name)"),
    Param("resourceVersion", description="Accepted for compatibility; the list is always current"),
    Param("limit", "integer", "Kedge extension: at most this many items; see metadata.continue"),
    Param("continue", description="Kedge extension: the metadata.continue of the previous page"),
)


# -- list ------------------------------------------------------------------------------------------
def app_filter(req: APIRequest):
    """A predicate for the list/stream query parameters (name, search, projects, selector, repo)."""
    from kedge.localcluster.selectors import SelectorError, matches_labels, parse_label_selector
    from kedge.settings.repos import normalize_url

    check_app_namespace(req)
    name, search = req.q("name"), req.q("search")
    projects = set(req.qlist("projects", "project"))
    try:
        selector = parse_label_selector(req.q("selector"))
    except SelectorError as exc:
        raise APIError(400, f"selector: {exc}") from None
    repo = normalize_url(req.q("repo")) if req.q("repo") else ""

    def ok(app: dict[str, Any]) -> bool:
        meta = app.get("metadata") or {}
        n = meta.get("name") or ""
        if name and n != name:
            return False
        if search and search not in n:
            return False
        if projects and project_of(app) not in projects:
            return False
        if selector and not matches_labels(selector, meta.get("labels")):
            return False
        if repo:
            spec = app.get("spec") or {}
            sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
            if not any(
                normalize_url(str(s.get("repoURL", ""))) == repo for s in sources if isinstance(s, dict)
            ):
                return False
        return True

    return ok


def visible(req: APIRequest, resource: str = "applications"):
    """A fast "may the caller get this app" predicate (rules indexed by project)."""
    may = req.backend.authz.project_scoped(req.principal, resource, "get")
    return lambda app: may(project_of(app), (app.get("metadata") or {}).get("name", ""))


def _decode_continue(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode() + b"==").decode()
    except (ValueError, UnicodeDecodeError):
        raise APIError(400, "continue: not a token from a previous page") from None


@route(
    "GET",
    "/api/v1/applications",
    summary="List applications",
    tag=TAG,
    query=LIST_QUERY,
    response="ApplicationList",
)
def list_applications(req: APIRequest) -> dict[str, Any]:
    ok = app_filter(req)
    may = visible(req)
    name = req.q("name")
    if name and req.q("refresh"):
        _refresh_and_wait(req, load_app(req, name), req.q("refresh") == "hard")
    limit = req.qint("limit", 0)
    after = _decode_continue(req.q("continue")) if req.q("continue") else ""
    apps = req.backend.extras["apps"].items()
    items: list[dict[str, Any]] = []
    more = ""
    for app in apps:
        n = (app.get("metadata") or {}).get("name", "")
        if after and n <= after:
            continue
        if ok(app) and may(app):
            if limit and len(items) == limit:
                more = base64.urlsafe_b64encode(items[-1]["metadata"]["name"].encode()).decode().rstrip("=")
                break
            items.append(with_kind(app, "Application"))
    meta: dict[str, Any] = {}
    if more:
        meta["continue"] = more
    return {"metadata": meta, "items": items}


# -- get ---------------------------------------------------------------------------------------------
def _refresh_and_wait(
    req: APIRequest, app: dict[str, Any], hard: bool, timeout: float = 30.0
) -> dict[str, Any]:
    b = req.backend
    name = app["metadata"]["name"]
    res = b.resource("Application")
    b.client.patch(
        res,
        b.namespace,
        name,
        {"metadata": {"annotations": {REFRESH_ANNOTATION: "hard" if hard else "normal"}}},
        MERGE_PATCH,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = b.client.get(res, b.namespace, name)
        if current is None:
            raise APIError(404, f'applications.argoproj.io "{name}" not found')
        if REFRESH_ANNOTATION not in ((current.get("metadata") or {}).get("annotations") or {}):
            return with_kind(current, "Application")
        time.sleep(0.1)
    return with_kind(b.client.get(res, b.namespace, name) or app, "Application")


@route(
    "GET",
    "/api/v1/applications/{name}",
    summary="Get an application (refresh=normal|hard refreshes it first)",
    tag=TAG,
    query=(Param("refresh", enum=("normal", "hard")), APP_NS, PROJECT, Param("resourceVersion")),
    response="Application",
)
def get_application(req: APIRequest) -> dict[str, Any]:
    app = load_app(req, req.path["name"])
    if req.q("refresh"):
        app = _refresh_and_wait(req, app, req.q("refresh") == "hard")
    return app


# -- create / update / patch -----------------------------------------------------------------------
def validate_app(req: APIRequest, doc: dict[str, Any], check_project: bool = True) -> dict[str, Any]:
    """Validate an Application document as Argo CD's server does; returns it cleaned."""
    from kedge import model

    b = req.backend
    doc = copy.deepcopy(doc)
    doc.setdefault("apiVersion", API_VERSION)
    doc.setdefault("kind", "Application")
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != "Application":
        raise APIError(400, f"expected apiVersion {API_VERSION} and kind Application")
    meta = doc.get("metadata") or {}
    check_name(str(meta.get("name") or ""), "application name")
    check_app_namespace(req, meta.get("namespace") or "")
    problems = model.validate(doc, "application")
    if not problems:
        problems = model.unknown_fields(model.parse_application(doc, "application"))
        problems = [f"application: {p}" for p in problems]
    if problems:
        raise APIError(400, "\n".join(problems))
    spec = doc.get("spec") or {}
    spec.setdefault("project", "default")
    proj_name = spec["project"]
    project = b.controller.projects.get(proj_name)
    if project is None:  # the informer may not have delivered a project created a moment ago
        proj_res = b.client.resource_for("argoproj.io/v1alpha1", "AppProject")
        if proj_res is not None:
            project = b.client.get(proj_res, b.namespace, proj_name)
    if project is None and proj_name == "default":
        from kedge.controller.project import DEFAULT_PROJECT

        project = DEFAULT_PROJECT
    if project is None:
        raise APIError(400, f"application references project {proj_name} which does not exist")
    if check_project:
        from kedge.controller import project as projects
        from kedge.errors import KedgeError

        sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
        for src in sources:
            if not projects.source_permitted(project, src.get("repoURL", "")):
                raise APIError(
                    400, f"application repo {src.get('repoURL')} is not permitted in project '{proj_name}'"
                )
        dest = spec.get("destination") or {}
        try:
            server, cname = b.controller.clusters.resolve(dest)
        except KedgeError as exc:
            raise APIError(
                400, f"application destination spec for {meta['name']} is invalid: {exc}"
            ) from None
        if not projects.destination_permitted(project, server, cname, dest.get("namespace") or ""):
            raise APIError(
                400,
                f"application destination server '{server}' and namespace '{dest.get('namespace', '')}' do not match "
                f"any of the allowed destinations in project '{proj_name}'",
            )
    clean_meta = {k: meta[k] for k in WRITABLE_META if k in meta}
    clean_meta["namespace"] = b.namespace
    out = {"apiVersion": API_VERSION, "kind": "Application", "metadata": clean_meta, "spec": spec}
    if doc.get("operation"):
        out["operation"] = doc["operation"]
    return out


@route(
    "POST",
    "/api/v1/applications",
    summary="Create an application (upsert=true replaces an existing one)",
    tag=TAG,
    query=(Param("upsert", "boolean"), Param("validate", "boolean")),
    body="Application",
    response="Application",
)
def create_application(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    # permission first (as Argo CD), so validation messages tell nothing to callers without it
    body = req.body if isinstance(req.body, dict) else {}
    given = str((body.get("metadata") or {}).get("name") or "")
    proj = str(
        ((body.get("spec") or {}) if isinstance(body.get("spec"), dict) else {}).get("project") or "default"
    )
    b.authz.check(req.principal, "applications", "create", f"{proj}/{given}")
    doc = validate_app(req, req.body, check_project=req.qbool("validate", True))
    name = doc["metadata"]["name"]
    res = b.resource("Application")
    existing = b.client.get(res, b.namespace, name)
    if existing is None:
        try:
            return with_kind(b.client.create(doc, field_manager="kedge-server"), "Application")
        except KubeError as exc:
            if not exc.conflict:
                raise
            existing = b.client.get(res, b.namespace, name)
            if existing is None:
                raise
    same = existing.get("spec") == doc["spec"] and all(
        ((existing.get("metadata") or {}).get(k) or None) == (doc["metadata"].get(k) or None)
        for k in ("labels", "annotations", "finalizers")
    )
    if same:
        return with_kind(existing, "Application")
    if not req.qbool("upsert"):
        raise APIError(400, "existing application spec is different, use upsert flag to force update")
    b.authz.check(req.principal, "applications", "update", rbac_object(existing))
    b.authz.check(req.principal, "applications", "update", rbac_object(doc))
    return _write(req, existing, doc)


def _write(
    req: APIRequest, existing: dict[str, Any], doc: dict[str, Any], retries: int = 5
) -> dict[str, Any]:
    """Replace spec and writable metadata of ``existing`` (status and operation kept); on a
    conflict (the controller wrote status meanwhile) retry on the fresh object."""
    return _update(req, existing, lambda _current: doc, retries)


def _update(req: APIRequest, existing: dict[str, Any], make, retries: int = 5) -> dict[str, Any]:
    """``make(current) -> doc`` (validated), written over ``current``, retried on conflicts."""
    b = req.backend
    current = existing
    for attempt in range(retries):
        doc = make(current)
        body = copy.deepcopy(current)
        for k in ("labels", "annotations", "finalizers"):
            if k in doc["metadata"]:
                body["metadata"][k] = doc["metadata"][k]
            else:
                body["metadata"].pop(k, None)
        body["spec"] = doc["spec"]
        body.setdefault("apiVersion", API_VERSION)
        body.setdefault("kind", "Application")
        try:
            return with_kind(b.client.replace(body, field_manager="kedge-server"), "Application")
        except KubeError as exc:
            if not exc.conflict or attempt == retries - 1:
                raise
            fresh = b.client.get(b.resource("Application"), b.namespace, current["metadata"]["name"])
            if fresh is None:
                raise APIError(
                    404, f'applications.argoproj.io "{current["metadata"]["name"]}" not found'
                ) from None
            current = fresh
    raise AssertionError("unreachable")


@route(
    "PUT",
    "/api/v1/applications/{name}",
    summary="Update an application (spec, labels, annotations, finalizers)",
    tag=TAG,
    query=(Param("validate", "boolean"), PROJECT),
    body="Application",
    response="Application",
)
def update_application(req: APIRequest) -> dict[str, Any]:
    name = req.path["name"]
    body_name = ((req.body or {}).get("metadata") or {}).get("name")
    if body_name and body_name != name:
        raise APIError(
            400, f"metadata.name {body_name!r} does not match the application in the path {name!r}"
        )
    existing = load_app(req, name, "update")
    body = copy.deepcopy(req.body)
    body.setdefault("metadata", {})["name"] = name
    doc = validate_app(req, body, check_project=req.qbool("validate", True))
    req.backend.authz.check(req.principal, "applications", "update", rbac_object(doc))
    return _write(req, existing, doc)


@route(
    "PUT",
    "/api/v1/applications/{name}/spec",
    summary="Update an application's spec",
    tag=TAG,
    query=(Param("validate", "boolean"), APP_NS, PROJECT),
    body="ApplicationSpec",
    response="ApplicationSpec",
)
def update_spec(req: APIRequest) -> dict[str, Any]:
    name = req.path["name"]
    existing = load_app(req, name, "update")
    doc = {**copy.deepcopy(existing), "spec": req.body}
    doc["metadata"] = {k: existing["metadata"][k] for k in WRITABLE_META if k in existing["metadata"]}
    doc.pop("status", None)
    doc.pop("operation", None)
    doc = validate_app(req, doc, check_project=req.qbool("validate", True))
    req.backend.authz.check(req.principal, "applications", "update", rbac_object(doc))
    return _write(req, existing, doc)["spec"]


@route(
    "PATCH",
    "/api/v1/applications/{name}",
    summary="Patch an application (patchType json = RFC 6902, merge = RFC 7386)",
    tag=TAG,
    body="ApplicationPatchRequest",
    response="Application",
)
def patch_application(req: APIRequest) -> dict[str, Any]:
    name = req.path["name"]
    body = req.body
    if body.get("name") and body["name"] != name:
        raise APIError(400, f"name {body['name']!r} does not match the application in the path {name!r}")
    check_app_namespace(req, body.get("appNamespace") or "")
    existing = load_app(req, name, "update", project=body.get("project") or "")
    try:
        patch = json.loads(body["patch"])
    except ValueError as exc:
        raise APIError(400, f"patch: not valid JSON: {exc}") from None
    kind = body.get("patchType") or "json"
    if kind == "json" and not isinstance(patch, list):
        raise APIError(400, "patch: a JSON patch is a list of operations")
    if kind == "merge" and not isinstance(patch, dict):
        raise APIError(400, "patch: a merge patch is a JSON object")

    def make(current_app: dict[str, Any]) -> dict[str, Any]:
        current = {
            k: copy.deepcopy(current_app[k])
            for k in ("apiVersion", "kind", "metadata", "spec")
            if k in current_app
        }
        current.setdefault("apiVersion", API_VERSION)
        current.setdefault("kind", "Application")
        try:
            patched = (
                jsonpatch.JsonPatch(patch).apply(current) if kind == "json" else merge_patch(current, patch)
            )
        except (
            jsonpatch.JsonPatchException,
            jsonpatch.JsonPointerException,
            TypeError,
            KeyError,
            IndexError,
        ) as exc:
            raise APIError(400, f"patch: cannot apply: {exc}") from None
        if not isinstance(patched, dict):
            raise APIError(400, "patch: the result is not an object")
        if (patched.get("metadata") or {}).get("name") != name:
            raise APIError(400, "patch: the application name cannot be changed")
        doc = validate_app(req, patched)
        req.backend.authz.check(req.principal, "applications", "update", rbac_object(doc))
        return doc

    return _update(req, existing, make)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# -- delete --------------------------------------------------------------------------------------
@route(
    "DELETE",
    "/api/v1/applications/{name}",
    summary="Delete an application (cascade deletes its resources)",
    tag=TAG,
    query=(
        Param("cascade", "boolean", "Delete the app's resources too (default true)"),
        Param("propagationPolicy", enum=("foreground", "background", "orphan")),
        APP_NS,
        PROJECT,
    ),
    response="Empty",
)
def delete_application(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    name = req.path["name"]
    app = load_app(req, name, "delete")
    cascade = req.qbool("cascade", True)
    policy = req.q("propagationPolicy") or "foreground"
    if policy == "orphan":
        cascade = False
    finalizers = [
        f for f in (app["metadata"].get("finalizers") or []) if f not in (FINALIZER, BACKGROUND_FINALIZER)
    ]
    if cascade:
        finalizers.append(FINALIZER if policy == "foreground" else BACKGROUND_FINALIZER)
    res = b.resource("Application")
    if finalizers != (app["metadata"].get("finalizers") or []):
        b.client.patch(
            res,
            b.namespace,
            name,
            {
                "metadata": {
                    "finalizers": finalizers or None,
                    "resourceVersion": app["metadata"]["resourceVersion"],
                }
            },
            MERGE_PATCH,
        )
    b.client.delete(res, b.namespace, name)
    return {}


# -- operations -----------------------------------------------------------------------------------
# Requests go through the sync engine's own functions (kedge.controller.operations), which write
# the ``operation`` field as Argo CD's API server does and refuse what Argo CD refuses (another
# operation running, a sync window, rollback with auto-sync on); their OperationError -> 400.


@route(
    "POST",
    "/api/v1/applications/{name}/sync",
    summary="Sync an application to its target state",
    tag=TAG,
    body="ApplicationSyncRequest",
    body_required=False,
    response="Application",
)
def sync_application(req: APIRequest) -> dict[str, Any]:
    from kedge.controller import operations

    body = req.body or {}
    name = req.path["name"]
    if body.get("name") and body["name"] != name:
        raise APIError(400, f"name {body['name']!r} does not match the application in the path {name!r}")
    check_app_namespace(req, body.get("appNamespace") or "")
    app = load_app(req, name, "sync", project=body.get("project") or "")
    b = req.backend
    if body.get("manifests"):
        raise APIError(
            400, "syncing local manifests (manifests) is not supported; commit them to the repository"
        )
    spec = app.get("spec") or {}
    revision = body.get("revision") or ""
    target = (spec.get("source") or {}).get("targetRevision") or "HEAD"
    if revision and not spec.get("sources") and revision != target:
        if ((spec.get("syncPolicy") or {}).get("automated")) is not None:
            raise APIError(400, f"Cannot sync to {revision}: auto-sync currently set to {target}")
        b.authz.check(req.principal, "applications", "override", rbac_object(app))
    resources = [
        {k: str(r.get(k) or "") for k in ("group", "kind", "namespace", "name")}
        for r in body.get("resources") or []
    ]
    return with_kind(
        operations.request_sync(
            b.client,
            b.namespace,
            name,
            revision=body.get("revisions") or revision or None,
            prune=bool(body.get("prune")),
            dry_run=bool(body.get("dryRun")),
            resources=resources or None,
            sync_options=((body.get("syncOptions") or {}).get("items")) or None,
            strategy=body.get("strategy") or None,
            retry=body.get("retryStrategy") or None,
            initiated_by=req.username or "anonymous",
        ),
        "Application",
    )


@route(
    "POST",
    "/api/v1/applications/{name}/rollback",
    summary="Roll back to a revision of the deployment history (by history id)",
    tag=TAG,
    body="ApplicationRollbackRequest",
    response="Application",
)
def rollback_application(req: APIRequest) -> dict[str, Any]:
    from kedge.controller import operations

    body = req.body
    name = req.path["name"]
    check_app_namespace(req, body.get("appNamespace") or "")
    load_app(req, name, "sync", project=body.get("project") or "")
    try:
        wanted = int(body["id"])
    except (TypeError, ValueError):
        raise APIError(400, f"id: expected an integer, got {body.get('id')!r}") from None
    b = req.backend
    return with_kind(
        operations.rollback(
            b.client,
            b.namespace,
            name,
            wanted,
            prune=bool(body.get("prune")),
            dry_run=bool(body.get("dryRun")),
            initiated_by=req.username or "anonymous",
        ),
        "Application",
    )


@route(
    "DELETE",
    "/api/v1/applications/{name}/operation",
    summary="Terminate the running operation",
    tag=TAG,
    query=(APP_NS, PROJECT),
    response="Empty",
)
def terminate_operation(req: APIRequest) -> dict[str, Any]:
    from kedge.controller import operations

    name = req.path["name"]
    load_app(req, name, "sync")
    b = req.backend
    operations.terminate_operation(b.client, b.namespace, name)
    return {"message": "operation terminating"}


# -- manifests, diffs, tree, events, revisions ---------------------------------------------------
@route(
    "GET",
    "/api/v1/applications/{name}/manifests",
    summary="The desired manifests (at the target revision, or ?revision=)",
    tag=TAG,
    query=(
        Param("revision"),
        Param("sourcePositions", "array"),
        Param("revisions", "array"),
        APP_NS,
        PROJECT,
    ),
    response="ManifestResponse",
)
def manifests(req: APIRequest) -> dict[str, Any]:
    app = load_app(req, req.path["name"])
    b = req.backend
    view = cluster_view(req, app)
    versions = getattr(b.controller, "_cluster_versions", None)
    kube_version, api_versions = versions(view) if versions else ("", [])
    revision: Any = req.q("revision") or None
    if req.qlist("revisions"):
        revision = req.qlist("revisions")
    resp = b.repo.generate_manifests(
        app,
        revision=revision,
        kube_version=kube_version,
        api_versions=api_versions,
        settings=b.settings.current.cm,
    )
    docs = mask_secrets(*resp.manifests)
    dest = (app.get("spec") or {}).get("destination") or {}
    return {
        "manifests": [json.dumps(d, separators=(",", ":")) for d in docs],
        "namespace": dest.get("namespace", ""),
        "server": view.server,
        "revision": resp.revision,
        "sourceType": (resp.source_type or "").capitalize(),
    }


def _json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":")) if obj is not None else "null"


@route(
    "GET",
    "/api/v1/applications/{name}/managed-resources",
    summary="Target and live state (Secret values masked) of every managed resource",
    tag=TAG,
    query=(
        Param("namespace"),
        Param("name"),
        Param("version"),
        Param("group"),
        Param("kind"),
        APP_NS,
        PROJECT,
    ),
    response="ManagedResourcesResponse",
)
def managed_resources(req: APIRequest) -> dict[str, Any]:
    name = req.path["name"]
    load_app(req, name)
    state = req.backend.controller.states.get(name)
    result = state.result if state is not None else None
    items = []
    want = {k: req.q(k) for k in ("namespace", "name", "group", "kind") if req.q(k)}
    for r in result.resources if result else []:
        key = r.key
        fields = {"group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name}
        if any(fields[k] != v for k, v in want.items()):
            continue
        target, live = mask_secrets(r.target, r.live)
        diff = r.diff
        norm_live, predicted = mask_secrets(diff.live, diff.target) if diff is not None else (live, target)
        item = {
            **fields,
            "targetState": _json(target),
            "liveState": _json(live),
            "normalizedLiveState": _json(norm_live),
            "predictedLiveState": _json(predicted),
            "hook": bool(r.hook),
            "modified": bool(diff.modified) if diff is not None else r.status != "Synced",
            "resourceVersion": ((r.live or {}).get("metadata") or {}).get("resourceVersion", ""),
        }
        items.append(item)
    return {"items": items}


@route(
    "GET",
    "/api/v1/applications/{name}/resource-tree",
    summary="The application's resources and everything they own",
    tag=TAG,
    query=(APP_NS, PROJECT),
    response="ApplicationTree",
)
def resource_tree(req: APIRequest) -> dict[str, Any]:
    app = load_app(req, req.path["name"])
    view = cluster_view(req, app)
    return {"nodes": view.cache.tree(app_instance(req, app)), "orphanedNodes": [], "hosts": []}


@route(
    "GET",
    "/api/v1/applications/{name}/events",
    summary="Kubernetes Events of the application, or of one of its resources",
    tag=TAG,
    query=(Param("resourceNamespace"), Param("resourceName"), Param("resourceUID"), APP_NS, PROJECT),
    response="EventList",
)
def events(req: APIRequest) -> dict[str, Any]:
    app = load_app(req, req.path["name"])
    b = req.backend
    res = b.resource("Event", "v1")
    rname, rns, ruid = req.q("resourceName"), req.q("resourceNamespace"), req.q("resourceUID")
    if rname or ruid:
        view = cluster_view(req, app)
        nodes = view.cache.tree(app_instance(req, app))
        match = [
            n
            for n in nodes
            if (not ruid or n.get("uid") == ruid)
            and (not rname or n.get("name") == rname)
            and (not rns or n.get("namespace") == rns)
        ]
        if not match:
            raise APIError(
                404, f"resource {rns}/{rname} is not part of application {app['metadata']['name']}"
            )
        uids = {n["uid"] for n in match}
        client = view.client
        namespaces = {n.get("namespace") or "" for n in match}
    else:
        uids = {app["metadata"].get("uid", "")}
        client = b.client
        namespaces = {b.namespace}
    items: list[dict[str, Any]] = []
    for ns in sorted(namespaces):
        listed, _ = client.list(res, ns or None)
        items += [e for e in listed if ((e.get("involvedObject") or {}).get("uid")) in uids]
    items.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return {"metadata": {}, "items": items}


@route(
    "GET",
    "/api/v1/applications/{name}/revisions/{revision}/metadata",
    summary="Author, date, message and tags of a revision of the application's repository",
    tag=TAG,
    query=(Param("sourceIndex", "integer"), APP_NS, PROJECT),
    response="RevisionMetadata",
)
def revision_metadata(req: APIRequest) -> dict[str, Any]:
    app = load_app(req, req.path["name"])
    spec = app.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    idx = req.qint("sourceIndex", 0)
    if idx >= len(sources):
        raise APIError(400, f"sourceIndex {idx}: the application has {len(sources)} source(s)")
    src = sources[idx]
    if src.get("chart"):
        raise APIError(400, "revision metadata is only available for Git sources")
    meta = req.backend.repo.revision_metadata(src.get("repoURL", ""), req.path["revision"])
    return {k: v for k, v in meta.items() if k in ("author", "date", "tags", "message", "signatureInfo")}
