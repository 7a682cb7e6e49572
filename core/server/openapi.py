"""The OpenAPI 3.1 document, generated from the route table and the declared schemas."""

from __future__ import annotations

import re
from typing import Any

from kedge import __version__
from kedge.server.routes import ROUTES, Route
from kedge.server.schemas import SCHEMAS

_PATH_PARAM = re.compile(r"{([^}:]+)}")


def _operation(r: Route) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": r.summary,
        "tags": [r.tag],
        "operationId": f"{r.tag}_{r.handler.__name__}",
        "parameters": [],
        "responses": {},
    }
    for name in _PATH_PARAM.findall(r.path):
        op["parameters"].append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    for p in r.query:
        entry: dict[str, Any] = {"name": p.name, "in": "query", "schema": p.schema(), "required": p.required}
        if p.description:
            entry["description"] = p.description
        if p.kind == "array":
            entry["style"], entry["explode"] = "form", True
        op["parameters"].append(entry)
    if r.body or r.body_schema:
        schema = {"$ref": f"#/components/schemas/{r.body}"} if r.body else r.body_schema
        op["requestBody"] = {"required": r.body_required, "content": {"application/json": {"schema": schema}}}
    if r.content_type == "application/json":
        ok_schema = {"$ref": f"#/components/schemas/{r.response or 'Empty'}"}
        op["responses"]["200"] = {"description": "OK", "content": {"application/json": {"schema": ok_schema}}}
    elif r.content_type == "text/html":
        op["responses"]["303"] = {"description": "A redirect (SSO)"}
    else:
        op["responses"]["200"] = {
            "description": "OK",
            "content": {r.content_type: {"schema": {"type": "string"}}},
        }
    op["responses"]["default"] = {
        "description": "An error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if r.public:
        op["security"] = []
    return op


def document(server_url: str = "") -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for r in ROUTES:
        paths.setdefault(r.path, {})[r.method.lower()] = _operation(r)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Kedge API",
            "version": __version__,
            "description": "Argo CD-compatible REST API of Kedge. Authenticate with "
            "`Authorization: Bearer <token>` or the `argocd.token` cookie.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "argocd.token"},
            },
        },
        "security": [{"bearer": []}, {"cookie": []}],
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc
