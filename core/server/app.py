"""``create_app(backend)``: the ASGI application of Kedge's API server."""

from __future__ import annotations

import importlib
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from kedge.server.api import MODULES
from kedge.server.errors import APIError
from kedge.server.http import error_response, make_endpoint
from kedge.server.routes import ROUTES
from kedge.server.ui import ui_route

SECURITY_HEADERS = [
    (b"x-frame-options", b"sameorigin"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def load_routes() -> list[Any]:
    for m in MODULES:
        importlib.import_module(m)
    return ROUTES


class _SecurityHeaders:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, wrapped)


def create_app(backend: Any) -> Any:
    """The Starlette app for ``backend`` (a :class:`kedge.server.backend.Backend`, started)."""
    from kedge.server.metrics import AppMetrics
    from kedge.server.stream import Broadcaster

    if "broadcaster" not in backend.extras:
        backend.extras["broadcaster"] = Broadcaster(backend.controller.apps)
    if "apps" not in backend.extras:
        from kedge.server.appindex import SortedApps

        backend.extras["apps"] = SortedApps(backend.controller.apps)
    if "metrics" not in backend.extras:
        backend.extras["metrics"] = AppMetrics(backend)
    routes = []
    by_path: dict[str, dict[str, Any]] = {}
    for r in load_routes():
        by_path.setdefault(r.starlette_path, {})[r.method] = make_endpoint(r, backend)
    for path, methods in by_path.items():
        for method, endpoint in methods.items():
            routes.append(StarletteRoute(path, endpoint, methods=[method], name=f"{method} {path}"))
    openapi = next(e for p, m in by_path.items() if p == "/api/openapi.json" for e in m.values())
    routes.append(StarletteRoute("/swagger.json", openapi, methods=["GET"]))

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        msg = {
            404: f"no such endpoint: {request.method} {request.url.path}",
            405: f"method {request.method} is not allowed on {request.url.path}",
        }.get(status, str(getattr(exc, "detail", "error")))
        return error_response(APIError(status, msg))

    routes.append(ui_route())  # the web UI at / (after the API routes; never matches /api/...)
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.state.backend = backend
    return _SecurityHeaders(app)
