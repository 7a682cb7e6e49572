"""Schema-aware walks over objects, as structured-merge-diff performs them for server-side
apply: the field set of an applied configuration, merging it into the live object, comparing two
objects, and removing paths.

Objects are plain JSON data (dict/list/str/int/float/bool/None). Every function returns fresh
containers for whatever it builds; inputs are never mutated (``remove_paths`` works in place on
an object the caller owns).
"""

from __future__ import annotations

import json
from typing import Any

from kedge.localcluster.patching.errors import PatchError
from kedge.localcluster.patching.fieldsets import FieldSet, path_string
from kedge.localcluster.typeinfo import LIST, MAP, SCALAR, STRUCT, UNTYPED, TypeNode

_MISSING = object()
_LEAF: FieldSet = {}


def deep_copy(value: Any) -> Any:
    """A fast copy of JSON data."""
    if isinstance(value, dict):
        return {k: deep_copy(v) if isinstance(v, dict | list) else v for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) if isinstance(v, dict | list) else v for v in value]
    return value


class TypedError(Exception):
    """A value does not fit its schema (raised with the field path)."""

    def __init__(self, path: tuple[str, ...], message: str) -> None:
        super().__init__(f"{path_string(path)}: {message}")
        self.path = path


# --- list item identity ------------------------------------------------------------------


def _item_element(t: TypeNode, item: Any, index: int, strict: bool, path: tuple[str, ...]) -> str:
    """The path element of list item ``item`` of a non-atomic list of type ``t``."""
    if t.list_type == "set":
        return "v:" + json.dumps(item, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if not isinstance(item, dict):
        if strict:
            raise TypedError(path, f"element {index}: expected map, got {json.dumps(item)}")
        return f"i:{index}"
    keys = t.keys
    if len(keys) == 1:
        k = keys[0]
        v = item.get(k, _MISSING)
        if v is _MISSING or v is None:
            v = t.key_defaults.get(k, _MISSING)
            if v is _MISSING:
                if strict:
                    raise TypedError(
                        path,
                        f'element {index}: associative list with keys has an element that omits key field "{k}" '
                        "(and doesn't have default value)",
                    )
                return f"i:{index}"
        return "k:{" + json.dumps(k) + ":" + json.dumps(v, separators=(",", ":"), ensure_ascii=False) + "}"
    values = {}
    for k in sorted(keys):
        v = item.get(k, _MISSING)
        if v is _MISSING or v is None:
            v = t.key_defaults.get(k, _MISSING)
            if v is _MISSING:
                if strict:
                    raise TypedError(
                        path,
                        f'element {index}: associative list with keys has an element that omits key field "{k}" '
                        "(and doesn't have default value)",
                    )
                return f"i:{index}"
        values[k] = v
    return "k:" + json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def _index_items(
    t: TypeNode, items: list[Any], strict: bool, path: tuple[str, ...]
) -> tuple[list[str], dict[str, Any]]:
    order: list[str] = []
    seen: dict[str, Any] = {}
    for i, item in enumerate(items):
        pe = _item_element(t, item, i, strict, path)
        if pe in seen:
            if strict:
                raise TypedError(path, f"duplicate entries for key {path_string((pe,))}")
            continue
        seen[pe] = item
        order.append(pe)
    return order, seen


def _is_granular_list(t: TypeNode) -> bool:
    return t.kind == LIST and t.list_type != "atomic"


# --- field set of a value ----------------------------------------------------------------


def to_field_set(value: dict[str, Any], t: TypeNode, path: tuple[str, ...] = ()) -> FieldSet:
    """The fields an applied configuration sets (``ToFieldSet``): leaves, atomic lists/maps as
    one field, associative/set list items with their ``.`` marker, untyped map keys as members.
    Raises TypedError for values that do not fit the schema."""
    out: FieldSet = {}
    fields = t.fields if t.kind == STRUCT else None
    for key, v in value.items():
        ct = fields.get(key) if fields is not None else None
        declared = ct is not None
        if ct is None:
            ct = t.child(key)
        child = _tfs_value(v, ct, (*path, "f:" + key))
        if child is _LEAF:
            out["f:" + key] = {}
        elif not child:
            if not declared:
                out["f:" + key] = {}
        else:
            out["f:" + key] = child if declared else {".": {}, **child}
    return out


def _tfs_value(v: Any, t: TypeNode, path: tuple[str, ...]) -> FieldSet | None:
    """_LEAF for a member leaf, a dict of children (maybe empty) otherwise."""
    kind = t.kind
    if isinstance(v, dict):
        if kind == LIST:
            raise TypedError(path, "expected list, got map")
        if kind == SCALAR or t.atomic:
            return _LEAF
        return to_field_set(v, t, path)
    if isinstance(v, list):
        if kind == STRUCT or kind == MAP:
            raise TypedError(path, "expected map, got list")
        if kind != LIST or t.list_type == "atomic":
            return _LEAF
        order, items = _index_items(t, v, True, path)
        elem = t.elem
        out: FieldSet = {}
        for pe in order:
            item = items[pe]
            if isinstance(item, dict) and elem is not None and elem.kind in (STRUCT, MAP, UNTYPED):
                sub = to_field_set(item, elem, (*path, pe))
                out[pe] = {".": {}, **sub} if sub else {}
            else:
                out[pe] = {}
        return out
    if v is not None and kind in (LIST, STRUCT, MAP):
        expected = "list" if kind == LIST else "map"
        raise TypedError(path, f"expected {expected}, got {type(v).__name__} {json.dumps(v)}")
    return _LEAF


# --- merge (apply) -----------------------------------------------------------------------


def merge(live: Any, config: Any, t: TypeNode) -> Any:
    """``config`` merged into ``live`` (config wins on leaves; granular maps, structs and
    associative/set lists merge). ``live`` may be ``_MISSING``. Returns fresh containers."""
    if isinstance(config, dict):
        if isinstance(live, dict) and not t.atomic and t.kind != LIST:
            out = {k: (deep_copy(v) if isinstance(v, dict | list) else v) for k, v in live.items()}
            fields = t.fields if t.kind == STRUCT else None
            for key, cv in config.items():
                if cv is None:
                    out.pop(key, None)
                    continue
                ct = fields.get(key) if fields is not None else None
                if ct is None:
                    ct = t.child(key)
                lv = live.get(key, _MISSING)
                out[key] = merge(lv, cv, ct) if lv is not _MISSING else _clean(cv)
            return out
        return _clean(config)
    if isinstance(config, list):
        if isinstance(live, list) and live and _is_granular_list(t):
            return _merge_list(live, config, t)
        return _clean(config)
    return config


def _clean(value: Any) -> Any:
    """Copy of an applied value with null map entries dropped."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _merge_list(live: list[Any], config: list[Any], t: TypeNode) -> list[Any]:
    lorder, lmap = _index_items(t, live, False, ())
    rorder, rmap = _index_items(t, config, False, ())
    elem = t.elem or _UNTYPED()
    shared = [pe for pe in rorder if pe in lmap]
    si = 0
    next_shared = shared[0] if shared else None
    out: list[Any] = []
    merged_r: set[str] = set()
    li = ri = 0
    nl, nr = len(lorder), len(rorder)
    while li < nl or ri < nr:
        if li < nl and ri < nr:
            pe = lorder[li]
            if pe == rorder[ri]:
                out.append(merge(lmap[pe], rmap[pe], elem))
                merged_r.add(pe)
                li += 1
                ri += 1
                si += 1
                next_shared = shared[si] if si < len(shared) else None
                continue
            if pe in rmap and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < nl:
            pe = lorder[li]
            if pe not in rmap:
                out.append(deep_copy(lmap[pe]))
                li += 1
                continue
            if pe in merged_r:
                li += 1
                continue
        if ri < nr:
            pe = rorder[ri]
            merged_r.add(pe)
            lv = lmap.get(pe, _MISSING)
            out.append(merge(lv, rmap[pe], elem) if lv is not _MISSING else _clean(rmap[pe]))
            ri += 1
            if next_shared is not None and next_shared == pe:
                si += 1
                next_shared = shared[si] if si < len(shared) else None
    return out


def _UNTYPED() -> TypeNode:
    from kedge.localcluster.typeinfo import UNTYPED_NODE

    return UNTYPED_NODE


# --- compare -----------------------------------------------------------------------------


class Comparison:
    """Paths added, modified and removed going from one object to another."""

    __slots__ = ("added", "modified", "removed")

    def __init__(self) -> None:
        self.added: FieldSet = {}
        self.modified: FieldSet = {}
        self.removed: FieldSet = {}

    def changed(self) -> FieldSet:
        """Added or modified paths (what a writer takes ownership of)."""
        from kedge.localcluster.patching.fieldsets import union

        return union(self.added, self.modified)


def compare(old: dict[str, Any], new: dict[str, Any], t: TypeNode) -> Comparison:
    c = Comparison()
    _cmp_map(old, new, t, c.added, c.modified, c.removed)
    return c


def _all(value: Any, t: TypeNode, out: FieldSet) -> None:
    """Every path of ``value`` (recursive), for wholly added or removed subtrees."""
    if isinstance(value, dict):
        if t.atomic or t.kind in (LIST, SCALAR) or not value:
            return
        for k, v in value.items():
            ct = t.child(k)
            sub: FieldSet = {}
            _all(v, ct, sub)
            out["f:" + k] = {".": {}, **sub} if sub and _is_container(v, ct) else sub
    elif isinstance(value, list):
        if not value or not _is_granular_list(t):
            return
        order, items = _index_items(t, value, False, ())
        elem = t.elem
        for pe in order:
            sub = {}
            if elem is not None:
                _all(items[pe], elem, sub)
            out[pe] = {".": {}, **sub} if sub else {}


def _is_container(v: Any, t: TypeNode) -> bool:
    if isinstance(v, dict):
        return bool(v) and not t.atomic and t.kind not in (LIST, SCALAR)
    if isinstance(v, list):
        return bool(v) and _is_granular_list(t)
    return False


def _cmp_value(
    pe: str,
    lv: Any,
    rv: Any,
    t: TypeNode,
    added: FieldSet,
    modified: FieldSet,
    removed: FieldSet,
) -> None:
    if lv is _MISSING:
        sub: FieldSet = {}
        _all(rv, t, sub)
        added[pe] = {".": {}, **sub} if sub else {}
        return
    if rv is _MISSING:
        sub = {}
        _all(lv, t, sub)
        removed[pe] = {".": {}, **sub} if sub else {}
        return
    if lv is rv:
        return
    ldict, rdict = isinstance(lv, dict), isinstance(rv, dict)
    if (
        (ldict or lv is None)
        and (rdict or rv is None)
        and (lv or rv)
        and not t.atomic
        and t.kind not in (LIST, SCALAR)
    ):
        a: FieldSet = {}
        m: FieldSet = {}
        r: FieldSet = {}
        _cmp_map(lv or {}, rv or {}, t, a, m, r)
        if a:
            added[pe] = a
        if m:
            modified[pe] = m
        if r:
            removed[pe] = r
        return
    llist, rlist = isinstance(lv, list), isinstance(rv, list)
    if (llist or lv is None) and (rlist or rv is None) and (lv or rv) and _is_granular_list(t):
        a, m, r = {}, {}, {}
        _cmp_list(lv or [], rv or [], t, a, m, r)
        if a:
            added[pe] = a
        if m:
            modified[pe] = m
        if r:
            removed[pe] = r
        return
    if lv != rv or type(lv) is not type(rv):
        modified[pe] = {}


def _cmp_map(
    lhs: dict[str, Any],
    rhs: dict[str, Any],
    t: TypeNode,
    added: FieldSet,
    modified: FieldSet,
    removed: FieldSet,
) -> None:
    fields = t.fields if t.kind == STRUCT else None
    for k, rv in rhs.items():
        lv = lhs.get(k, _MISSING)
        if lv is rv:
            continue
        ct = fields.get(k) if fields is not None else None
        if ct is None:
            ct = t.child(k)
        _cmp_value("f:" + k, lv, rv, ct, added, modified, removed)
    for k, lv in lhs.items():
        if k not in rhs:
            ct = fields.get(k) if fields is not None else None
            if ct is None:
                ct = t.child(k)
            _cmp_value("f:" + k, lv, _MISSING, ct, added, modified, removed)


def _cmp_list(
    lhs: list[Any],
    rhs: list[Any],
    t: TypeNode,
    added: FieldSet,
    modified: FieldSet,
    removed: FieldSet,
) -> None:
    lorder, lmap = _index_items(t, lhs, False, ())
    rorder, rmap = _index_items(t, rhs, False, ())
    elem = t.elem or _UNTYPED()
    for pe in rorder:
        _cmp_value(pe, lmap.get(pe, _MISSING), rmap[pe], elem, added, modified, removed)
    for pe in lorder:
        if pe not in rmap:
            _cmp_value(pe, lmap[pe], _MISSING, elem, added, modified, removed)


# --- removal -----------------------------------------------------------------------------


def remove_paths(obj: dict[str, Any], fs: FieldSet, t: TypeNode) -> None:
    """Remove every member path of ``fs`` from ``obj`` in place (a list item path removes the
    whole item). Maps and structs left empty by a removal are dropped too."""
    _remove_in_map(obj, fs, t)


def _remove_in_map(obj: dict[str, Any], fs: FieldSet, t: TypeNode) -> None:
    for pe, child in fs.items():
        if pe == "." or not pe.startswith("f:"):
            continue
        key = pe[2:]
        if key not in obj:
            continue
        if not child or "." in child:
            del obj[key]
            continue
        v = obj[key]
        ct = t.child(key)
        if isinstance(v, dict) and not ct.atomic:
            _remove_in_map(v, child, ct)
            if not v:
                del obj[key]
        elif isinstance(v, list) and _is_granular_list(ct):
            _remove_in_list(v, child, ct)
            if not v:
                del obj[key]


def _remove_in_list(items: list[Any], fs: FieldSet, t: TypeNode) -> None:
    elem = t.elem or _UNTYPED()
    keep: list[Any] = []
    for i, item in enumerate(items):
        pe = _item_element(t, item, i, False, ())
        child = fs.get(pe)
        if child is None:
            keep.append(item)
            continue
        if not child or "." in child:
            continue
        if isinstance(item, dict):
            _remove_in_map(item, child, elem)
        keep.append(item)
    items[:] = keep


def raise_typed(err: TypedError, gvk: tuple[str, str, str], what: str) -> None:
    group, version, kind = gvk
    gv = f"{group}/{version}" if group else f"/{version}"
    raise PatchError(
        400,
        "BadRequest",
        f"failed to create typed {what} object ({gv}, Kind={kind}): {err}",
    ) from err
