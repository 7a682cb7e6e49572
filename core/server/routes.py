"""The route table: every endpoint is declared once, with its parameters and JSON schemas, so
the OpenAPI document (``/api/openapi.json``) is generated from exactly what is served."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Param:
    """A query parameter. ``kind``: string, integer, boolean, or array (repeated string)."""

    name: str
    kind: str = "string"
    description: str = ""
    enum: tuple[str, ...] = ()
    required: bool = False

    def schema(self) -> dict[str, Any]:
        if self.kind == "array":
            return {"type": "array", "items": {"type": "string"}}
        if self.kind == "boolean":
            return {"type": "string", "enum": ["true", "false"]}
        if self.kind == "integer":
            return {"type": "string", "pattern": "^[0-9]{1,9}$"}
        s: dict[str, Any] = {"type": "string"}
        if self.enum:
            s["enum"] = list(self.enum)
        return s


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # OpenAPI style: /api/v1/applications/{name}
    handler: Callable[..., Any]
    summary: str
    tag: str
    query: tuple[Param, ...] = ()
    body: str | None = None  # component schema name of the JSON body
    body_schema: dict[str, Any] | None = None  # inline schema (e.g. a JSON string)
    response: str | None = None  # component schema name of the 200 answer
    content_type: str = "application/json"
    public: bool = False
    path_types: dict[str, str] = field(default_factory=dict)  # name -> "path" for values with "/"
    body_required: bool = True
    body_limit: int | None = None

    @property
    def starlette_path(self) -> str:
        p = self.path
        for name, conv in self.path_types.items():
            p = p.replace("{" + name + "}", "{" + name + ":" + conv + "}")
        return p


ROUTES: list[Route] = []


def route(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    query: tuple[Param, ...] | list[Param] = (),
    body: str | None = None,
    body_schema: dict[str, Any] | None = None,
    response: str | None = None,
    content_type: str = "application/json",
    public: bool = False,
    path_types: dict[str, str] | None = None,
    body_required: bool = True,
    body_limit: int | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a handler ``fn(req: APIRequest) -> dict | Response``."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        ROUTES.append(
            Route(
                method,
                path,
                fn,
                summary,
                tag,
                tuple(query),
                body,
                body_schema,
                response,
                content_type,
                public,
                dict(path_types or {}),
                body_required,
                body_limit,
            )
        )
        return fn

    return deco


# Query parameters shared by several endpoints
APP_NS = Param("appNamespace", description="Namespace of the Application (the control-plane namespace)")
PROJECT = Param("project", description="Project of the Application (checked when given)")
RESOURCE_QUERY = (
    Param("namespace", description="Namespace of the live resource"),
    Param("resourceName", description="Name of the live resource (required)"),
    Param("version", description="API version of the resource, e.g. v1 (required)"),
    Param("group", description="API group of the resource ('' for the core group)"),
    Param("kind", description="Kind of the resource (required)"),
    APP_NS,
    PROJECT,
)
