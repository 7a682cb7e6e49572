"""The local cluster's HTTP API: a framework-free ASGI application speaking the Kubernetes REST protocol.

Served by uvicorn with the httptools parser (see :mod:`kedge.localcluster.cluster`). Handlers run on
the event loop and call the :class:`~kedge.localcluster.store.Store` directly: store calls are short
and synchronous, so a thread hop would cost more than it saves. Watches stream JSON lines.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import threading
from typing import Any
from urllib.parse import parse_qsl

import orjson

from kedge.localcluster import discovery, patching, tables
from kedge.localcluster.contract import ConflictError, NotFoundError, StoreError
from kedge.localcluster.openapi import OpenAPICache, check_object
from kedge.localcluster.registry import ResourceInfo
from kedge.localcluster.selectors import (
    SelectorError,
    check_field_selector,
    parse_field_selector,
    parse_label_selector,
    selector_string,
)
from kedge.localcluster.status import ApiError, status_body
from kedge.localcluster.store import Store, dumps, loads, now_rfc3339
from kedge.localcluster.watch import WatchHandler

log = logging.getLogger(__name__)

MAX_BODY = 1536 * 1024
SERVER_VERSION = {
    "major": "1",
    "minor": "34",
    "gitVersion": "v1.34.0+kedge",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.24.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}
PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
SMP = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, SMP, APPLY)


def _parse_query(qs: str) -> dict[str, str]:
    """``dict(parse_qsl(qs, keep_blank_values=True))``, without its cost when nothing is escaped."""
    if "%" in qs or "+" in qs:
        return dict(parse_qsl(qs, keep_blank_values=True))
    out: dict[str, str] = {}
    for part in qs.split("&"):
        if part:
            k, _, v = part.partition("=")
            out[k] = v
    return out


class Request:
    __slots__ = ("method", "path", "query", "headers", "body", "streaming")

    def __init__(self, scope: dict[str, Any]) -> None:
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        qs = scope.get("query_string", b"")
        self.query: dict[str, str] = _parse_query(qs.decode("latin-1")) if qs else {}
        self.headers: dict[str, str] = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.body = b""
        self.streaming = False

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true")


class APIServer(WatchHandler):
    """ASGI application over a :class:`Store`. ``token``: the bearer token clients must present."""

    def __init__(self, store: Store, token: str, address: str = "127.0.0.1:6443") -> None:
        self.store = store
        self.token = token.encode()
        self.address = address
        self.openapi = OpenAPICache(store.registry)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: int | None = None
        self.watches = 0
        self._watch_queues: set[Any] = set()
        self.closing = False

    # ------------------------------------------------------------------ ASGI entry
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
            self.loop_thread = threading.get_ident()
        req = Request(scope)
        warnings: list[str] = []
        try:
            if not self._authorized(req):
                raise ApiError(401, "Unauthorized", "Unauthorized")
            if req.method in ("POST", "PUT", "PATCH", "DELETE"):
                req.body = await self._read_body(receive, req)
            result = await self._route(req, receive, send, warnings)
            if req.streaming:
                return
            if result is None:
                return  # streamed
            code, body, ctype = result
        except StoreError as e:
            code, body, ctype = (
                e.code,
                status_body(e.code, e.reason, e.message, e.details),
                "application/json",
            )
        except (RecursionError, orjson.JSONEncodeError):  # only input nested past the encoders' limits
            if req.streaming:
                return
            code, body, ctype = (
                400,
                status_body(400, "BadRequest", "the object is nested too deeply to be processed"),
                "application/json",
            )
        except Exception as e:  # never a traceback to the client; 500 only for our own bugs
            if req.streaming:
                log.debug("watch stream %s ended: %r", req.path, e)
                return
            log.exception("internal error on %s %s", req.method, req.path)
            code, body, ctype = (
                500,
                status_body(
                    500,
                    "InternalError",
                    f"an error on the server has prevented the request from succeeding: {e}",
                ),
                "application/json",
            )
        headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
        headers.extend((b"warning", f'299 - "{w}"'.encode()) for w in warnings[:20])
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def end_watches(self) -> None:
        """End every open watch stream cleanly (clients see the stream end and re-watch); called
        from any thread before shutdown."""
        self.closing = True
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        for q in list(self._watch_queues):
            try:
                loop.call_soon_threadsafe(q.push, None)
            except RuntimeError:  # loop closed meanwhile
                return

    def _authorized(self, req: Request) -> bool:
        if req.path in PUBLIC_PATHS or req.path.startswith(("/healthz/", "/livez/", "/readyz/")):
            return True
        auth = req.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return False
        return hmac.compare_digest(auth[7:].strip().encode(), self.token)

    async def _read_body(self, receive: Any, req: Request) -> bytes:
        declared = req.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY:
            raise ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 1572864 bytes")
        chunks = []
        size = 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                break
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                raise ApiError(
                    413, "RequestEntityTooLarge", "Request entity too large: limit is 1572864 bytes"
                )
            chunks.append(chunk)
            if not msg.get("more_body"):
                break
        return b"".join(chunks)

    # ------------------------------------------------------------------ routing
    async def _route(
        self, req: Request, receive: Any, send: Any, warnings: list[str]
    ) -> tuple[int, bytes, str] | None:
        path = req.path.rstrip("/") or "/"
        if path == "/version":
            return 200, dumps(SERVER_VERSION), "application/json"
        if path in ("/healthz", "/livez", "/readyz") or path.startswith(("/healthz/", "/livez/", "/readyz/")):
            return 200, b"ok", "text/plain; charset=utf-8"
        parts = path.strip("/").split("/")
        accept = req.headers.get("accept", "")
        if parts[0] == "openapi":
            return self._openapi(parts, req)
        if parts[0] == "api":
            if len(parts) == 1:
                agg = discovery.wants_aggregated(accept)
                if agg:
                    return (
                        200,
                        dumps(discovery.aggregated(self.store.registry, True, agg)),
                        discovery.AGGREGATED_CT.replace("v=v2", f"v={agg}"),
                    )
                return 200, dumps(discovery.api_versions(self.address)), "application/json"
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis":
            if len(parts) == 1:
                agg = discovery.wants_aggregated(accept)
                if agg:
                    return (
                        200,
                        dumps(discovery.aggregated(self.store.registry, False, agg)),
                        discovery.AGGREGATED_CT.replace("v=v2", f"v={agg}"),
                    )
                return 200, dumps(discovery.api_group_list(self.store.registry)), "application/json"
            if len(parts) == 2:
                versions = self.store.registry.groups().get(parts[1])
                if not versions:
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                return 200, dumps(discovery.api_group(parts[1], versions)), "application/json"
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            if req.method != "GET":
                raise ApiError(
                    405,
                    "MethodNotAllowed",
                    f"the server does not allow this method on the requested resource ({req.method})",
                )
            doc = discovery.api_resource_list(self.store.registry, group, version)
            if doc is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return 200, dumps(doc), "application/json"
        ns: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
            ns, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        info = self.store.registry.lookup(group, version, rest[0])
        if info is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        if ns is not None and not info.namespaced:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if (
            sub
            and sub not in info.subresources
            and not (info.storage_key == "/namespaces" and sub == "finalize")
            and not (info.storage_key == "/pods" and sub == "log")
        ):
            raise ApiError(
                404, "NotFound", f"the server could not find the requested resource ({info.plural}/{sub})"
            )
        if name is not None and info.namespaced and ns is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if sub == "log" and info.storage_key == "/pods" and name is not None:
            return self._pod_log(req, info, ns, name)
        m = req.method
        if info.virtual and not (name is None and m == "POST"):
            raise ApiError(
                405,
                "MethodNotAllowed",
                f"the server does not allow this method on the requested resource ({m})",
            )
        if name is None:
            if m == "GET":
                if req.flag("watch"):
                    await self._watch(req, info, ns, receive, send)
                    return None
                return self._list(req, info, ns)
            if m == "POST":
                return self._create(req, info, ns, warnings)
            if m == "DELETE":
                return self._delete_collection(req, info, ns)
        else:
            if m == "GET":
                if req.flag("watch"):
                    req.query["fieldSelector"] = f"metadata.name={name}"
                    await self._watch(req, info, ns, receive, send)
                    return None
                return self._get(req, info, ns, name, sub)
            if m == "PUT":
                return self._update(req, info, ns, name, sub, warnings)
            if m == "PATCH":
                return self._patch(req, info, ns, name, sub, warnings)
            if m == "DELETE" and not sub:
                return self._delete(req, info, ns, name)
        raise ApiError(
            405, "MethodNotAllowed", f"the server does not allow this method on the requested resource ({m})"
        )

    # ------------------------------------------------------------------ openapi
    def _openapi(self, parts: list[str], req: Request) -> tuple[int, bytes, str]:
        if len(parts) >= 2 and parts[1] == "v3":
            if len(parts) == 2:
                return 200, self.openapi.index(), "application/json"
            doc = self.openapi.doc("/".join(parts[2:]))
            if doc is not None:
                return 200, doc[0], "application/json"
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    # ------------------------------------------------------------------ helpers
    def _decode(self, req: Request, allow_yaml: bool = True) -> dict[str, Any]:
        ctype = req.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        body = req.body
        if not body.strip():
            raise ApiError(400, "BadRequest", "the request body is empty: expected a JSON or YAML object")
        if ctype in ("application/json", "", "*/*") or ctype == APPLY or ctype.endswith("+json"):
            try:
                obj = loads(body)
            except orjson.JSONDecodeError as e:
                if ctype != APPLY:
                    raise ApiError(
                        400, "BadRequest", f"the body of the request is not valid JSON: {e}"
                    ) from None
                obj = self._yaml(body)
        elif ctype in ("application/yaml", "application/x-yaml", "text/yaml") and allow_yaml:
            obj = self._yaml(body)
        elif ctype == "application/vnd.kubernetes.protobuf":
            from kedge.localcluster.protobuf import ProtobufError, decode

            try:
                obj = decode(body)
            except ProtobufError as e:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    f"{e}: send JSON or YAML instead (for example: kubectl create ... --dry-run=client -o yaml | kubectl apply -f -)",
                ) from None
        else:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got "{ctype}")',
            )
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "the body of the request must be a JSON/YAML object")
        return obj

    @staticmethod
    def _yaml(body: bytes) -> Any:
        import yaml

        try:
            return yaml.load(body, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as e:
            raise ApiError(400, "BadRequest", f"the body of the request is not valid YAML: {e}") from None

    @staticmethod
    def _check_kind(info: ResourceInfo, obj: dict[str, Any], sub: str = "", required: bool = False) -> None:
        """The body's kind/apiVersion must match the URL; when absent they are taken from the URL
        (as the API server decodes with the endpoint's default kind), except for apply patches."""
        want_kind, want_av = ("Scale", "autoscaling/v1") if sub == "scale" else (info.kind, info.api_version)
        kind = obj.get("kind")
        av = obj.get("apiVersion")
        if not kind and not required and not av:
            obj["apiVersion"], obj["kind"] = want_av, want_kind
            return
        if not kind:
            raise ApiError(
                400,
                "BadRequest",
                f"Object 'Kind' is missing in the request body (expected kind {want_kind!r})",
            )
        if not isinstance(kind, str) or kind != want_kind:
            raise ApiError(
                400,
                "BadRequest",
                f"the kind in the request body ({kind}) does not match the kind on the URL ({want_kind})",
            )
        if (
            av
            and av != want_av
            and not (sub == "scale" and isinstance(av, str) and av.startswith("autoscaling/"))
        ):
            raise ApiError(
                400,
                "BadRequest",
                f"the API version in the data ({av}) does not match the expected API version ({want_av})",
            )

    @staticmethod
    def _dry_run(req: Request) -> bool:
        dr = req.query.get("dryRun")
        if dr is None or dr == "":
            return False
        if dr != "All":
            raise ApiError(400, "BadRequest", f'dryRun: Unsupported value: "{dr}": supported values: "All"')
        return True

    @staticmethod
    def _manager(req: Request, default: str = "") -> str:
        fm = req.query.get("fieldManager")
        if fm:
            if len(fm) > 128:
                raise ApiError(422, "Invalid", "fieldManager: Too long: may not be longer than 128")
            return fm
        if default:
            return default
        ua = req.headers.get("user-agent", "")
        return ua.split("/")[0] if ua else "unknown"

    def _validate_fields(
        self, req: Request, info: ResourceInfo, obj: dict[str, Any], warnings: list[str], sub: str = ""
    ) -> None:
        mode = req.query.get("fieldValidation", "Warn") or "Warn"
        if mode not in ("Strict", "Warn", "Ignore"):
            raise ApiError(
                400,
                "BadRequest",
                f'fieldValidation: Unsupported value: "{mode}": supported values: "Ignore", "Strict", "Warn"',
            )
        if sub == "scale":
            return
        schema = self.openapi.schema_for(info)
        if schema is None:
            return
        if not isinstance(obj.get("metadata", {}), dict):
            raise ApiError(
                400, "BadRequest", f"metadata: expected an object, got {type(obj['metadata']).__name__}"
            )
        is_cr = info.crd is not None
        # unknown fields are dropped (as decoding into the typed object drops them), after Strict has had its say
        unknown, wrong = check_object(
            obj, schema[0], schema[1], prune=mode != "Strict", lenient_strings=not is_cr
        )
        if wrong:
            details = [f"{p}: expected {exp}, got {got}" for p, exp, got in wrong]
            if is_cr:
                causes = [
                    {
                        "reason": "FieldValueTypeInvalid",
                        "message": f"Invalid value: {got}: {p} in body must be of type {exp}",
                        "field": p,
                    }
                    for p, exp, got in wrong
                ]
                raise ApiError(
                    422,
                    "Invalid",
                    f'{info.kind}.{info.group} "{(obj.get("metadata") or {}).get("name", "")}" is invalid: '
                    + "; ".join(details),
                    {
                        "name": (obj.get("metadata") or {}).get("name", ""),
                        "group": info.group,
                        "kind": info.kind,
                        "causes": causes,
                    },
                )
            raise ApiError(
                400,
                "BadRequest",
                f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: '
                + "; ".join(details),
            )
        if not unknown or mode == "Ignore":
            return
        msgs = [f'unknown field "{p}"' for p in unknown]
        if mode == "Strict":
            raise ApiError(400, "BadRequest", "strict decoding error: " + ", ".join(msgs))
        warnings.extend(m.replace('"', '\\"') for m in msgs)

    def _check_constraints(self, info: ResourceInfo, obj: dict[str, Any]) -> None:
        """A custom resource's values against its schema's constraints (required, enum, bounds,
        lengths, patterns): 422 Invalid with one cause per violation, as the API server answers."""
        if info.crd is None:
            return
        schema = self.openapi.schema_for(info)
        if schema is None:
            return
        invalid: list[tuple[str, str, str]] = []
        check_object(obj, schema[0], schema[1], lenient_strings=False, invalid=invalid)
        if invalid:
            name = (obj.get("metadata") or {}).get("name", "")
            raise ApiError(
                422,
                "Invalid",
                f'{info.kind}.{info.group} "{name}" is invalid: '
                + ", ".join(f"{f}: {m}" for f, m, _ in invalid),
                {
                    "name": name,
                    "group": info.group,
                    "kind": info.kind,
                    "causes": [{"reason": r, "message": m, "field": f} for f, m, r in invalid],
                },
            )

    def _parse_selectors(self, req: Request, info: ResourceInfo) -> tuple[list, list]:
        try:
            labels = parse_label_selector(req.query.get("labelSelector"))
            fields = parse_field_selector(req.query.get("fieldSelector"))
            check_field_selector(info.storage_key, fields, info.crd is not None)
        except SelectorError as e:
            raise ApiError(400, "BadRequest", str(e)) from None
        return labels, fields

    @staticmethod
    def _wants_table(req: Request) -> bool:
        return "as=Table" in req.headers.get("accept", "")

    @staticmethod
    def _wants_metadata(req: Request) -> bool:
        """``as=PartialObjectMetadata`` (client-go's metadata-only clients and informers)."""
        return "as=PartialObjectMetadata" in req.headers.get("accept", "")

    @staticmethod
    def _not_found(info: ResourceInfo, name: str) -> ApiError:
        qual = f"{info.plural}.{info.group}" if info.group else info.plural
        return ApiError(
            404,
            "NotFound",
            f'{qual} "{name}" not found',
            {"name": name, "group": info.group, "kind": info.plural},
        )

    def _ok(self, obj: dict[str, Any] | bytes, code: int = 200) -> tuple[int, bytes, str]:
        return code, obj if isinstance(obj, bytes) else dumps(obj), "application/json"

    def _with_details(self, e: StoreError, info: ResourceInfo, name: str) -> StoreError:
        if e.details is None and e.code in (404, 409):
            e.details = {"name": name, "group": info.group, "kind": info.plural}
        return e

    # ------------------------------------------------------------------ reads
    def _get(
        self, req: Request, info: ResourceInfo, ns: str | None, name: str, sub: str
    ) -> tuple[int, bytes, str]:
        raw = self.store.get_raw(info, ns, name)
        if raw is None:
            raise self._not_found(info, name)
        if sub == "scale":
            return self._ok(self._scale_of(info, loads(raw)))
        if self._wants_table(req):
            obj = loads(raw)
            t = tables.table(
                info,
                [obj],
                {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                req.query.get("includeObject", "Metadata"),
            )
            return 200, dumps(t), "application/json;as=Table;v=v1;g=meta.k8s.io"
        if self._wants_metadata(req):
            return 200, partial_metadata(raw), PARTIAL_CT
        return 200, raw, "application/json"

    def _list(self, req: Request, info: ResourceInfo, ns: str | None) -> tuple[int, bytes, str]:
        labels, fields = self._parse_selectors(req, info)
        limit_s = req.query.get("limit", "")
        try:
            limit = int(limit_s) if limit_s else 0
        except ValueError:
            raise ApiError(
                400, "BadRequest", f"limit: Invalid value: {limit_s!r}: must be an integer"
            ) from None
        start = None
        token = req.query.get("continue")
        if token:
            try:
                data = loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
                start = (data["start"][0], data["start"][1])
            except Exception:
                raise ApiError(
                    400,
                    "BadRequest",
                    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                ) from None
        self._check_rv_param(req)
        raws, rv, last, remaining = self.store.list_raw(info, ns, labels, fields, max(limit, 0), start)
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if last is not None:
            meta["continue"] = (
                base64.urlsafe_b64encode(dumps({"rv": rv, "start": list(last)})).decode().rstrip("=")
            )
            if remaining is not None:
                meta["remainingItemCount"] = remaining
        if self._wants_table(req):
            t = tables.table(info, [loads(r) for r in raws], meta, req.query.get("includeObject", "Metadata"))
            return 200, dumps(t), "application/json;as=Table;v=v1;g=meta.k8s.io"
        if self._wants_metadata(req):
            head = (
                b'{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":'
                + dumps(meta)
                + b',"items":['
            )
            return (
                200,
                head + b",".join(partial_metadata(r) for r in raws) + b"]}",
                PARTIAL_CT.replace("PartialObjectMetadata", "PartialObjectMetadataList"),
            )
        head = (
            b'{"kind":"'
            + info.list_kind.encode()
            + b'","apiVersion":"'
            + info.api_version.encode()
            + b'","metadata":'
            + dumps(meta)
            + b',"items":['
        )
        return 200, head + b",".join(raws) + b"]}", "application/json"

    def _check_rv_param(self, req: Request) -> None:
        rv = req.query.get("resourceVersion", "")
        match = req.query.get("resourceVersionMatch", "")
        if match and match not in ("Exact", "NotOlderThan"):
            raise ApiError(
                400,
                "BadRequest",
                f'resourceVersionMatch: Unsupported value: "{match}": supported values: "Exact", "NotOlderThan"',
            )
        if match and not rv:
            raise ApiError(
                422,
                "Invalid",
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            )
        if rv and rv != "0":
            try:
                n = int(rv)
            except ValueError:
                raise ApiError(
                    400, "BadRequest", f'resourceVersion: Invalid value: "{rv}": must be an integer'
                ) from None
            if match == "Exact" and n != self.store.resource_version:
                raise ApiError(
                    410, "Expired", f"too old resource version: {n} ({self.store.resource_version})"
                )

    # ------------------------------------------------------------------ writes
    def _review(self, req: Request, info: ResourceInfo) -> tuple[int, bytes, str]:
        """Access reviews: the token holder is cluster-admin, so everything is allowed."""
        try:
            spec = self._decode(req).get("spec") or {}
        except StoreError:  # protobuf or empty bodies: the answer does not depend on them
            spec = {}
        if info.kind == "SelfSubjectAccessReview":
            status: dict[str, Any] = {
                "allowed": True,
                "reason": "the local cluster's token grants everything",
            }
        elif info.kind == "SelfSubjectRulesReview":
            status = {
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": False,
            }
        else:
            status = {
                "userInfo": {
                    "username": "kedge-local-admin",
                    "groups": ["system:masters", "system:authenticated"],
                }
            }
        body = {
            "kind": info.kind,
            "apiVersion": info.api_version,
            "metadata": {"creationTimestamp": None},
            "status": status,
        }
        if spec:
            body["spec"] = spec
        return 201, dumps(body), "application/json"

    def _create(
        self, req: Request, info: ResourceInfo, ns: str | None, warnings: list[str]
    ) -> tuple[int, bytes, str]:
        if info.virtual:
            return self._review(req, info)
        obj = self._decode(req)
        self._check_kind(info, obj)
        dry = self._dry_run(req)
        self._validate_fields(req, info, obj, warnings)
        meta = obj.get("metadata")
        if meta is not None and not isinstance(meta, dict):
            raise ApiError(400, "BadRequest", "metadata must be an object")
        if info.namespaced and ns is None:
            raise ApiError(
                404,
                "NotFound",
                "the server could not find the requested resource: namespaced resources are created under /namespaces/<ns>/",
            )
        self._check_constraints(info, obj)
        try:
            created = self.store.create_info(
                info, obj, self._manager(req), namespace=ns, dry_run=dry, copy=False
            )
        except StoreError as e:
            name = (obj.get("metadata") or {}).get("name") or ""
            raise self._with_details(e, info, name) from None
        return self._ok(created, 201)

    def _update(
        self, req: Request, info: ResourceInfo, ns: str | None, name: str, sub: str, warnings: list[str]
    ) -> tuple[int, bytes, str]:
        obj = self._decode(req)
        self._check_kind(info, obj, sub)
        dry = self._dry_run(req)
        manager = self._manager(req)
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = obj["metadata"] = {}
        if meta.get("name") and meta["name"] != name:
            raise ApiError(
                400,
                "BadRequest",
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})",
            )
        if sub == "scale":
            return self._write_scale(info, ns, name, obj, manager, dry)
        if sub == "finalize":
            sub = ""
        self._validate_fields(req, info, obj, warnings)
        self._check_constraints(info, obj)
        try:
            out = self.store.update_info(
                info, obj, sub, manager, namespace=ns, name=name, dry_run=dry, copy=False
            )
        except StoreError as e:
            raise self._with_details(e, info, name) from None
        return self._ok(out)

    def _patch(
        self, req: Request, info: ResourceInfo, ns: str | None, name: str, sub: str, warnings: list[str]
    ) -> tuple[int, bytes, str]:
        ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in PATCH_TYPES:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f'the body of the request was in an unknown format - accepted media types include: {", ".join(PATCH_TYPES)} (got "{ctype}")',
            )
        dry = self._dry_run(req)
        if ctype == APPLY:
            return self._apply(req, info, ns, name, sub, dry, warnings)
        manager = self._manager(req)
        if not req.body.strip():
            raise ApiError(400, "BadRequest", "the patch body is empty")
        for _attempt in range(5):
            raw = self.store.get_raw(info, ns, name)
            if raw is None:
                raise self._not_found(info, name)
            live = loads(raw)
            target = self._scale_of(info, live) if sub == "scale" else live
            try:
                new = patching.apply_patch(
                    target,
                    req.body,
                    ctype,
                    ("autoscaling", "v1", "Scale") if sub == "scale" else info.gvk,
                    info.schema,
                )
            except patching.PatchError as e:
                raise self._patch_error(e, info, name) from None
            if not isinstance(new, dict):
                raise ApiError(422, "Invalid", "the patch result is not an object")
            if sub == "scale":
                smeta = new.get("metadata")
                pinned = isinstance(smeta, dict) and smeta.get("resourceVersion") not in (
                    None,
                    "",
                    live["metadata"]["resourceVersion"],
                )
                try:
                    return self._write_scale(info, ns, name, new, manager, dry, live)
                except ConflictError:
                    if pinned:
                        raise
                    continue  # a controller wrote meanwhile: patch the fresh object
            self._validate_fields(req, info, new, warnings)
            self._check_constraints(info, new)
            want_rv = (new.get("metadata") or {}).get("resourceVersion")
            explicit = bool(want_rv) and want_rv != live["metadata"].get("resourceVersion")
            try:
                out = self.store.update_info(
                    info,
                    new,
                    sub,
                    manager,
                    namespace=ns,
                    name=name,
                    dry_run=dry,
                    operation="Update",
                    expected_rv=want_rv or live["metadata"]["resourceVersion"],
                    copy=False,
                )
            except ConflictError as e:
                if explicit:
                    raise self._with_details(e, info, name) from None
                continue
            except StoreError as e:
                raise self._with_details(e, info, name) from None
            return self._ok(out)
        raise ApiError(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {info.plural} "{name}": too many concurrent writes, try again',
        )

    def _apply(
        self,
        req: Request,
        info: ResourceInfo,
        ns: str | None,
        name: str,
        sub: str,
        dry: bool,
        warnings: list[str],
    ) -> tuple[int, bytes, str]:
        manager = req.query.get("fieldManager")
        if not manager:
            raise ApiError(
                400,
                "BadRequest",
                "PATCH request must use the fieldManager query parameter when applying (application/apply-patch+yaml)",
            )
        force = req.flag("force")
        applied = self._decode(req)
        self._check_kind(info, applied, sub, required=True)
        meta = applied.get("metadata")
        if not isinstance(meta, dict):
            meta = applied["metadata"] = {}
        if meta.get("name") and meta["name"] != name:
            raise ApiError(
                400,
                "BadRequest",
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})",
            )
        meta["name"] = name
        if info.namespaced and meta.get("namespace") and meta["namespace"] != ns:
            raise ApiError(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the request",
            )
        self._validate_fields(req, info, applied, warnings)
        for _attempt in range(5):
            raw = self.store.get_raw(info, ns, name)
            live = loads(raw) if raw is not None else None
            if live is None and sub:
                raise self._not_found(info, name)
            now = now_rfc3339()
            try:
                new = patching.server_side_apply(
                    live, applied, manager, force, info.gvk, now, info.schema, sub
                )
            except patching.PatchError as e:
                raise self._patch_error(e, info, name) from None
            self._check_constraints(info, new)
            if live is not None and info.crd is None and new == live:
                # nothing changed (the common re-apply of unchanged manifests): the store would
                # find the same and answer the stored object, so answer it without the round trip
                # (built-ins only: a custom resource may be stored in another version than asked)
                return self._ok(raw)  # type: ignore[arg-type]
            try:
                if live is None:
                    out = self.store.create_info(
                        info, new, manager, namespace=ns, dry_run=dry, record_manager=False, copy=False
                    )
                    return self._ok(out, 201)
                out = self.store.update_info(
                    info,
                    new,
                    sub,
                    manager,
                    namespace=ns,
                    name=name,
                    dry_run=dry,
                    record_manager=False,
                    expected_rv=live["metadata"]["resourceVersion"],
                    copy=False,
                )
            except (ConflictError, NotFoundError):
                continue
            except StoreError as e:
                if e.reason == "AlreadyExists":
                    continue
                raise self._with_details(e, info, name) from None
            return self._ok(out)
        raise ApiError(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {info.plural} "{name}": too many concurrent writes, try again',
        )

    @staticmethod
    def _patch_error(e: Any, info: ResourceInfo, name: str) -> ApiError:
        details: dict[str, Any] | None = None
        if getattr(e, "causes", None):
            details = {
                "name": name,
                "group": info.group,
                "kind": info.kind,
                "causes": [
                    {
                        "reason": c.get("type", "FieldValueInvalid"),
                        "message": c.get("message", ""),
                        "field": c.get("field", ""),
                    }
                    for c in e.causes
                ],
            }
        return ApiError(
            getattr(e, "code", 422), getattr(e, "reason", "Invalid"), getattr(e, "message", str(e)), details
        )

    def _pod_log(self, req: Request, info: ResourceInfo, ns: str | None, name: str) -> tuple[int, bytes, str]:
        """``pods/log``: simulated containers write nothing, so a valid request gets empty text."""
        if req.method != "GET":
            raise ApiError(
                405,
                "MethodNotAllowed",
                f"the server does not allow this method on the requested resource ({req.method})",
            )
        raw = self.store.get_raw(info, ns, name)
        if raw is None:
            raise self._not_found(info, name)
        pod = loads(raw)
        spec = pod.get("spec") or {}
        names = [
            c.get("name")
            for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
            if isinstance(c, dict)
        ]
        container = req.query.get("container")
        if container and container not in names:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
        if not container and len(names) > 1:
            raise ApiError(
                400,
                "BadRequest",
                f"a container name must be specified for pod {name}, choose one of: [{' '.join(str(n) for n in names)}]",
            )
        return 200, b"", "text/plain"

    # ------------------------------------------------------------------ scale
    def _scale_of(self, info: ResourceInfo, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        spec_path, status_path, sel_path = info.scale_paths or (".spec.replicas", ".status.replicas", "")
        replicas = _get_path(obj, spec_path)
        scale: dict[str, Any] = {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in meta
            },
            "spec": {"replicas": replicas if replicas is not None else (1 if info.crd is None else 0)},
            "status": {"replicas": _get_path(obj, status_path) or 0},
        }
        if info.crd is None:
            sel = selector_string((obj.get("spec") or {}).get("selector"))
            if sel:
                scale["status"]["selector"] = sel
        elif sel_path:
            sel = _get_path(obj, sel_path)
            if sel:
                scale["status"]["selector"] = sel
        return scale

    def _write_scale(
        self,
        info: ResourceInfo,
        ns: str | None,
        name: str,
        scale: dict[str, Any],
        manager: str,
        dry: bool,
        live: dict[str, Any] | None = None,
    ) -> tuple[int, bytes, str]:
        spec = scale.get("spec")
        replicas = spec.get("replicas") if isinstance(spec, dict) else None
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError(
                422,
                "Invalid",
                f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas!r}: must be greater than or equal to 0',
                {
                    "name": name,
                    "group": "autoscaling",
                    "kind": "Scale",
                    "causes": [
                        {
                            "reason": "FieldValueInvalid",
                            "message": "must be greater than or equal to 0",
                            "field": "spec.replicas",
                        }
                    ],
                },
            )
        if live is None:
            raw = self.store.get_raw(info, ns, name)
            if raw is None:
                raise self._not_found(info, name)
            live = loads(raw)
        smeta = scale.get("metadata")
        want_rv = (smeta.get("resourceVersion") if isinstance(smeta, dict) else None) or live["metadata"][
            "resourceVersion"
        ]
        new = loads(dumps(live))
        spec_path = info.scale_paths[0] if info.scale_paths else ".spec.replicas"
        _set_path(new, spec_path, replicas)
        try:
            out = self.store.update_info(
                info, new, "", manager, namespace=ns, name=name, dry_run=dry, expected_rv=str(want_rv)
            )
        except StoreError as e:
            raise self._with_details(e, info, name) from None
        return self._ok(self._scale_of(info, out))

    # ------------------------------------------------------------------ delete
    def _delete_options(self, req: Request) -> dict[str, Any]:
        opts: dict[str, Any] = {}
        if req.body.strip():
            try:
                opts = loads(req.body)
            except orjson.JSONDecodeError:
                opts = self._yaml(req.body)
            if not isinstance(opts, dict):
                raise ApiError(400, "BadRequest", "DeleteOptions must be an object")
        for k in ("propagationPolicy", "dryRun", "gracePeriodSeconds"):
            if k in req.query:
                opts[k] = req.query[k] if k != "dryRun" else [req.query[k]]
        if req.query.get("orphanDependents") == "true" or opts.get("orphanDependents") is True:
            opts.setdefault("propagationPolicy", "Orphan")
        dr = opts.get("dryRun")
        if dr:
            if dr not in (["All"], "All"):
                raise ApiError(
                    400, "BadRequest", f'dryRun: Unsupported value: "{dr}": supported values: "All"'
                )
            opts["dryRun"] = True
        else:
            opts["dryRun"] = False
        return opts

    def _delete(self, req: Request, info: ResourceInfo, ns: str | None, name: str) -> tuple[int, bytes, str]:
        opts = self._delete_options(req)
        try:
            obj, gone = self.store.delete_info(
                info,
                ns,
                name,
                opts.get("propagationPolicy"),
                dry_run=opts["dryRun"],
                preconditions=opts.get("preconditions"),
            )
        except StoreError as e:
            raise self._with_details(e, info, name) from None
        return self._ok(obj, 200 if gone else 202)

    def _delete_collection(self, req: Request, info: ResourceInfo, ns: str | None) -> tuple[int, bytes, str]:
        labels, fields = self._parse_selectors(req, info)
        opts = self._delete_options(req)
        raws = self.store.delete_collection(
            info, ns, labels, fields, opts.get("propagationPolicy"), opts["dryRun"]
        )
        head = (
            b'{"kind":"'
            + info.list_kind.encode()
            + b'","apiVersion":"'
            + info.api_version.encode()
            + b'","metadata":{"resourceVersion":"'
            + str(self.store.resource_version).encode()
            + b'"},"items":['
        )
        return 200, head + b",".join(raws) + b"]}", "application/json"


PARTIAL_CT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"


def partial_metadata(raw: bytes) -> bytes:
    """The PartialObjectMetadata form of a stored object."""
    return dumps(
        {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": loads(raw).get("metadata", {}),
        }
    )


def _get_path(obj: dict[str, Any], path: str) -> Any:
    cur: Any = obj
    for p in path.strip(".").split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    parts = path.strip(".").split(".")
    cur = obj
    for p in parts[:-1]:
        nxt = cur.get(p)
        if not isinstance(nxt, dict):
            nxt = cur[p] = {}
        cur = nxt
    cur[parts[-1]] = value


__all__ = ["APIServer", "Request", "status_body"]
