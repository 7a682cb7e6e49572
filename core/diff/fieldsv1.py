"""Reading Kubernetes ``managedFields[].fieldsV1`` field sets.

A field set is a tree of keys: ``f:<name>`` (a field of a map), ``k:<json>`` (the list item
whose key fields equal the JSON object), ``v:<json>`` (the set item with that value),
``i:<n>`` (a list item by index) and ``.`` (the node itself). An empty mapping is a leaf.
"""

from __future__ import annotations

import json
from typing import Any


def _item_matches(item: Any, keys: dict[str, Any]) -> bool:
    return isinstance(item, dict) and all(item.get(k) == v for k, v in keys.items())


def remove_fields(obj: Any, fields: dict[str, Any]) -> None:
    """Delete from ``obj`` (in place) every field the set names. Unknown paths are skipped."""
    if isinstance(obj, dict):
        for key, sub in fields.items():
            if not key.startswith("f:"):
                continue
            name = key[2:]
            if name not in obj:
                continue
            if not sub or "." in sub:
                del obj[name]
            else:
                remove_fields(obj[name], sub)
    elif isinstance(obj, list):
        doomed: list[int] = []
        for key, sub in fields.items():
            if key.startswith("k:"):
                try:
                    keys = json.loads(key[2:])
                except ValueError:
                    continue
                idx = [i for i, item in enumerate(obj) if _item_matches(item, keys)]
            elif key.startswith("v:"):
                try:
                    value = json.loads(key[2:])
                except ValueError:
                    continue
                idx = [i for i, item in enumerate(obj) if item == value]
            elif key.startswith("i:") and key[2:].isdigit():
                i = int(key[2:])
                idx = [i] if i < len(obj) else []
            else:
                continue
            for i in idx:
                if not sub or "." in sub:
                    doomed.append(i)
                else:
                    remove_fields(obj[i], sub)
        for i in sorted(set(doomed), reverse=True):
            del obj[i]


def paths(fields: dict[str, Any], prefix: str = "") -> list[str]:
    """Human-readable paths of the leaves (``.spec.replicas``, ``.spec.containers[name=web].image``)."""
    out: list[str] = []
    for key, sub in fields.items():
        if key == ".":
            continue
        if key.startswith("f:"):
            here = f"{prefix}.{key[2:]}"
        elif key.startswith("k:"):
            try:
                keys = json.loads(key[2:])
                here = prefix + "[" + ",".join(f"{k}={v}" for k, v in keys.items()) + "]"
            except ValueError:
                here = f"{prefix}[{key[2:]}]"
        elif key.startswith("v:"):
            here = f"{prefix}[{key[2:]}]"
        elif key.startswith("i:"):
            here = f"{prefix}[{key[2:]}]"
        else:
            continue
        if not sub or set(sub) == {"."}:
            out.append(here)
        else:
            out.extend(paths(sub, here))
    return out
