"""``/api/badge``: an SVG badge of an application's health and sync status, for READMEs.

Served without authentication only when ``statusbadge.enabled: "true"`` in argocd-cm; otherwise
(and for an unknown application) the badge says "Unknown", so it never reveals anything."""

from __future__ import annotations

from html import escape

from starlette.responses import Response

from kedge.server.http import APIRequest
from kedge.server.routes import Param, route

COLORS = {
    "Healthy": "#18be52",
    "Progressing": "#0dadea",
    "Degraded": "#E96D76",
    "Suspended": "#766f94",
    "Missing": "#f4c030",
    "Synced": "#18be52",
    "OutOfSync": "#f4c030",
    "Unknown": "#9f9f9f",
    "Not Found": "#9f9f9f",
}
CHAR = 7
PAD = 10


def _part(x: int, text: str, color: str) -> tuple[str, int]:
    w = len(text) * CHAR + 2 * PAD
    rect = f'<rect x="{x}" width="{w}" height="20" fill="{color}"/>'
    label = (
        f'<text x="{x + w / 2}" y="14" fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" '
        f'font-size="11" text-anchor="middle">{escape(text)}</text>'
    )
    return rect + label, w


def render(parts: list[tuple[str, str]]) -> str:
    x, body = 0, []
    for text, color in parts:
        svg, w = _part(x, text, color)
        body.append(svg)
        x += w
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{x}" height="20" role="img" aria-label="status">'
        f'<clipPath id="r"><rect width="{x}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)">{"".join(body)}</g></svg>'
    )


@route(
    "GET",
    "/api/badge",
    summary="SVG status badge of an application (statusbadge.enabled)",
    tag="Badge",
    public=True,
    content_type="image/svg+xml",
    query=(
        Param("name", description="The application"),
        Param("namespace"),
        Param("revision", "boolean", "Show the synced revision"),
        Param("showAppName", "boolean", "Show the application name"),
    ),
)
def badge(req: APIRequest) -> Response:
    b = req.backend
    name = req.q("name")
    health, sync, revision = "Unknown", "Unknown", ""
    app = None
    if b.settings.current.statusbadge_enabled and name:
        app = b.controller.apps.get(name)
        if app is None:
            health, sync = "Not Found", ""
        else:
            status = app.get("status") or {}
            health = (status.get("health") or {}).get("status") or "Unknown"
            sync = (status.get("sync") or {}).get("status") or "Unknown"
            revision = ((status.get("sync") or {}).get("revision") or "")[:7]
    parts: list[tuple[str, str]] = []
    if app is not None and req.qbool("showAppName"):
        parts.append((name, "#5d5d5d"))
    parts.append((health, COLORS.get(health, "#9f9f9f")))
    if sync:
        parts.append((sync, COLORS.get(sync, "#9f9f9f")))
    if revision and req.qbool("revision"):
        parts.append((revision, "#5d5d5d"))
    return Response(render(parts), media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"})
