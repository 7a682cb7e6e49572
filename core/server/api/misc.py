"""``/api/version``, ``/healthz``, ``/api/v1/settings``, ``/api/openapi.json``, ``/metrics``."""

from __future__ import annotations

import platform
from typing import Any

from starlette.responses import PlainTextResponse, Response

from kedge import __version__
from kedge.server.http import APIRequest, JSONAnswer
from kedge.server.routes import Param, route


@route(
    "GET",
    "/api/version",
    summary="Version information",
    tag="VersionService",
    public=True,
    response="VersionMessage",
)
def version(req: APIRequest) -> dict[str, Any]:
    return {
        "Version": f"v{__version__}",
        "BuildDate": "",
        "GitCommit": "",
        "GitTag": "",
        "GitTreeState": "",
        "GoVersion": f"python{platform.python_version()}",
        "Compiler": platform.python_implementation(),
        "Platform": f"{platform.system().lower()}/{platform.machine()}",
    }


@route(
    "GET",
    "/healthz",
    summary="Liveness: ok when the server answers (full=true checks the cluster)",
    tag="Health",
    public=True,
    content_type="text/plain",
    query=(Param("full", "boolean"),),
)
def healthz(req: APIRequest) -> Response:
    if req.qbool("full"):
        try:
            req.backend.client.version()
        except Exception as exc:  # noqa: BLE001 - report, do not raise
            return PlainTextResponse(f"cluster unreachable: {exc}", status_code=503)
    return PlainTextResponse("ok")


@route(
    "GET",
    "/api/v1/settings",
    summary="Public settings (for the UI and CLI)",
    tag="SettingsService",
    public=True,
    response="Settings",
)
def settings(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    s = b.settings.current
    out: dict[str, Any] = {
        "url": s.url or "",
        "statusBadgeEnabled": s.statusbadge_enabled,
        "statusBadgeRootUrl": s.get("statusbadge.url") or "",
        "appLabelKey": s.instance_label_key,
        "trackingMethod": s.resource_tracking_method,
        "execEnabled": s.exec_enabled,
        "userLoginsDisabled": not any(a.enabled and "login" in a.capabilities for a in s.accounts().values()),
        "controllerNamespace": b.namespace,
        "appsInAnyNamespaceEnabled": False,
        "passwordPattern": s.get("passwordPattern") or "^.{8,32}$",
    }
    if s.installation_id:
        out["installationID"] = s.installation_id
    oidc = s.oidc_config()
    if oidc:
        out["oidcConfig"] = {
            k: oidc[k] for k in ("name", "issuer", "clientID", "cliClientID", "scopes") if k in oidc
        }
    return out


@route(
    "GET",
    "/api/openapi.json",
    summary="This API's OpenAPI 3.1 document",
    tag="Meta",
    public=True,
    response="Empty",
)
def openapi(req: APIRequest) -> Response:
    from kedge.server.openapi import document

    return JSONAnswer(document())


@route(
    "GET",
    "/metrics",
    summary="Prometheus metrics (needs applications get on */*)",
    tag="Meta",
    content_type="text/plain",
)
def metrics(req: APIRequest) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    req.backend.authz.check(req.principal, "applications", "get", "*/*")
    m = req.backend.extras.get("metrics")
    body = generate_latest(m.registry) if m is not None else b""
    return Response(body, media_type=CONTENT_TYPE_LATEST)
