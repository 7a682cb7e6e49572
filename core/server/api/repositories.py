"""``/api/v1/repositories`` and ``/api/v1/repocreds``: repository and credential-template
Secrets (labelled ``argocd.argoproj.io/secret-type: repository | repo-creds``) in the
control-plane namespace. Credentials are write-only: no answer ever contains a password, SSH
key, TLS client key, GitHub App key, bearer token or GCP key."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from kedge.kube.client import KubeError
from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.redact import REPO_SECRET_FIELDS
from kedge.server.routes import Param, route
from kedge.server.schemas import SCHEMAS
from kedge.settings.objects import SECRET_TYPE_LABEL
from kedge.settings.repos import normalize_url

TAG = "RepositoryService"
BOOL_FIELDS = ("insecure", "insecureIgnoreHostKey", "enableLfs", "enableOCI", "forceHttpBasicAuth")
PLAIN_FIELDS = (
    "type",
    "name",
    "project",
    "username",
    "tlsClientCertData",
    "githubAppID",
    "githubAppInstallationID",
    "githubAppEnterpriseBaseUrl",
    "proxy",
    "noProxy",
)


def secret_name(prefix: str, url: str) -> str:
    return f"{prefix}-{hashlib.sha256(normalize_url(url).encode()).hexdigest()[:10]}"


def _rbac_obj(url: str, project: str) -> str:
    return f"{project}/{url}" if project else url


def _public(url_key: str, url: str, data: dict[str, str], inherited: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {url_key: url}
    for f in PLAIN_FIELDS:
        if data.get(f):
            out[f] = (
                int(data[f])
                if f in ("githubAppID", "githubAppInstallationID") and data[f].isdigit()
                else data[f]
            )
    for f in BOOL_FIELDS:
        if data.get(f, "").lower() == "true":
            out[f] = True
    if url_key == "repo":
        out.setdefault("type", "git")
        out["inheritedCreds"] = inherited
        out["connectionState"] = {
            "status": "Unknown",
            "message": "connection is checked when the repository is used",
        }
    fields = SCHEMAS["Repository" if url_key == "repo" else "RepoCreds"]["properties"]
    return {k: v for k, v in out.items() if k in fields and k not in REPO_SECRET_FIELDS}


def _find(req: APIRequest, secret_type: str, url: str) -> tuple[Any, dict[str, str]] | None:
    s = req.backend.settings.current
    items = s.repositories() if secret_type == "repository" else s.repository_credentials()
    for r in items:
        if normalize_url(r.url) == normalize_url(url):
            return r, dict(r.data)
    return None


def _to_data(body: dict[str, Any], url_key: str) -> dict[str, str]:
    data: dict[str, str] = {"url": str(body[url_key])}
    for k, v in body.items():
        if k in (url_key, "connectionState", "inheritedCreds") or v in (None, ""):
            continue
        if isinstance(v, bool):
            if v:
                data[k] = "true"
        else:
            data[k] = str(v)
    return data


def _write(
    req: APIRequest, secret_type: str, prefix: str, url_key: str, upsert: bool, update: bool
) -> dict[str, Any]:
    b = req.backend
    body = req.body
    url = str(body.get(url_key) or "").strip()
    if not url:
        raise APIError(400, f"{url_key}: the repository URL is required")
    if any(c.isspace() for c in url) or len(url) > 2048:
        raise APIError(400, f"{url_key}: invalid repository URL {url!r}")
    if update and req.path.get(url_key) and normalize_url(req.path[url_key]) != normalize_url(url):
        raise APIError(400, f"{url_key} {url!r} does not match the repository in the path")
    data = _to_data(body, url_key)
    project = data.get("project", "")
    found = _find(req, secret_type, url)
    if update and found is None:
        raise APIError(404, f"repository {url!r} not found")
    action = "update" if (found is not None and (upsert or update)) else "create"
    b.authz.check(req.principal, "repositories", action, _rbac_obj(url, project))
    if found is not None:
        old, old_data = found
        b.authz.check(req.principal, "repositories", "update", _rbac_obj(old.url, old.project))
        if not update and not upsert:
            same = {k: v for k, v in old_data.items()} == data
            if same:
                return _public(url_key, url, data)
            raise APIError(400, "existing repository spec is different; use upsert flag to force update")
        for k in REPO_SECRET_FIELDS + ("username",):
            if k not in data and old_data.get(k) and k in REPO_SECRET_FIELDS:
                data[k] = old_data[k]
        name = old.secret or secret_name(prefix, url)
    else:
        name = secret_name(prefix, url)
    res = b.resource("Secret", "v1")
    doc = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "namespace": b.namespace,
            "labels": {SECRET_TYPE_LABEL: secret_type},
            "annotations": {"managed-by": "argocd.argoproj.io"},
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }
    existing = b.client.get(res, b.namespace, name)
    if existing is None:
        b.client.create(doc, field_manager="kedge-server")
    else:
        doc["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
        labels = {**((existing.get("metadata") or {}).get("labels") or {}), SECRET_TYPE_LABEL: secret_type}
        doc["metadata"]["labels"] = labels
        b.client.replace(doc, field_manager="kedge-server")
    b.refresh_settings()
    return _public(url_key, url, data)


def _delete(req: APIRequest, secret_type: str, url: str) -> dict[str, Any]:
    b = req.backend
    found = _find(req, secret_type, url)
    if found is None:
        b.authz.check(req.principal, "repositories", "delete", url)
        raise APIError(404, f"repository {url!r} not found")
    repo, _ = found
    b.authz.check(req.principal, "repositories", "delete", _rbac_obj(repo.url, repo.project))
    if not repo.secret:
        raise APIError(400, f"repository {url!r} is declared in argocd-cm; edit argocd-cm to remove it")
    try:
        b.client.delete(b.resource("Secret", "v1"), b.namespace, repo.secret)
    except KubeError as exc:
        if not exc.not_found:
            raise
    b.refresh_settings()
    return {}


# -- repositories --------------------------------------------------------------------------------
@route(
    "GET",
    "/api/v1/repositories",
    summary="List repositories (credentials never included)",
    tag=TAG,
    query=(Param("repo"), Param("forceRefresh", "boolean")),
    response="RepositoryList",
)
def list_repositories(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    s = b.settings.current
    templates = s.repository_credentials()
    items = []
    for r in s.repositories():
        if req.q("repo") and normalize_url(r.url) != normalize_url(req.q("repo")):
            continue
        if not b.authz.allowed(req.principal, "repositories", "get", _rbac_obj(r.url, r.project)):
            continue
        inherited = not any(r.data.get(k) for k in REPO_SECRET_FIELDS + ("username",)) and any(
            normalize_url(r.url).startswith(normalize_url(t.url)) for t in templates
        )
        items.append(
            _public(
                "repo", r.url, {**r.data, "type": r.type, "name": r.name, "project": r.project}, inherited
            )
        )
    return {"metadata": {}, "items": items}


@route(
    "GET",
    "/api/v1/repositories/{repo}/refs",
    summary="Branches and tags of a Git repository",
    tag=TAG,
    path_types={"repo": "path"},
    response="Refs",
)
def list_refs(req: APIRequest) -> dict[str, Any]:
    url = req.path["repo"]
    found = _find(req, "repository", url)
    project = found[0].project if found else ""
    req.backend.authz.check(req.principal, "repositories", "get", _rbac_obj(url, project))
    refs = req.backend.repo.list_refs(url)
    return {"branches": list(refs.get("branches") or []), "tags": list(refs.get("tags") or [])}


@route(
    "GET",
    "/api/v1/repositories/{repo}",
    summary="Get a repository (URL-encoded)",
    tag=TAG,
    path_types={"repo": "path"},
    response="Repository",
)
def get_repository(req: APIRequest) -> dict[str, Any]:
    url = req.path["repo"]
    found = _find(req, "repository", url)
    if found is None:
        req.backend.authz.check(req.principal, "repositories", "get", url)
        raise APIError(404, f"repository {url!r} not found")
    r, data = found
    req.backend.authz.check(req.principal, "repositories", "get", _rbac_obj(r.url, r.project))
    return _public("repo", r.url, {**data, "type": r.type, "name": r.name, "project": r.project})


@route(
    "POST",
    "/api/v1/repositories",
    summary="Add a repository",
    tag=TAG,
    query=(Param("upsert", "boolean"), Param("credsOnly", "boolean")),
    body="Repository",
    response="Repository",
)
def create_repository(req: APIRequest) -> dict[str, Any]:
    if req.qbool("credsOnly"):
        body = {("url" if k == "repo" else k): v for k, v in req.body.items()}
        req.body = body
        out = _write(req, "repo-creds", "creds", "url", req.qbool("upsert"), False)
        return {("repo" if k == "url" else k): v for k, v in out.items()}
    return _write(req, "repository", "repo", "repo", req.qbool("upsert"), False)


@route(
    "PUT",
    "/api/v1/repositories/{repo}",
    summary="Update a repository",
    tag=TAG,
    path_types={"repo": "path"},
    body="Repository",
    response="Repository",
)
def update_repository(req: APIRequest) -> dict[str, Any]:
    return _write(req, "repository", "repo", "repo", True, True)


@route(
    "DELETE",
    "/api/v1/repositories/{repo}",
    summary="Remove a repository",
    tag=TAG,
    path_types={"repo": "path"},
    query=(Param("forceRefresh", "boolean"),),
    response="Empty",
)
def delete_repository(req: APIRequest) -> dict[str, Any]:
    return _delete(req, "repository", req.path["repo"])


# -- credential templates --------------------------------------------------------------------------
@route(
    "GET",
    "/api/v1/repocreds",
    summary="List repository credential templates (credentials never included)",
    tag=TAG,
    query=(Param("url"),),
    response="RepoCredsList",
)
def list_repocreds(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    items = []
    for r in b.settings.current.repository_credentials():
        if req.q("url") and normalize_url(r.url) != normalize_url(req.q("url")):
            continue
        if b.authz.allowed(req.principal, "repositories", "get", r.url):
            items.append(_public("url", r.url, {**r.data, "type": r.type}))
    return {"metadata": {}, "items": items}


@route(
    "POST",
    "/api/v1/repocreds",
    summary="Add a credential template",
    tag=TAG,
    query=(Param("upsert", "boolean"),),
    body="RepoCreds",
    response="RepoCreds",
)
def create_repocreds(req: APIRequest) -> dict[str, Any]:
    return _write(req, "repo-creds", "creds", "url", req.qbool("upsert"), False)


@route(
    "PUT",
    "/api/v1/repocreds/{url}",
    summary="Update a credential template",
    tag=TAG,
    path_types={"url": "path"},
    body="RepoCreds",
    response="RepoCreds",
)
def update_repocreds(req: APIRequest) -> dict[str, Any]:
    return _write(req, "repo-creds", "creds", "url", True, True)


@route(
    "DELETE",
    "/api/v1/repocreds/{url}",
    summary="Remove a credential template",
    tag=TAG,
    path_types={"url": "path"},
    response="Empty",
)
def delete_repocreds(req: APIRequest) -> dict[str, Any]:
    return _delete(req, "repo-creds", req.path["url"])
