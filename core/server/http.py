"""Turning a declared :class:`~kedge.server.routes.Route` into a Starlette endpoint: authentication,
bounded body reading, JSON schema validation of bodies and query parameters, error answers.

Handlers are plain functions ``handler(req: APIRequest)`` run in the thread pool (the Kubernetes
client blocks); coroutine handlers (streams) run on the event loop. A handler returns a dict
(answered as JSON) or a Starlette ``Response``.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import orjson
from jsonschema import Draft202012Validator
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from kedge.errors import KedgeError
from kedge.kube.client import KubeError
from kedge.server.errors import APIError
from kedge.server.routes import Route
from kedge.server.schemas import SCHEMAS

if TYPE_CHECKING:
    from kedge.server.backend import Backend

log = logging.getLogger(__name__)

#: default limit of a request body (Argo CD's gRPC limit is 100 MB; a JSON API needs far less)
DEFAULT_BODY_LIMIT = 4 * 1024 * 1024


@dataclass(frozen=True)
class Principal:
    """Who is calling: ``subject`` (user, or ``proj:<p>:<r>``), RBAC subjects (user then groups)."""

    subject: str
    subjects: tuple[str, ...]
    claims: Any = None
    anonymous: bool = False
    token: str = ""

    @property
    def issued_at(self) -> int | None:
        return getattr(self.claims, "issued_at", None)


class JSONAnswer(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def error_response(err: APIError) -> Response:
    return JSONAnswer(err.body(), status_code=err.status, headers=err.headers)


class APIRequest:
    """What a handler gets: the backend, the caller, path and query values, the parsed body."""

    def __init__(
        self, request: Request, backend: Backend, principal: Principal | None, body: Any, route: Route
    ) -> None:
        self.request = request
        self.backend = backend
        self.principal = principal
        self.body = body
        self.route = route
        self.path = request.path_params

    # -- query parameters -------------------------------------------------------------------
    def q(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def qlist(self, *names: str) -> list[str]:
        """Repeated (or comma-separated) values of one or more parameters."""
        out: list[str] = []
        for n in names:
            for v in self.request.query_params.getlist(n):
                out.extend(p for p in v.split(",") if p)
        return out

    def qbool(self, name: str, default: bool = False) -> bool:
        v = self.request.query_params.get(name)
        if v is None or v == "":
            return default
        return v.lower() == "true"

    def qint(self, name: str, default: int = 0) -> int:
        v = self.request.query_params.get(name)
        return int(v) if v not in (None, "") else default

    @property
    def username(self) -> str:
        return self.principal.subject if self.principal else ""


@cache
def _validator(name: str | None, inline: str | None) -> Draft202012Validator:
    root: dict[str, Any] = {"components": {"schemas": SCHEMAS}}
    if name:
        root["$ref"] = f"#/components/schemas/{name}"
    else:
        root.update(orjson.loads(inline or "{}"))
    return Draft202012Validator(root)


def validate_body(route: Route, body: Any) -> None:
    """Raise a 400 naming the first problem of ``body`` against the route's schema."""
    v = _validator(route.body, orjson.dumps(route.body_schema).decode() if route.body_schema else None)
    errors = sorted(v.iter_errors(body), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        e = errors[0]
        where = "body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        if e.validator == "additionalProperties":
            extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
            raise APIError(400, f"{where}: unknown field(s) {', '.join(map(repr, extra))}")
        if e.validator == "oneOf" and not e.absolute_path:
            raise APIError(400, f"{where}: expected {route.body} ({e.message})")
        raise APIError(400, f"{where}: {e.message}")


def check_query(route: Route, request: Request) -> None:
    for p in route.query:
        values = request.query_params.getlist(p.name)
        if p.required and not any(values) and p.name not in ("group", "namespace"):
            raise APIError(400, f"query parameter {p.name!r} is required")
        for v in values:
            if p.kind == "boolean" and v.lower() not in ("true", "false", ""):
                raise APIError(400, f"query parameter {p.name!r}: expected true or false, got {v!r}")
            if p.kind == "integer" and v and not (v.isdigit() and len(v) <= 9):
                raise APIError(400, f"query parameter {p.name!r}: expected a non-negative integer, got {v!r}")
            if p.enum and v and v not in p.enum:
                raise APIError(
                    400, f"query parameter {p.name!r}: expected one of {', '.join(p.enum)}, got {v!r}"
                )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything over ``limit`` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise APIError(413, f"request body too large ({declared} bytes; the limit is {limit})")
        except ValueError:
            raise APIError(400, "invalid Content-Length header") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise APIError(413, f"request body too large (over {limit} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise APIError(400, f"request body is not valid JSON: {exc}") from None


def kube_error(exc: KubeError) -> APIError:
    if exc.status == 0:
        return APIError(503, f"the cluster is unreachable: {exc}")
    if exc.status in (400, 404, 409, 422):
        return APIError(400 if exc.status == 422 else exc.status, str(exc))
    if exc.status == 403:
        return APIError(403, f"the cluster refused the request: {exc}")
    return APIError(502, f"the cluster answered {exc.status} {exc.reason}: {exc}")


def make_endpoint(route: Route, backend: Backend):
    is_async = inspect.iscoroutinefunction(route.handler)
    wants_body = route.body is not None or route.body_schema is not None

    async def endpoint(request: Request) -> Response:
        try:
            principal = backend.principal_for(request, required=not route.public)
            check_query(route, request)
            body = None
            if wants_body:
                raw = await read_body(request, route.body_limit or DEFAULT_BODY_LIMIT)
                if raw.strip():
                    body = parse_json(raw)
                    validate_body(route, body)
                elif route.body_required:
                    raise APIError(400, f"a JSON request body is required ({route.body or 'JSON'})")
            req = APIRequest(request, backend, principal, body, route)
            if is_async:
                result = await route.handler(req)
            else:
                result = await run_in_threadpool(route.handler, req)
        except APIError as exc:
            return error_response(exc)
        except KubeError as exc:
            return error_response(kube_error(exc))
        except KedgeError as exc:
            return error_response(APIError(400, str(exc)))
        except Exception:  # noqa: BLE001 - never a traceback to the caller
            log.exception("%s %s failed", request.method, request.url.path)
            return error_response(APIError(500, "internal error (see the server log)"))
        if isinstance(result, Response):
            return result
        return JSONAnswer(result if result is not None else {})

    endpoint.__name__ = route.handler.__name__
    return endpoint
