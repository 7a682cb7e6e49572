"""Helpers shared by the endpoint modules: finding an Application the caller may see,
names, namespaces and Argo CD's RBAC objects."""

from __future__ import annotations

import re
from typing import Any

from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.routes import APP_NS

API_VERSION = "argoproj.io/v1alpha1"
APP_NS_PARAM = APP_NS
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def check_name(name: str, what: str = "name") -> str:
    if not name or len(name) > 253 or not _DNS1123.match(name):
        raise APIError(
            400,
            f"invalid {what} {name!r}: must be a lowercase RFC 1123 subdomain (lower-case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit, at most 253 characters)",
        )
    return name


def project_of(app: dict[str, Any]) -> str:
    return ((app.get("spec") or {}).get("project")) or "default"


def rbac_object(app: dict[str, Any]) -> str:
    """``<project>/<app>``, the object Argo CD's application policies name."""
    return f"{project_of(app)}/{(app.get('metadata') or {}).get('name', '')}"


def check_app_namespace(req: APIRequest, value: str | None = None) -> None:
    ns = value if value is not None else req.q("appNamespace")
    if ns and ns != req.backend.namespace:
        raise APIError(
            400,
            f"application namespace {ns!r} is not permitted: Applications live in the control-plane namespace "
            f"{req.backend.namespace!r}",
        )


def with_kind(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    if "apiVersion" not in obj or "kind" not in obj:
        obj = {"apiVersion": API_VERSION, "kind": kind, **obj}
    return obj


def load_app(req: APIRequest, name: str, action: str = "get", project: str | None = None) -> dict[str, Any]:
    """The Application ``name`` fresh from the cluster, after checking ``action`` on it.

    A missing app answers 404 only to callers who could see any app of that name (a wildcard
    project grant); others get the same "permission denied" as for an app they may not see,
    so names do not leak."""
    check_name(name, "application name")
    check_app_namespace(req)
    b = req.backend
    app = b.client.get(b.resource("Application"), b.namespace, name)
    proj = project if project is not None else req.q("project")
    if app is None or (proj and project_of(app) != proj):
        obj = f"{proj or '*'}/{name}"
        b.authz.check(req.principal, "applications", action if action != "get" else "get", obj)
        raise APIError(404, f'applications.argoproj.io "{name}" not found')
    b.authz.check(req.principal, "applications", action, rbac_object(app))
    return with_kind(app, "Application")


def app_instance(req: APIRequest, app: dict[str, Any]) -> str:
    from kedge.kube.tracking import app_instance_name

    meta = app.get("metadata") or {}
    return app_instance_name(meta.get("name", ""), meta.get("namespace", ""), req.backend.namespace)


def cluster_view(req: APIRequest, app: dict[str, Any]):
    from kedge.errors import KedgeError

    try:
        return req.backend.controller.clusters.view((app.get("spec") or {}).get("destination") or {})
    except KedgeError as exc:
        raise APIError(400, f"application destination: {exc}") from None
