"""Sync windows: ``/api/v1/applications/{name}/syncwindows`` (the windows assigned to an app,
the active ones, and whether a manual sync may run now) and
``/api/v1/projects/{name}/syncwindows``, evaluated by :mod:`kedge.controller.windows`."""

from __future__ import annotations

from typing import Any

from kedge.errors import KedgeError
from kedge.server.api.common import APP_NS_PARAM, load_app
from kedge.server.api.projects import _load as load_project
from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.routes import route


def _raw(project: dict[str, Any] | None, index: int) -> dict[str, Any]:
    return dict((((project or {}).get("spec") or {}).get("syncWindows") or [])[index])


@route(
    "GET",
    "/api/v1/applications/{name}/syncwindows",
    summary="Sync windows assigned to an application, the active ones, and whether it may sync now",
    tag="ApplicationService",
    query=(APP_NS_PARAM,),
    response="ApplicationSyncWindowsResponse",
)
def app_windows(req: APIRequest) -> dict[str, Any]:
    from kedge.controller import windows

    app = load_app(req, req.path["name"])
    project = req.backend.controller.project_of(app)
    try:
        assigned = windows.matching_windows(project, app)
        active = windows.active_windows(project, app)
        can = bool(windows.can_sync(project, app, manual=True))
    except KedgeError as exc:
        raise APIError(
            400, f"sync windows of project {(app.get('spec') or {}).get('project')}: {exc}"
        ) from None
    return {
        "assignedWindows": [_raw(project, w.index) for w in assigned],
        "activeWindows": [_raw(project, w.index) for w in active],
        "canSync": can,
    }


@route(
    "GET",
    "/api/v1/projects/{name}/syncwindows",
    summary="The sync windows of a project",
    tag="ProjectService",
    response="SyncWindowsResponse",
)
def project_windows(req: APIRequest) -> dict[str, Any]:
    project = load_project(req, req.path["name"])
    return {"windows": list((project.get("spec") or {}).get("syncWindows") or [])}
