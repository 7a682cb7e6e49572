"""OpenAPI v3 documents for the served resources, and server-side unknown-field detection.

Schemas of built-in kinds are generated from the model classes of the official ``kubernetes``
Python client (its ``openapi_types``/``attribute_map`` describe every field), annotated with the
strategic-merge and list-type extensions kubectl needs to compute apply patches. Custom resources
use their CRD's ``openAPIV3Schema``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Any

import orjson

from kedge.localcluster.registry import Registry, ResourceInfo

#: (model, json field) -> (patch strategy, merge key, list-map keys); lists not named here are atomic
LIST_MERGE: dict[tuple[str, str], tuple[str, str, tuple[str, ...]]] = {
    ("V1PodSpec", "containers"): ("merge", "name", ("name",)),
    ("V1PodSpec", "initContainers"): ("merge", "name", ("name",)),
    ("V1PodSpec", "ephemeralContainers"): ("merge", "name", ("name",)),
    ("V1PodSpec", "volumes"): ("merge,retainKeys", "name", ("name",)),
    ("V1PodSpec", "imagePullSecrets"): ("merge", "name", ("name",)),
    ("V1PodSpec", "hostAliases"): ("merge", "ip", ("ip",)),
    ("V1PodSpec", "topologySpreadConstraints"): (
        "merge",
        "topologyKey",
        ("topologyKey", "whenUnsatisfiable"),
    ),
    ("V1PodSpec", "resourceClaims"): ("merge,retainKeys", "name", ("name",)),
    ("V1PodSpec", "schedulingGates"): ("merge", "name", ("name",)),
    ("V1Container", "env"): ("merge", "name", ("name",)),
    ("V1Container", "ports"): ("merge", "containerPort", ("containerPort", "protocol")),
    ("V1Container", "volumeMounts"): ("merge", "mountPath", ("mountPath",)),
    ("V1Container", "volumeDevices"): ("merge", "devicePath", ("devicePath",)),
    ("V1EphemeralContainer", "env"): ("merge", "name", ("name",)),
    ("V1EphemeralContainer", "volumeMounts"): ("merge", "mountPath", ("mountPath",)),
    ("V1ServiceSpec", "ports"): ("merge", "port", ("port", "protocol")),
    ("V1ObjectMeta", "ownerReferences"): ("merge", "uid", ("uid",)),
    ("V1PodStatus", "conditions"): ("merge", "type", ("type",)),
    ("V1DeploymentStatus", "conditions"): ("merge", "type", ("type",)),
    ("V1ReplicaSetStatus", "conditions"): ("merge", "type", ("type",)),
    ("V1StatefulSetStatus", "conditions"): ("merge", "type", ("type",)),
    ("V1DaemonSetStatus", "conditions"): ("merge", "type", ("type",)),
    ("V1NodeStatus", "conditions"): ("merge", "type", ("type",)),
    ("V1NodeStatus", "addresses"): ("merge", "type", ("type",)),
    ("V1NamespaceStatus", "conditions"): ("merge", "type", ("type",)),
    ("V1PersistentVolumeClaimStatus", "conditions"): ("merge", "type", ("type",)),
}
#: set-like lists (merge without a key)
LIST_SETS = {("V1ObjectMeta", "finalizers")}
#: fields that take an integer or a string
INT_OR_STRING = {"maxSurge", "maxUnavailable", "minAvailable", "targetPort", "port", "partition"}

_LIST = re.compile(r"^List\[(.+)\]$")
_DICT = re.compile(r"^Dict\[str, (.+)\]$")
_PRIMITIVE = {
    "str": {"type": "string"},
    "int": {"type": "integer", "format": "int64"},
    "float": {"type": "number", "format": "double"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "bytes": {"type": "string", "format": "byte"},
}


def model_name(info: ResourceInfo) -> str:
    if info.kind == "Event":
        return "EventsV1Event" if info.group else "CoreV1Event"
    return info.version.capitalize() + info.kind


def _models() -> Any:
    import kubernetes.client.models as models

    return models


def _type_schema(typ: str, owner: str, field: str, todo: list[str]) -> dict[str, Any]:
    m = _LIST.match(typ)
    if m:
        out: dict[str, Any] = {"type": "array", "items": _type_schema(m.group(1), owner, "", todo)}
        merge = LIST_MERGE.get((owner, field))
        if merge:
            out["x-kubernetes-patch-strategy"] = merge[0]
            out["x-kubernetes-patch-merge-key"] = merge[1]
            out["x-kubernetes-list-type"] = "map"
            out["x-kubernetes-list-map-keys"] = list(merge[2])
        elif (owner, field) in LIST_SETS:
            out["x-kubernetes-patch-strategy"] = "merge"
            out["x-kubernetes-list-type"] = "set"
        else:
            out["x-kubernetes-list-type"] = "atomic"
        return out
    m = _DICT.match(typ)
    if m:
        return {"type": "object", "additionalProperties": _type_schema(m.group(1), owner, "", todo)}
    if typ in _PRIMITIVE:
        if typ == "str" and field in INT_OR_STRING:
            return {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}
        return dict(_PRIMITIVE[typ])
    if typ == "object":
        if field in INT_OR_STRING:
            return {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}
        return {"x-kubernetes-preserve-unknown-fields": True}
    todo.append(typ)
    return {"allOf": [{"$ref": f"#/components/schemas/{typ}"}]}


@functools.cache
def model_schema(name: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(schema of one client model, names of the models it references)."""
    cls = getattr(_models(), name)
    todo: list[str] = []
    props = {}
    described = getattr(cls, "model_fields", {})
    for attr, typ in cls.openapi_types.items():
        field = cls.attribute_map[attr]
        props[field] = _type_schema(typ, name, field, todo)
        desc = getattr(described.get(attr), "description", None)
        if desc:
            props[field]["description"] = desc
    schema: dict[str, Any] = {"type": "object", "properties": props}
    doc = (cls.__doc__ or "").strip().splitlines()
    if doc and not doc[0].startswith("NOTE"):
        schema["description"] = doc[0]
    return schema, tuple(dict.fromkeys(todo))


def closure(roots: list[str]) -> dict[str, dict[str, Any]]:
    """Schemas of the models in ``roots`` and everything they reference."""
    out: dict[str, dict[str, Any]] = {}
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in out:
            continue
        schema, refs = model_schema(name)
        out[name] = schema
        stack.extend(r for r in refs if r not in out)
    return out


def _gvk_ext(info: ResourceInfo) -> list[dict[str, str]]:
    return [{"group": info.group, "version": info.version, "kind": info.kind}]


_WRITE_PARAMS = [
    {"name": n, "in": "query", "schema": {"type": "string"}, "description": d}
    for n, d in (
        ("dryRun", "When present, indicates that modifications should not be persisted."),
        ("fieldManager", "Name of the actor making the change."),
        ("fieldValidation", "Ignore, Warn or Strict: how to treat unknown or duplicate fields."),
    )
]
_PATCH_PARAMS = [*_WRITE_PARAMS, {"name": "force", "in": "query", "schema": {"type": "boolean"}}]
_LIST_PARAMS = [
    {"name": n, "in": "query", "schema": {"type": t}}
    for n, t in (
        ("labelSelector", "string"),
        ("fieldSelector", "string"),
        ("limit", "integer"),
        ("continue", "string"),
        ("resourceVersion", "string"),
        ("resourceVersionMatch", "string"),
        ("watch", "boolean"),
        ("allowWatchBookmarks", "boolean"),
        ("timeoutSeconds", "integer"),
    )
]


def _paths(info: ResourceInfo, ref: str) -> dict[str, Any]:
    base = f"/api/{info.version}" if not info.group else f"/apis/{info.group}/{info.version}"
    coll = f"{base}/namespaces/{{namespace}}/{info.plural}" if info.namespaced else f"{base}/{info.plural}"
    gvk = _gvk_ext(info)
    body = {"content": {"application/json": {"schema": {"$ref": ref}}}}
    resp = {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}}

    def op(action: str, op_id: str, params: list[dict[str, Any]], with_body: bool = False) -> dict[str, Any]:
        o: dict[str, Any] = {
            "operationId": op_id + info.kind,
            "parameters": params,
            "responses": resp,
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk[0],
        }
        if with_body:
            o["requestBody"] = body
        return o

    paths = {
        coll: {
            "get": op("list", "list", _LIST_PARAMS),
            "post": op("post", "create", _WRITE_PARAMS, True),
            "delete": op("deletecollection", "deleteCollection", _WRITE_PARAMS),
        },
        coll + "/{name}": {
            "get": op("get", "read", []),
            "put": op("put", "replace", _WRITE_PARAMS, True),
            "patch": op("patch", "patch", _PATCH_PARAMS, True),
            "delete": op("delete", "delete", _WRITE_PARAMS),
        },
    }
    for sub in info.subresources:
        paths[coll + "/{name}/" + sub] = {
            "get": op("get", "read" + sub.capitalize(), []),
            "put": op("put", "replace" + sub.capitalize(), _WRITE_PARAMS, True),
            "patch": op("patch", "patch" + sub.capitalize(), _PATCH_PARAMS, True),
        }
    return paths


def _crd_schema(info: ResourceInfo) -> dict[str, Any]:
    schema = orjson.loads(
        orjson.dumps(info.schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    )
    props = schema.setdefault("properties", {})
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    props["metadata"] = {"allOf": [{"$ref": "#/components/schemas/V1ObjectMeta"}]}
    schema.setdefault("type", "object")
    return schema


def crd_schema_name(info: ResourceInfo) -> str:
    rev = ".".join(reversed(info.group.split(".")))
    return f"{rev}.{info.version}.{info.kind}"


def group_version_doc(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    infos = [i for i in registry.all() if i.group == group and i.version == version]
    if not infos:
        return None
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    roots = ["V1ObjectMeta", "V1Status", "V1DeleteOptions"]
    for info in infos:
        if info.crd is None:
            name = model_name(info)
            roots.append(name)
        else:
            name = crd_schema_name(info)
            schemas[name] = {**_crd_schema(info), "x-kubernetes-group-version-kind": _gvk_ext(info)}
        paths.update(_paths(info, f"#/components/schemas/{name}"))
    for name, schema in closure(roots).items():
        schemas.setdefault(name, schema)
    for info in infos:
        if info.crd is None:
            name = model_name(info)
            schemas[name] = {**schemas[name], "x-kubernetes-group-version-kind": _gvk_ext(info)}
    schemas["V1Status"] = {
        **schemas["V1Status"],
        "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "Status"}],
    }
    title = "Kubernetes"
    return {
        "openapi": "3.0.0",
        "info": {"title": title, "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


class OpenAPICache:
    """Serialised documents, rebuilt when the set of served resources changes."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._docs: dict[str, tuple[bytes, str]] = {}
        self._schemas: dict[tuple[str, int], tuple[dict[str, Any], dict[str, Any]]] = {}
        self._sig: Any = None

    def _check(self) -> None:
        sig = tuple(sorted((i.key, id(i)) for i in self.registry.all()))
        if sig != self._sig:
            self._docs = {}
            self._sig = sig

    def doc(self, path: str) -> tuple[bytes, str] | None:
        """(JSON bytes, hash) of the document for ``api/v1`` or ``apis/<g>/<v>``."""
        self._check()
        if path not in self._docs:
            parts = path.split("/")
            if parts[0] == "api" and len(parts) == 2:
                group, version = "", parts[1]
            elif parts[0] == "apis" and len(parts) == 3:
                group, version = parts[1], parts[2]
            else:
                return None
            doc = group_version_doc(self.registry, group, version)
            if doc is None:
                return None
            raw = orjson.dumps(doc)
            self._docs[path] = (raw, hashlib.sha512(raw).hexdigest()[:32].upper())
        return self._docs[path]

    def index(self) -> bytes:
        """The /openapi/v3 index. Hashes identify a group-version's served resources (and CRD
        schemas), so they change whenever its document does, without building every document."""
        self._check()
        paths = {}
        by_gv: dict[str, list[ResourceInfo]] = {}
        for info in self.registry.all():
            by_gv.setdefault(gv_path(info.group, info.version), []).append(info)
        for p, infos in by_gv.items():
            sig = orjson.dumps(
                sorted([i.key, i.crd or "", i.schema or {}, list(i.subresources)] for i in infos),
                option=orjson.OPT_SORT_KEYS,
            )
            digest = hashlib.sha512(sig).hexdigest()[:32].upper()
            paths[p] = {"serverRelativeURL": f"/openapi/v3/{p}?hash={digest}"}
        return orjson.dumps({"paths": paths})

    def schema_for(self, info: ResourceInfo) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(root schema, components) for unknown-field checks (cached per served resource)."""
        key = (info.key, id(info))
        hit = self._schemas.get(key)
        if hit is None:
            if info.crd is not None:
                hit = (_crd_schema(info), closure(["V1ObjectMeta"]))
            else:
                name = model_name(info)
                comps = closure([name])
                hit = (comps[name], comps)
            if len(self._schemas) > 1000:
                self._schemas.clear()
            self._schemas[key] = hit
        return hit


def _resolve(schema: dict[str, Any], comps: dict[str, Any]) -> dict[str, Any]:
    while "allOf" in schema and schema["allOf"] and "$ref" in schema["allOf"][0]:
        schema = comps.get(schema["allOf"][0]["$ref"].rsplit("/", 1)[1], {})
    if "$ref" in schema:
        schema = comps.get(schema["$ref"].rsplit("/", 1)[1], {})
    return schema


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


class _Node:
    """A schema compiled for fast walking."""

    __slots__ = ("type", "props", "addl", "items", "preserve", "ios", "addl_any", "checks")

    def __init__(self) -> None:
        self.type: str | None = None
        self.props: dict[str, _Node] | None = None
        self.addl: _Node | None = None
        self.items: _Node | None = None
        self.preserve = False
        self.ios = False
        self.addl_any = False
        #: value constraints (required, enum, bounds, lengths, pattern), None when there are none
        self.checks: dict[str, Any] | None = None


_CONSTRAINTS = (
    "required",
    "enum",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
)


def _compile_checks(schema: dict[str, Any]) -> dict[str, Any] | None:
    checks = {k: schema[k] for k in _CONSTRAINTS if k in schema}
    if not checks:
        return None
    if "pattern" in checks:
        try:
            checks["pattern"] = (checks["pattern"], re.compile(checks["pattern"]))
        except (re.error, TypeError):
            del checks["pattern"]
    return checks


def _fmt(v: Any) -> str:
    return f'"{v}"' if isinstance(v, str) else json.dumps(v)


def _violations(o: Any, c: dict[str, Any], path: str) -> list[tuple[str, str, str]]:
    """(field, message, reason) for each constraint ``o`` breaks, worded as the API server does."""
    out: list[tuple[str, str, str]] = []
    if "enum" in c and isinstance(c["enum"], list) and o not in c["enum"]:
        allowed = ", ".join(_fmt(v) for v in c["enum"])
        out.append(
            (path, f"Unsupported value: {_fmt(o)}: supported values: {allowed}", "FieldValueNotSupported")
        )
    if isinstance(o, int | float) and not isinstance(o, bool):
        lo, hi = c.get("minimum"), c.get("maximum")
        if isinstance(lo, int | float) and (o < lo or (c.get("exclusiveMinimum") is True and o == lo)):
            rel = "greater than" if c.get("exclusiveMinimum") is True else "greater than or equal to"
            out.append(
                (path, f"Invalid value: {_fmt(o)}: {path} in body should be {rel} {lo}", "FieldValueInvalid")
            )
        if isinstance(hi, int | float) and (o > hi or (c.get("exclusiveMaximum") is True and o == hi)):
            rel = "less than" if c.get("exclusiveMaximum") is True else "less than or equal to"
            out.append(
                (path, f"Invalid value: {_fmt(o)}: {path} in body should be {rel} {hi}", "FieldValueInvalid")
            )
    if isinstance(o, str):
        if isinstance(c.get("minLength"), int) and len(o) < c["minLength"]:
            out.append(
                (
                    path,
                    f"Invalid value: {_fmt(o)}: {path} in body should be at least {c['minLength']} chars long",
                    "FieldValueInvalid",
                )
            )
        if isinstance(c.get("maxLength"), int) and len(o) > c["maxLength"]:
            out.append((path, f"Too long: may not be more than {c['maxLength']} bytes", "FieldValueTooLong"))
        if "pattern" in c and not c["pattern"][1].search(o):
            out.append(
                (
                    path,
                    f"Invalid value: {_fmt(o)}: {path} in body should match '{c['pattern'][0]}'",
                    "FieldValueInvalid",
                )
            )
    if isinstance(o, list):
        if isinstance(c.get("minItems"), int) and len(o) < c["minItems"]:
            out.append(
                (
                    path,
                    f"Invalid value: {len(o)}: {path} in body should have at least {c['minItems']} items",
                    "FieldValueInvalid",
                )
            )
        if isinstance(c.get("maxItems"), int) and len(o) > c["maxItems"]:
            out.append(
                (path, f"Too many: {len(o)}: must have at most {c['maxItems']} items", "FieldValueTooMany")
            )
    if isinstance(o, dict):
        for req in c.get("required") or ():
            if isinstance(req, str) and req not in o:
                field = f"{path}.{req}" if path else req
                out.append((field, "Required value", "FieldValueRequired"))
        if isinstance(c.get("minProperties"), int) and len(o) < c["minProperties"]:
            out.append(
                (
                    path,
                    f"Invalid value: {len(o)}: {path} in body should have at least {c['minProperties']} properties",
                    "FieldValueInvalid",
                )
            )
        if isinstance(c.get("maxProperties"), int) and len(o) > c["maxProperties"]:
            out.append(
                (
                    path,
                    f"Too many: {len(o)}: must have at most {c['maxProperties']} items",
                    "FieldValueTooMany",
                )
            )
    return out


_COMPILED: dict[int, tuple[dict[str, Any], _Node]] = {}


def _compile(schema: dict[str, Any], comps: dict[str, Any]) -> _Node:
    schema = _resolve(schema, comps)
    hit = _COMPILED.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    if len(_COMPILED) > 100_000:  # CRD updates leave old schemas behind; start afresh
        _COMPILED.clear()
    node = _Node()
    _COMPILED[id(schema)] = (schema, node)  # before recursing: schemas can be recursive
    node.type = schema.get("type")
    node.preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    node.ios = bool(schema.get("x-kubernetes-int-or-string"))
    node.checks = _compile_checks(schema)
    props = schema.get("properties")
    if isinstance(props, dict):
        node.props = {k: _compile(v, comps) for k, v in props.items() if isinstance(v, dict)}
    addl = schema.get("additionalProperties")
    if isinstance(addl, dict):
        node.addl = _compile(addl, comps)
    node.addl_any = addl is True
    items = schema.get("items")
    if isinstance(items, dict):
        node.items = _compile(items, comps)
    return node


def _path(p: Any) -> str:
    parts: list[str] = []
    while p is not None:
        p, key = p
        parts.append(f"[{key}]" if isinstance(key, int) else key)
    out = ""
    for part in reversed(parts):
        out += part if part.startswith("[") or not out else "." + part
    return out


def check_object(
    obj: Any,
    schema: dict[str, Any],
    comps: dict[str, Any],
    *,
    prune: bool = False,
    lenient_strings: bool = True,
    invalid: list[tuple[str, str, str]] | None = None,
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Walk ``obj`` along ``schema``: (paths of unknown fields, [(path, expected type, got)]).

    ``prune``: also delete the unknown fields (what the API server does for custom resources).
    ``invalid``: when given, collects (field, message, reason) for values breaking the schema's
    constraints (required, enum, minimum/maximum, lengths, pattern, item counts).
    Paths look like ``spec.template.spec.containers[0].foo``.
    """
    unknown: list[str] = []
    wrong: list[tuple[str, str, str]] = []
    root = _compile(schema, comps)

    def bad(o: Any, n: _Node, path: Any) -> bool:
        t = n.type
        if n.ios:
            ok = type(o) is str or (type(o) is int)
            exp = "integer or string"
        elif t is None:
            return False
        elif t == "object":
            ok = type(o) is dict
            exp = t
        elif t == "array":
            ok = type(o) is list
            exp = t
        elif t == "string":
            ok = type(o) is str or (lenient_strings and type(o) in (int, float))
            exp = t
        elif t == "integer":
            ok = type(o) is int or (type(o) is float and o.is_integer())
            exp = t
        elif t == "number":
            ok = type(o) in (int, float)
            exp = t
        elif t == "boolean":
            ok = type(o) is bool
            exp = t
        else:
            return False
        if not ok:
            wrong.append((_path(path) or "<root>", exp, _JSON_TYPES.get(type(o), type(o).__name__)))
        return not ok

    def walk(o: Any, n: _Node, path: Any) -> None:
        if o is None or len(wrong) > 50 or len(unknown) > 50:
            return
        if bad(o, n, path):
            return
        if invalid is not None and n.checks is not None:
            invalid.extend(_violations(o, n.checks, _path(path)))
        if type(o) is dict:
            props = n.props
            if props is not None:
                for k in list(o) if prune else o:
                    sub = props.get(k)
                    if sub is not None:
                        walk(o[k], sub, (path, k))
                    elif n.addl is not None:
                        walk(o[k], n.addl, (path, k))
                    elif not n.preserve and not n.addl_any:
                        unknown.append(_path((path, k)))
                        if prune:
                            del o[k]
            elif n.addl is not None:
                addl = n.addl
                for k, v in o.items():
                    walk(v, addl, (path, k))
        elif type(o) is list and n.items is not None:
            items = n.items
            for i, v in enumerate(o):
                walk(v, items, (path, i))

    walk(obj, root, None)
    return unknown, wrong


def unknown_fields(obj: Any, schema: dict[str, Any], comps: dict[str, Any]) -> list[str]:
    """Dotted paths of fields the schema does not know."""
    return check_object(obj, schema, comps)[0]
