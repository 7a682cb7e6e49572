"""Field sets in the ``FieldsV1`` encoding that ``metadata.managedFields`` stores.

A set is a dict of *path elements* to child sets, exactly the JSON Kubernetes writes:

* ``"f:<name>"``: a struct field or map key;
* ``'k:{"name":"app"}'``: the item of an associative list with those key field values;
* ``'v:"x"'``: the item of a set list with that value;
* ``"i:3"``: a list item by index (only for lists that have neither keys nor set semantics);
* ``"."`` inside a child: the child itself is a member, not only a parent of members.

A child whose value is ``{}`` is a member with no children (a leaf). The functions here never
mutate their arguments; results may share unchanged sub-dicts with them, so treat every set as
immutable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

FieldSet = dict[str, Any]


def _is_member(child: FieldSet) -> bool:
    return not child or "." in child


def union(a: FieldSet, b: FieldSet) -> FieldSet:
    """Every path in ``a`` or ``b``."""
    if not b:
        return a
    if not a:
        return b
    out = dict(a)
    for pe, bv in b.items():
        av = out.get(pe)
        if av is None:
            out[pe] = bv
        elif pe != "." and av is not bv:
            out[pe] = _union_child(av, bv)
    return out


def _union_child(av: FieldSet, bv: FieldSet) -> FieldSet:
    if not av:
        if not bv or "." in bv:
            return bv
        return {".": {}, **bv}
    if not bv:
        if "." in av:
            return av
        return {".": {}, **av}
    return union(av, bv)


def difference(a: FieldSet, b: FieldSet) -> FieldSet:
    """Paths of ``a`` that are not members of ``b`` (children of a removed member stay unless
    ``b`` lists them too)."""
    if not a or not b:
        return a
    out: FieldSet | None = None
    for pe, bv in b.items():
        if pe == "." or pe not in a:
            continue
        if out is None:
            out = dict(a)
        r = _diff_child(a[pe], bv)
        if r is None:
            del out[pe]
        else:
            out[pe] = r
    return a if out is None else out


def _diff_child(av: FieldSet, bv: FieldSet) -> FieldSet | None:
    if not av:  # a leaf member
        return None if _is_member(bv) else av
    a_member = "." in av
    keep_member = a_member and not _is_member(bv)
    children = difference(av, bv) if bv else av
    has_children = any(k != "." for k in children)
    if keep_member:
        if not has_children:
            return {}
        if "." in children:
            return children
        return {".": {}, **children}
    if not has_children:
        return None
    if "." in children:
        children = {k: v for k, v in children.items() if k != "."}
    return children


def intersection(a: FieldSet, b: FieldSet) -> FieldSet:
    """Paths that are members of both."""
    if not a or not b:
        return {}
    if len(b) < len(a):
        small, large = b, a
    else:
        small, large = a, b
    out: FieldSet = {}
    for pe, sv in small.items():
        if pe == ".":
            continue
        lv = large.get(pe)
        if lv is None:
            continue
        member = _is_member(sv) and _is_member(lv)
        sub = intersection(sv, lv) if sv and lv else {}
        if member:
            out[pe] = {".": {}, **sub} if sub else {}
        elif sub:
            out[pe] = sub
    return out


def members(fs: FieldSet, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every member path, as a tuple of path elements."""
    for pe, child in fs.items():
        if pe == ".":
            continue
        path = (*prefix, pe)
        if _is_member(child):
            yield path
        if child:
            yield from members(child, path)


def without_field(fs: FieldSet, name: str) -> FieldSet:
    """``fs`` without the top-level field ``name`` and everything under it."""
    key = "f:" + name
    if key not in fs:
        return fs
    return {k: v for k, v in fs.items() if k != key}


def only_field(fs: FieldSet, name: str) -> FieldSet:
    key = "f:" + name
    return {key: fs[key]} if key in fs else {}


def sort(fs: FieldSet) -> FieldSet:
    """A copy ordered as the API server writes it: ``.`` first, then the children in order.

    Plain string order gives that: ``.`` sorts before letters, and one level never mixes field
    elements (``f:``) with item elements (``k:``/``v:``/``i:``)."""
    return {pe: sort(fs[pe]) if fs[pe] else {} for pe in sorted(fs)}


# --- path elements ---------------------------------------------------------------------


def path_string(path: tuple[str, ...]) -> str:
    """The human form Kubernetes prints in conflicts: ``.spec.containers[name="app"].image``."""
    parts: list[str] = []
    for pe in path:
        kind, rest = pe[0], pe[2:]
        if kind == "f":
            parts.append("." + rest)
        elif kind == "k":
            try:
                keys = json.loads(rest)
                inner = ",".join(f"{k}={json.dumps(v)}" for k, v in keys.items())
            except ValueError:
                inner = rest
            parts.append(f"[{inner}]")
        elif kind == "v":
            parts.append(f"[={rest}]")
        elif kind == "i":
            parts.append(f"[{rest}]")
        else:
            parts.append(pe)
    return "".join(parts)
