"""Strategic merge patch (``application/strategic-merge-patch+json``) with Kubernetes' rules.

A strategic merge patch is a partial object merged into the live one like a JSON merge patch,
except for lists: a list field whose type declares ``patchStrategy: merge`` merges item by item
(objects matched on the ``patchMergeKey``, e.g. containers by ``name``, container ports by
``containerPort``, service ports by ``port``; scalar lists such as ``finalizers`` as a union),
every other list is replaced. Directives:

* ``{"$patch": "replace"}`` in a map replaces the map; as a list item, the list;
* ``{"$patch": "delete"}`` in a map deletes it; a list item ``{"name": "x", "$patch": "delete"}``
  deletes the matching item;
* ``"$retainKeys": [...]`` clears every key of the map not listed (unions such as
  ``deployment.spec.strategy`` and volume sources);
* ``"$deleteFromPrimitiveList/<field>": [...]`` removes those values from a scalar list;
* ``"$setElementOrder/<field>": [...]`` gives the order of a merged list;
* ``null`` deletes a key.
"""

from __future__ import annotations

import json
from typing import Any

from kedge.localcluster.patching.errors import PatchError, bad_request
from kedge.localcluster.typeinfo import LIST, UNTYPED_NODE, TypeNode

_DELETE = object()
_MISSING = object()


def _unprocessable(message: str) -> PatchError:
    return PatchError(422, "Invalid", message)


def strategic_merge(target: dict[str, Any], patch: Any, t: TypeNode) -> dict[str, Any]:
    """Apply ``patch`` to ``target`` in place (``target`` must be the caller's own copy)."""
    if not isinstance(patch, dict):
        raise bad_request(f"invalid strategic merge patch: expected a JSON object, got {_short(patch)}")
    r = _merge_map(target, patch, t, "")
    if r is _DELETE:
        target.clear()
    return target


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _merge_map(target: dict[str, Any], patch: dict[str, Any], t: TypeNode, path: str) -> Any:
    directive = patch.get("$patch", _MISSING)
    if directive is not _MISSING:
        if directive == "replace":
            target.clear()
            rest = {k: v for k, v in patch.items() if k != "$patch"}
            _merge_map(target, rest, t, path)
            return None
        if directive == "delete":
            return _DELETE
        if directive != "merge":
            raise bad_request(f"Unknown patch type: {directive!s} in map: {path or '.'}")

    retain = patch.get("$retainKeys", _MISSING)
    if retain is not _MISSING:
        if not isinstance(retain, list) or not all(isinstance(k, str) for k in retain):
            raise bad_request(f"invalid patch format: $retainKeys must be a list of strings at {path or '.'}")
        keep = set(retain)
        for key, pv in patch.items():
            if not key.startswith("$") and pv is not None and key not in keep:
                raise _unprocessable(
                    f"doesn't match: the key {key!r} in the patch is not in $retainKeys at {path or '.'}"
                )
        for key in [k for k in target if k not in keep]:
            del target[key]

    orders: list[tuple[str, Any]] = []
    for key, pv in patch.items():
        if key[:1] == "$":
            if key in ("$patch", "$retainKeys"):
                continue
            if key.startswith("$deleteFromPrimitiveList/"):
                field = key.split("/", 1)[1]
                if not isinstance(pv, list):
                    raise bad_request(f"invalid patch format: {key} must be a list at {path or '.'}")
                current = target.get(field)
                if isinstance(current, list):
                    drop = [json.dumps(v, sort_keys=True) for v in pv]
                    target[field] = [v for v in current if json.dumps(v, sort_keys=True) not in drop]
                continue
            if key.startswith("$setElementOrder/"):
                if not isinstance(pv, list):
                    raise bad_request(f"invalid patch format: {key} must be a list at {path or '.'}")
                orders.append((key.split("/", 1)[1], pv))
                continue
            raise bad_request(f"unknown strategic merge patch directive {key!r} at {path or '.'}")
        child_path = f"{path}.{key}"
        if pv is None:
            target.pop(key, None)
            continue
        ct = t.child(key)
        tv = target.get(key, _MISSING)
        if isinstance(pv, dict):
            if isinstance(tv, dict) and ct.strategy != "replace":
                r = _merge_map(tv, pv, ct, child_path)
                if r is _DELETE:
                    del target[key]
            else:
                fresh: dict[str, Any] = {}
                r = _merge_map(fresh, pv, ct, child_path)
                if r is _DELETE:
                    target.pop(key, None)
                else:
                    target[key] = fresh
        elif isinstance(pv, list):
            target[key] = _merge_list(tv if isinstance(tv, list) else [], pv, ct, child_path)
        else:
            target[key] = pv

    for field, order in orders:
        current = target.get(field)
        if isinstance(current, list):
            target[field] = _apply_order(current, order, t.child(field), f"{path}.{field}")
    return None


def _clean_item(item: Any, t: TypeNode, path: str) -> Any:
    """A new list item or value taken from the patch, with its directives processed."""
    if isinstance(item, dict):
        fresh: dict[str, Any] = {}
        r = _merge_map(fresh, item, t, path)
        return _DELETE if r is _DELETE else fresh
    if isinstance(item, list):
        return [c for v in item if (c := _clean_item(v, UNTYPED_NODE, path)) is not _DELETE]
    return item


def _merge_list(current: list[Any], patch: list[Any], t: TypeNode, path: str) -> list[Any]:
    merge = t.kind == LIST and "merge" in t.patch_strategy
    elem = t.elem or UNTYPED_NODE
    if not merge:
        out = []
        for item in patch:
            if isinstance(item, dict) and item.get("$patch") == "replace" and len(item) == 1:
                continue
            c = _clean_item(item, elem, path)
            if c is not _DELETE:
                out.append(c)
        return out

    replace = False
    items = []
    for item in patch:
        if isinstance(item, dict) and "$patch" in item:
            d = item["$patch"]
            if d == "replace":
                if len(item) == 1:
                    replace = True
                    continue
            elif d not in ("delete", "merge"):
                raise bad_request(f"Unknown patch type: {d!s} in list: {path}")
        items.append(item)
    base = [] if replace else current

    key = t.patch_key
    if not key:
        # A merged list of scalars: union, keeping order.
        if any(isinstance(v, dict | list) for v in items):
            raise _unprocessable(f"{path}: a list of scalars cannot be patched with objects or lists")
        seen = {json.dumps(v, sort_keys=True) for v in base}
        out = list(base)
        for v in items:
            k = json.dumps(v, sort_keys=True)
            if k not in seen:
                seen.add(k)
                out.append(v)
        return out

    out = list(base)
    for item in items:
        if not isinstance(item, dict):
            raise _unprocessable(
                f"{path}: expected an object with merge key {key!r} in the list, got {_short(item)}"
            )
        if key not in item:
            raise _unprocessable(f"{path}: map: {_short(item)} does not contain declared merge key: {key}")
        kv = item[key]
        idx = next((i for i, cur in enumerate(out) if isinstance(cur, dict) and cur.get(key) == kv), -1)
        if item.get("$patch") == "delete":
            if idx >= 0:
                out = [cur for cur in out if not (isinstance(cur, dict) and cur.get(key) == kv)]
            continue
        item_path = f"{path}[{key}={json.dumps(kv)}]"
        if idx >= 0:
            target = out[idx]
            r = _merge_map(target, item, elem, item_path)
            if r is _DELETE:
                del out[idx]
        else:
            c = _clean_item(item, elem, item_path)
            if c is not _DELETE:
                out.append(c)
    return out


def _apply_order(current: list[Any], order: list[Any], t: TypeNode, path: str) -> list[Any]:
    key = t.patch_key if t.kind == LIST else None

    def ident(v: Any) -> str:
        if key and isinstance(v, dict):
            return json.dumps(v.get(key), sort_keys=True)
        return json.dumps(v, sort_keys=True)

    wanted: dict[str, int] = {}
    for i, entry in enumerate(order):
        if key:
            if not isinstance(entry, dict) or key not in entry:
                raise bad_request(
                    f"invalid patch format: $setElementOrder entries need the merge key {key!r} at {path}"
                )
            wanted.setdefault(json.dumps(entry[key], sort_keys=True), i)
        else:
            wanted.setdefault(json.dumps(entry, sort_keys=True), i)
    ordered = sorted((v for v in current if ident(v) in wanted), key=lambda v: wanted[ident(v)])
    it = iter(ordered)
    return [next(it) if ident(v) in wanted else v for v in current]
