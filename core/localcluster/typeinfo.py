"""Structural type information for the local cluster's patch machinery.

Strategic merge patch and server-side apply both need to know, for every field of an object,
whether it is a struct, a map or a list, and for lists how items are identified:

* ``atomic`` lists are replaced whole (and owned as one field by server-side apply);
* ``set`` lists hold scalars merged by value (``v:"x"`` in ``managedFields``);
* ``map`` lists hold objects identified by their key fields (``k:{"name":"x"}``).

For built-in kinds the facts come from Kubernetes' own OpenAPI definitions (generated into
``kedge.localcluster.patching._builtin_types``); for custom resources they come from the CRD's
``openAPIV3Schema`` (``x-kubernetes-list-type``, ``x-kubernetes-list-map-keys``,
``x-kubernetes-map-type``). Fields the schema does not describe are *untyped*: objects are
merged key by key and lists are atomic, as structured-merge-diff's deduced schema does.

Nodes are built once and shared; callers must treat them as read-only.
"""

from __future__ import annotations

from typing import Any

SCALAR = 0
STRUCT = 1
MAP = 2
LIST = 3
UNTYPED = 4

_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

#: Groups served by the built-in API server (strategic merge patch is accepted for these only).
BUILTIN_GROUPS = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)

# Patch strategies Kubernetes declares on non-list fields (the generated table keeps list ones).
_FIELD_STRATEGIES = {
    ("io.k8s.api.apps.v1.DeploymentSpec", "strategy"): "retainKeys",
    ("io.k8s.api.policy.v1.PodDisruptionBudgetSpec", "selector"): "replace",
}

# Defaults of list-map key fields: an item without the field is identified as if it had it
# (``k:{"containerPort":80,"protocol":"TCP"}``), as the real API server does.
_KEY_DEFAULTS = {"protocol": "TCP"}

# Struct-valued fields that a zero-valued Go object still serialises (non-pointer structs), and
# fields serialised as ``null``. They make up the "empty object" a create is compared against,
# which is why a create's managedFields carry no ``.`` for ``spec`` or ``spec.template``.
_VALUE_FIELDS = {
    "io.k8s.api.core.v1.PodTemplateSpec": ("metadata", "spec"),
    "io.k8s.api.batch.v1.JobTemplateSpec": ("metadata", "spec"),
    "io.k8s.api.apps.v1.DeploymentSpec": ("template", "strategy"),
    "io.k8s.api.apps.v1.ReplicaSetSpec": ("template",),
    "io.k8s.api.apps.v1.StatefulSetSpec": ("template", "updateStrategy"),
    "io.k8s.api.apps.v1.DaemonSetSpec": ("template", "updateStrategy"),
    "io.k8s.api.batch.v1.JobSpec": ("template",),
    "io.k8s.api.batch.v1.CronJobSpec": ("jobTemplate",),
    "io.k8s.api.core.v1.ServiceStatus": ("loadBalancer",),
    "io.k8s.api.networking.v1.IngressStatus": ("loadBalancer",),
    "io.k8s.api.core.v1.PersistentVolumeClaimSpec": ("resources",),
}
_NULL_FIELDS = {
    "io.k8s.api.core.v1.PodSpec": ("containers",),
    "io.k8s.api.apps.v1.DeploymentSpec": ("selector",),
    "io.k8s.api.apps.v1.ReplicaSetSpec": ("selector",),
    "io.k8s.api.apps.v1.StatefulSetSpec": ("selector",),
    "io.k8s.api.apps.v1.DaemonSetSpec": ("selector",),
}


class TypeNode:
    """One type in the schema graph.

    ``kind`` is SCALAR, STRUCT, MAP, LIST or UNTYPED. STRUCT has ``fields`` (name -> node; unknown
    names are UNTYPED); MAP has ``elem``; LIST has ``elem``, ``list_type`` ("atomic", "set" or
    "map"), ``keys`` (tuple of key field names for "map"), ``patch_key`` / ``patch_strategy``
    (strategic merge patch's ``patchMergeKey`` / ``patchStrategy``). ``atomic`` marks a struct or
    map owned and replaced as a whole. ``strategy`` is a patch strategy declared on a struct
    field (``retainKeys`` / ``replace``), ``name`` the definition name for built-ins.
    """

    __slots__ = (
        "kind",
        "fields",
        "elem",
        "atomic",
        "list_type",
        "keys",
        "key_defaults",
        "patch_key",
        "patch_strategy",
        "strategy",
        "name",
    )

    def __init__(self, kind: int, name: str = "") -> None:
        self.kind = kind
        self.fields: dict[str, TypeNode] = {}
        self.elem: TypeNode | None = None
        self.atomic = False
        self.list_type = "atomic"
        self.keys: tuple[str, ...] = ()
        self.key_defaults: dict[str, Any] = {}
        self.patch_key: str | None = None
        self.patch_strategy = ""
        self.strategy = ""
        self.name = name

    def child(self, name: str) -> TypeNode:
        """The type of field/key ``name`` of a struct or map (UNTYPED when unknown)."""
        if self.kind == STRUCT:
            return self.fields.get(name, UNTYPED_NODE)
        if self.kind == MAP:
            return self.elem  # type: ignore[return-value]
        return UNTYPED_NODE

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        names = {SCALAR: "scalar", STRUCT: "struct", MAP: "map", LIST: "list", UNTYPED: "untyped"}
        return f"<TypeNode {names[self.kind]} {self.name or ''}>"


UNTYPED_NODE = TypeNode(UNTYPED)
UNTYPED_NODE.elem = UNTYPED_NODE
SCALAR_NODE = TypeNode(SCALAR)

_BUILTIN: dict[str, TypeNode] | None = None
_KINDS: dict[str, str] = {}


def _decode(enc: Any, nodes: dict[str, TypeNode]) -> TypeNode:
    if enc == 0:
        return SCALAR_NODE
    if enc == 1:
        return UNTYPED_NODE
    if isinstance(enc, str):
        return nodes.get(enc, UNTYPED_NODE)
    if enc[0] == "m":
        node = TypeNode(MAP)
        node.elem = _decode(enc[1], nodes)
        node.atomic = bool(enc[2])
        return node
    _, elem, list_type, keys, patch_key, patch_strategy = enc
    node = TypeNode(LIST)
    node.elem = _decode(elem, nodes)
    node.list_type = list_type or "atomic"
    node.keys = tuple(keys or ())
    node.key_defaults = {k: v for k, v in _KEY_DEFAULTS.items() if k in node.keys}
    node.patch_key = patch_key
    node.patch_strategy = patch_strategy or ""
    return node


def _builtin() -> dict[str, TypeNode]:
    global _BUILTIN, _KINDS
    if _BUILTIN is None:
        from kedge.localcluster.patching import _builtin_types as data

        nodes = {name: TypeNode(STRUCT, name) for name in data.TYPES}
        for name, entry in data.TYPES.items():
            node = nodes[name]
            node.atomic = bool(entry.get("a"))
            for fname, enc in entry["f"].items():
                child = _decode(enc, nodes)
                strategy = _FIELD_STRATEGIES.get((name, fname))
                if strategy:
                    # A distinct node so the strategy applies to this field only.
                    copy = TypeNode(child.kind, child.name)
                    for slot in TypeNode.__slots__:
                        setattr(copy, slot, getattr(child, slot))
                    copy.strategy = strategy
                    child = copy
                node.fields[fname] = child
        _KINDS = dict(data.KINDS)
        _BUILTIN = nodes
    return _BUILTIN


def is_builtin(gvk: tuple[str, str, str]) -> bool:
    """Whether ``gvk`` belongs to a group the built-in API server serves."""
    return gvk[0] in BUILTIN_GROUPS


def builtin_root(gvk: tuple[str, str, str]) -> TypeNode | None:
    """The root type of a built-in kind, or None when the generated tables do not know it."""
    nodes = _builtin()
    name = _KINDS.get(f"{gvk[0]}/{gvk[1]}/{gvk[2]}")
    return nodes.get(name) if name else None


def object_meta() -> TypeNode:
    return _builtin()[_OBJECT_META]


_GENERIC_ROOT: TypeNode | None = None


def generic_root() -> TypeNode:
    """An object whose body is unknown: typed metadata, everything else deduced."""
    global _GENERIC_ROOT
    if _GENERIC_ROOT is None:
        node = TypeNode(STRUCT, "generic")
        node.fields = {"apiVersion": SCALAR_NODE, "kind": SCALAR_NODE, "metadata": object_meta()}
        _GENERIC_ROOT = node
    return _GENERIC_ROOT


# --- CRD schemas --------------------------------------------------------------------------

_SCHEMA_CACHE: dict[int, tuple[dict[str, Any], TypeNode]] = {}
_SCHEMA_CACHE_MAX = 512


def _from_openapi(schema: dict[str, Any]) -> TypeNode:
    if not isinstance(schema, dict):
        return UNTYPED_NODE
    if schema.get("x-kubernetes-int-or-string"):
        return SCALAR_NODE
    stype = schema.get("type")
    props = schema.get("properties")
    if stype == "array" or (stype is None and "items" in schema):
        node = TypeNode(LIST)
        node.elem = _from_openapi(schema.get("items") or {})
        node.list_type = schema.get("x-kubernetes-list-type") or "atomic"
        if node.list_type == "map":
            node.keys = tuple(schema.get("x-kubernetes-list-map-keys") or ())
            if not node.keys:
                node.list_type = "atomic"
            else:
                item_props = (schema.get("items") or {}).get("properties") or {}
                node.key_defaults = {
                    k: item_props[k]["default"]
                    for k in node.keys
                    if isinstance(item_props.get(k), dict) and "default" in item_props[k]
                }
        return node
    if stype == "object" or props is not None or "additionalProperties" in schema:
        atomic = schema.get("x-kubernetes-map-type") == "atomic"
        if props is not None:
            node = TypeNode(STRUCT)
            node.fields = {name: _from_openapi(sub) for name, sub in props.items()}
            node.atomic = atomic
            return node
        addl = schema.get("additionalProperties")
        if isinstance(addl, dict):
            node = TypeNode(MAP)
            node.elem = _from_openapi(addl)
            node.atomic = atomic
            return node
        if atomic:
            node = TypeNode(MAP)
            node.elem = UNTYPED_NODE
            node.atomic = True
            return node
        return UNTYPED_NODE
    if stype in ("string", "integer", "number", "boolean"):
        return SCALAR_NODE
    return UNTYPED_NODE


def crd_root(schema: dict[str, Any]) -> TypeNode:
    """The root type for a custom resource described by ``schema`` (its openAPIV3Schema)."""
    cached = _SCHEMA_CACHE.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    node = _from_openapi(schema)
    if node.kind != STRUCT:
        node = TypeNode(STRUCT)
    root = TypeNode(STRUCT, "custom")
    root.fields = dict(node.fields)
    root.fields["apiVersion"] = SCALAR_NODE
    root.fields["kind"] = SCALAR_NODE
    root.fields["metadata"] = object_meta()
    if len(_SCHEMA_CACHE) >= _SCHEMA_CACHE_MAX:
        _SCHEMA_CACHE.clear()
    _SCHEMA_CACHE[id(schema)] = (schema, root)
    return root


_ROOTS: dict[tuple[str, str, str], TypeNode] = {}


def root_type(gvk: tuple[str, str, str], schema: dict[str, Any] | None = None) -> TypeNode:
    """The type of a whole object of kind ``gvk`` (``schema``: a CRD's openAPIV3Schema)."""
    if schema is not None:
        return crd_root(schema)
    node = _ROOTS.get(gvk)
    if node is None:
        node = _ROOTS[tuple(gvk)] = builtin_root(gvk) or generic_root()  # type: ignore[index]
    return node


def has_status_subresource(gvk: tuple[str, str, str]) -> bool:
    """Built-in kinds with a ``status`` field serve it as a subresource."""
    root = builtin_root(gvk)
    return root is not None and "status" in root.fields


def empty_object(root: TypeNode) -> dict[str, Any]:
    """What a zero-valued Go object of this type serialises to (the "old" side of a create)."""
    out: dict[str, Any] = {}
    if root.kind != STRUCT:
        return out
    for fname in ("metadata", "spec", "status"):
        child = root.fields.get(fname)
        if child is not None and child.kind == STRUCT:
            out[fname] = _empty_struct(child, 0)
    return out


def _empty_struct(node: TypeNode, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if depth > 6:
        return out
    for fname in _NULL_FIELDS.get(node.name, ()):
        out[fname] = None
    for fname in _VALUE_FIELDS.get(node.name, ()):
        child = node.fields.get(fname)
        if child is not None and child.kind == STRUCT:
            out[fname] = _empty_struct(child, depth + 1)
    return out
