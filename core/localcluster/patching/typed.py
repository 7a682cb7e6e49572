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
_PE_CACHE: dict[tuple[Any, ...], str] = {}


def deep_copy(value: Any) -> Any:
    """A fast copy of JSON data."""
    if isinstance(value, dict):
        return {k: deep_copy(v) if isinstance(v, dict | list) else v for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) if isinstance(v, dict | list) else v for v in value]
    return value


try:
    import orjson as _orjson

    def fast_copy(value: Any) -> Any:
        """Copy of JSON data through orjson (several times faster than walking it)."""
        try:
            return _orjson.loads(_orjson.dumps(value))
        except (TypeError, _orjson.JSONEncodeError):
            return deep_copy(value)

except ImportError:  # pragma: no cover - orjson is a dependency
    fast_copy = deep_copy


class TypedError(Exception):
    """A value does not fit its schema. ``path`` is filled in while the error propagates up the
    walk (so the hot path never builds paths)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: tuple[str, ...] = ()

    def within(self, pe: str) -> TypedError:
        self.path = (pe, *self.path)
        return self

    def __str__(self) -> str:
        return f"{path_string(self.path)}: {self.message}"


# --- list item identity ------------------------------------------------------------------


_SCALAR_TYPES = (str, int, float, bool)


def _key_value(t: TypeNode, item: dict[str, Any], k: str, index: int, strict: bool) -> Any:
    """The value of key field ``k`` of an associative-list item (its default when absent);
    _MISSING when unusable and not ``strict``."""
    v = item.get(k, _MISSING)
    if v is _MISSING or v is None:
        v = t.key_defaults.get(k, _MISSING)
        if v is _MISSING:
            if strict:
                raise TypedError(
                    f'element {index}: associative list with keys has an element that omits key field "{k}" '
                    "(and doesn't have default value)",
                )
            return _MISSING
    elif not isinstance(v, _SCALAR_TYPES):
        if strict:
            raise TypedError(f'element {index}: key field "{k}" must be a scalar, got {json.dumps(v)}')
        return _MISSING
    return v


def _item_element(t: TypeNode, item: Any, index: int, strict: bool) -> str:
    """The path element of list item ``item`` of a non-atomic list of type ``t``."""
    if t.list_type == "set":
        if strict and not isinstance(item, _SCALAR_TYPES):
            raise TypedError(f"element {index}: a set list holds scalars, got {json.dumps(item)}")
        return "v:" + json.dumps(item, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if not isinstance(item, dict):
        if strict:
            raise TypedError(f"element {index}: expected map, got {json.dumps(item)}")
        return f"i:{index}"
    keys = t.keys
    if len(keys) == 1:
        k = keys[0]
        v = item.get(k, _MISSING)
        if type(v) is not str and type(v) is not int:
            v = _key_value(t, item, k, index, strict)
            if v is _MISSING:
                return f"i:{index}"
        # str and int print as they compare; True == 1 == 1.0 do not, so their type joins the key
        cache_key = (k, v) if type(v) is str or type(v) is int else (k, type(v), v)
        pe = _PE_CACHE.get(cache_key)
        if pe is None:
            if len(_PE_CACHE) > 50000:
                _PE_CACHE.clear()
            pe = _PE_CACHE[cache_key] = "k:{" + json.dumps(k) + ":" + json.dumps(v, ensure_ascii=False) + "}"
        return pe
    values = {}
    for k in sorted(keys):
        v = _key_value(t, item, k, index, strict)
        if v is _MISSING:
            return f"i:{index}"
        values[k] = v
    # types in the cache key: True == 1 and 1 == 1.0 but they print differently
    multi_key = tuple((k, type(v), v) for k, v in values.items())
    pe = _PE_CACHE.get(multi_key)
    if pe is None:
        if len(_PE_CACHE) > 50000:
            _PE_CACHE.clear()
        pe = _PE_CACHE[multi_key] = "k:" + json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    return pe


def _index_items(t: TypeNode, items: list[Any], strict: bool) -> tuple[list[str], dict[str, Any]]:
    order: list[str] = []
    seen: dict[str, Any] = {}
    for i, item in enumerate(items):
        pe = _item_element(t, item, i, strict)
        if pe in seen:
            if strict:
                raise TypedError(f"duplicate entries for key {path_string((pe,))}")
            continue
        seen[pe] = item
        order.append(pe)
    return order, seen


def _is_granular_list(t: TypeNode) -> bool:
    return t.kind == LIST and t.list_type != "atomic"


# --- field set of a value ----------------------------------------------------------------


def to_field_set(value: dict[str, Any], t: TypeNode) -> FieldSet:
    """The fields an applied configuration sets (``ToFieldSet``): leaves, atomic lists/maps as
    one field, associative/set list items with their ``.`` marker, untyped map keys as members.
    Children come out in sorted order. Raises TypedError for values that do not fit the schema."""
    out: FieldSet = {}
    fields = t.fields if t.kind == STRUCT else None
    for key in sorted(value):
        v = value[key]
        ct = fields.get(key) if fields is not None else None
        declared = ct is not None
        if ct is None:
            ct = t.child(key)
        pe = "f:" + key
        try:
            child = _tfs_value(v, ct)
        except TypedError as err:
            raise err.within(pe) from None
        _attach(out, pe, child, declared)
    return out


def _attach(out: FieldSet, pe: str, child: FieldSet | None, declared: bool) -> None:
    if child is _LEAF:
        out[pe] = {}
    elif not child:
        if not declared:
            out[pe] = {}
    else:
        out[pe] = child if declared else {".": {}, **child}


def _check_shape(v: Any, t: TypeNode) -> None:
    kind = t.kind
    tv = type(v)
    if tv is dict:
        if kind == LIST:
            raise TypedError("expected list, got map")
    elif tv is list:
        if kind == STRUCT or kind == MAP:
            raise TypedError("expected map, got list")
    elif v is not None and (kind == LIST or kind == STRUCT or kind == MAP):
        expected = "list" if kind == LIST else "map"
        raise TypedError(f"expected {expected}, got {tv.__name__} {json.dumps(v)}")


def _tfs_value(v: Any, t: TypeNode) -> FieldSet | None:
    """_LEAF for a member leaf, a dict of children (maybe empty) or None for nothing."""
    _check_shape(v, t)
    kind = t.kind
    tv = type(v)
    if tv is dict:
        if kind == SCALAR or t.atomic:
            return _LEAF
        return to_field_set(v, t)
    if tv is list:
        if kind != LIST or t.list_type == "atomic":
            return _LEAF
        order, items = _index_items(t, v, True)
        elem = t.elem
        container = elem is not None and elem.kind in (STRUCT, MAP, UNTYPED)
        out: FieldSet = {}
        for pe in sorted(order):
            item = items[pe]
            if container and type(item) is dict:
                try:
                    sub = to_field_set(item, elem)  # type: ignore[arg-type]
                except TypedError as err:
                    raise err.within(pe) from None
                out[pe] = {".": {}, **sub} if sub else {}
            else:
                out[pe] = {}
        return out
    if (
        v is None
        and (kind == STRUCT or kind == MAP or (kind == LIST and t.list_type != "atomic"))
        and not t.atomic
    ):
        return None
    return _LEAF


# --- merge (apply) -----------------------------------------------------------------------


def merge_into(
    target: dict[str, Any], config: dict[str, Any], t: TypeNode, added: FieldSet, modified: FieldSet
) -> FieldSet:
    """Merge applied ``config`` into ``target`` in place (``target`` must be the caller's own
    copy): config wins on leaves, granular maps/structs and associative/set lists merge.

    Records the paths that appear in ``added`` and those whose value changes in ``modified`` (the
    comparison structured-merge-diff makes between the live and the merged object, restricted
    to what the configuration touches), and returns the configuration's field set (as
    :func:`to_field_set`, in one walk). Raises TypedError for a mis-shaped configuration."""
    out: FieldSet = {}
    fields = t.fields if t.kind == STRUCT else None
    for key in sorted(config):
        cv = config[key]
        pe = "f:" + key
        ct = fields.get(key) if fields is not None else None
        declared = ct is not None
        if ct is None:
            ct = t.child(key)
        lv = target.get(key, _MISSING)
        tcv = type(cv)
        try:
            if lv is not _MISSING:
                if (
                    tcv is dict
                    and type(lv) is dict
                    and not ct.atomic
                    and ct.kind != LIST
                    and ct.kind != SCALAR
                ):
                    a: FieldSet = {}
                    m: FieldSet = {}
                    sub = merge_into(lv, cv, ct, a, m)
                    if a:
                        added[pe] = a
                    if m:
                        modified[pe] = m
                    _attach(out, pe, sub, declared)
                    continue
                if tcv is list and type(lv) is list and lv and ct.kind == LIST and ct.list_type != "atomic":
                    a, m = {}, {}
                    target[key], sub = _merge_list_into(lv, cv, ct, a, m)
                    if a:
                        added[pe] = a
                    if m:
                        modified[pe] = m
                    _attach(out, pe, sub, declared)
                    continue
            child = _tfs_value(cv, ct)
        except TypedError as err:
            raise err.within(pe) from None
        _attach(out, pe, child, declared)
        if cv is None:
            if lv is not _MISSING:
                del target[key]
                modified[pe] = {}
        elif lv is _MISSING:
            value = target[key] = _clean(cv)
            sub = {}
            _all(value, ct, sub)
            added[pe] = {".": {}, **sub} if sub and _is_container(value, ct) else sub
        else:
            if tcv is dict or tcv is list:
                cv = _clean(cv)
            if lv != cv or type(lv) is not tcv:
                target[key] = cv if tcv is dict or tcv is list else _clean(cv)
                modified[pe] = {}
    return out


def clean_copy(value: Any) -> Any:
    """Copy of an applied configuration with null map entries dropped (fast when it has none)."""
    try:
        data = _orjson.dumps(value)
    except (NameError, TypeError, _orjson.JSONEncodeError):
        return _clean(value)
    return _clean(value) if b"null" in data else _orjson.loads(data)


def _clean(value: Any) -> Any:
    """Copy of an applied value with null map entries dropped."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _merge_list_into(
    live: list[Any], config: list[Any], t: TypeNode, added: FieldSet, modified: FieldSet
) -> tuple[list[Any], FieldSet]:
    """Associative/set list merge: items matched by key, live-only items kept in place, shared
    and new items in the configuration's order. Returns the merged list and the configuration's
    field set for the list."""
    lorder, lmap = _index_items(t, live, False)
    rorder, rmap = _index_items(t, config, True)
    elem = t.elem or _UNTYPED()
    container = elem.kind in (STRUCT, MAP, UNTYPED)
    fset: FieldSet = {}
    shared = [pe for pe in rorder if pe in lmap]
    si = 0
    next_shared = shared[0] if shared else None
    out: list[Any] = []
    merged_r: set[str] = set()
    li = ri = 0
    nl, nr = len(lorder), len(rorder)

    def take(pe: str) -> None:
        lv = lmap.get(pe, _MISSING)
        cv = rmap[pe]
        try:
            if type(cv) is dict and type(lv) is dict and container and not elem.atomic:
                a: FieldSet = {}
                m: FieldSet = {}
                sub = merge_into(lv, cv, elem, a, m)
                if a:
                    added[pe] = a
                if m:
                    modified[pe] = m
                out.append(lv)
            else:
                sub = to_field_set(cv, elem) if container and type(cv) is dict else {}
                if lv is _MISSING:
                    value = _clean(cv)
                    gone: FieldSet = {}
                    _all(value, elem, gone)
                    added[pe] = {".": {}, **gone} if gone else {}
                    out.append(value)
                else:
                    cv = _clean(cv)
                    if lv != cv:
                        modified[pe] = {}
                    out.append(cv)
        except TypedError as err:
            raise err.within(pe) from None
        fset[pe] = {".": {}, **sub} if sub else {}

    while li < nl or ri < nr:
        if li < nl and ri < nr:
            pe = lorder[li]
            if pe == rorder[ri]:
                take(pe)
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
                out.append(lmap[pe])
                li += 1
                continue
            if pe in merged_r:
                li += 1
                continue
        if ri < nr:
            pe = rorder[ri]
            merged_r.add(pe)
            take(pe)
            ri += 1
            if next_shared is not None and next_shared == pe:
                si += 1
                next_shared = shared[si] if si < len(shared) else None
    return out, {pe: fset[pe] for pe in sorted(fset)}


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
        order, items = _index_items(t, value, False)
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
    if lv is rv or (type(lv) is type(rv) and lv == rv):
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
    lorder, lmap = _index_items(t, lhs, False)
    rorder, rmap = _index_items(t, rhs, False)
    elem = t.elem or _UNTYPED()
    for pe in rorder:
        _cmp_value(pe, lmap.get(pe, _MISSING), rmap[pe], elem, added, modified, removed)
    for pe in lorder:
        if pe not in rmap:
            _cmp_value(pe, lmap[pe], _MISSING, elem, added, modified, removed)


# --- removal -----------------------------------------------------------------------------


def remove_paths(obj: dict[str, Any], fs: FieldSet, t: TypeNode) -> FieldSet:
    """Remove every member path of ``fs`` from ``obj`` in place (a list item path removes the
    whole item); maps and structs left empty by a removal are dropped too. Returns the set of
    paths that disappeared."""
    removed: FieldSet = {}
    _remove_in_map(obj, fs, t, removed)
    return removed


def _gone(value: Any, t: TypeNode) -> FieldSet:
    sub: FieldSet = {}
    _all(value, t, sub)
    return {".": {}, **sub} if sub else {}


def _remove_in_map(obj: dict[str, Any], fs: FieldSet, t: TypeNode, removed: FieldSet) -> None:
    for pe, child in fs.items():
        if pe == "." or not pe.startswith("f:"):
            continue
        key = pe[2:]
        if key not in obj:
            continue
        ct = t.child(key)
        v = obj[key]
        if not _is_container(v, ct):
            if not child or "." in child:
                removed[pe] = _gone(obj.pop(key), ct)
            continue
        # A granular map, struct or list is never removed as a whole (structured-merge-diff's
        # field set of an object holds only leaves and list items): prune inside it.
        sub: FieldSet = {}
        if isinstance(v, dict) and not ct.atomic:
            _remove_in_map(v, child, ct, sub)
        elif isinstance(v, list) and _is_granular_list(ct):
            _remove_in_list(v, child, ct, sub)
        if not v and sub:
            del obj[key]
            sub["."] = {}
        if sub:
            removed[pe] = sub


def _remove_in_list(items: list[Any], fs: FieldSet, t: TypeNode, removed: FieldSet) -> None:
    elem = t.elem or _UNTYPED()
    keep: list[Any] = []
    for i, item in enumerate(items):
        pe = _item_element(t, item, i, False)
        child = fs.get(pe)
        if child is None:
            keep.append(item)
            continue
        if not child or "." in child:
            removed[pe] = _gone(item, elem)
            continue
        if isinstance(item, dict):
            sub: FieldSet = {}
            _remove_in_map(item, child, elem, sub)
            if sub:
                removed[pe] = sub
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
