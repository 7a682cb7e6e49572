"""Kedge's web UI: static assets (``static/``) served by the API server at ``/``.

:func:`ui_route` returns one Starlette route to append *after* the API routes. It serves
``/assets/...`` from ``static/`` and answers every other ``GET``/``HEAD`` path with
``index.html`` so client-side routes (``/applications/guestbook``) survive a reload. It never
matches the API's own namespaces (``/api/``, ``/auth/``, ``/healthz``, ``/metrics``,
``/swagger.json``) nor other methods, so the API's 404 and 405 answers are unchanged.

The assets are plain ES modules (Preact + htm, vendored under ``static/vendor/`` with their
licences): no build step and no Node.js at run time. See docs/ui.md.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
#: path prefixes that belong to the API, never to the UI
RESERVED = ("/api/", "/auth/", "/swagger.json", "/healthz", "/metrics")


def _csp(index_html: str) -> str:
    """A Content-Security-Policy that allows only Kedge's own assets and the inline import map."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in re.findall(r"<script[^>]*>(.*?)</script>", index_html, re.S)
        if m.strip()
    ]
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' " + " ".join(hashes),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'self'",
        ]
    )


class UIRoute(BaseRoute):
    """Serves the UI for every GET/HEAD path outside :data:`RESERVED`."""

    def __init__(self, static_dir: Path = STATIC) -> None:
        self.static_dir = static_dir
        self.assets = StaticFiles(directory=str(static_dir))
        self.index = static_dir / "index.html"
        self.csp = _csp(self.index.read_text(encoding="utf-8"))

    def matches(self, scope: Any) -> tuple[Match, dict[str, Any]]:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return Match.NONE, {}
        path = scope["path"]
        if path.startswith(RESERVED) or path in ("/api", "/auth"):
            return Match.NONE, {}
        return Match.FULL, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        from starlette.routing import NoMatchFound

        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        path: str = scope["path"]
        if path.startswith("/assets/"):
            sub = dict(scope, path=path[len("/assets") :], root_path="")
            response: Response
            try:
                await self.assets(sub, receive, send)
                return
            except Exception as exc:  # noqa: BLE001 - StaticFiles raises HTTPException for 404
                status = getattr(exc, "status_code", 500)
                response = Response(f"no such asset: {path}\n", status_code=status, media_type="text/plain")
                await response(scope, receive, send)
                return
        response = FileResponse(
            self.index,
            media_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-cache", "Content-Security-Policy": self.csp},
        )
        await response(scope, receive, send)


def ui_route() -> UIRoute:
    """The UI route; append it last to the API server's route list."""
    return UIRoute()
