"""Predict the live object after an apply of the desired one (server-side apply semantics).

Comparing desired and live directly shows noise: defaults the API server added, fields other
controllers own, annotations from admission webhooks. What matters is what *applying* would
change. So the comparison is between the live object and the live object as it would be after
the apply:

* every field the desired object sets takes the desired value;
* maps merge; lists of objects with a merge key (``containers`` by ``name``, ``ports`` by
  ``containerPort``...) merge item by item, keeping items other managers own; other lists are
  replaced (merged position by position when the lengths agree, so defaulted fields inside
  items stay);
* fields the applying manager (``argocd-controller``) applied before and no longer sets are
  removed, found from the live ``managedFields`` (server-side apply) or the
  ``kubectl.kubernetes.io/last-applied-configuration`` annotation (client-side apply);
* ``status`` is never applied (it is a subresource).
"""

from __future__ import annotations

import json
from typing import Any

from kedge.jsoncopy import deep_copy

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
DEFAULT_MANAGER = "argocd-controller"

#: Merge keys of list fields in the built-in API types (from their patchMergeKey tags).
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "hostAliases": ("ip",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
    "resourceClaims": ("name",),
}


def _merge_key(field: str, items: list[Any], parent: dict[str, Any] | None) -> tuple[str, ...] | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    if field == "ports":
        # container ports merge by containerPort, Service ports by port
        key = ("containerPort",) if all("containerPort" in i for i in items) else ("port",)
        return key if all(k in i for i in items for k in key) else None
    key = MERGE_KEYS.get(field)
    if key and all(all(k in i for k in key) for i in items):
        return key
    return None


def _ident(item: dict[str, Any], key: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(item.get(k) for k in key)


def _merge(live: Any, desired: Any, field: str = "", parent: dict[str, Any] | None = None) -> Any:
    if isinstance(live, dict) and isinstance(desired, dict):
        out = dict(live)
        for k, v in desired.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = _merge(out[k], v, k, desired)
            else:
                out[k] = deep_copy(v)
        return out
    if isinstance(live, list) and isinstance(desired, list):
        key = _merge_key(field, desired, parent)
        if key and all(isinstance(i, dict) for i in live) and all(all(k in i for k in key) for i in live):
            by_id = {_ident(i, key): i for i in live}
            seen = set()
            out = []
            for item in desired:
                ident = _ident(item, key)
                seen.add(ident)
                out.append(_merge(by_id[ident], item, "", None) if ident in by_id else deep_copy(item))
            # items only in live stay (other managers own them) unless our removal pass drops them
            out.extend(i for i in live if _ident(i, key) not in seen)
            return out
        if len(live) == len(desired):
            return [_merge(a, b, "", None) for a, b in zip(live, desired, strict=True)]
        return deep_copy(desired)
    return deep_copy(desired)


def _remove_unapplied(result: Any, owned: dict[str, Any], desired: Any) -> None:
    """Drop from ``result`` what ``owned`` (our previous field set) names but ``desired`` lacks."""
    if isinstance(result, dict):
        for fkey, sub in owned.items():
            if not fkey.startswith("f:"):
                continue
            name = fkey[2:]
            if name not in result:
                continue
            if not isinstance(desired, dict) or name not in desired:
                del result[name]
            elif sub and set(sub) != {"."}:
                _remove_unapplied(result[name], sub, desired[name])
    elif isinstance(result, list) and isinstance(desired, list):
        for fkey, sub in owned.items():
            if not fkey.startswith("k:"):
                continue
            try:
                keys = json.loads(fkey[2:])
            except ValueError:
                continue

            def match(item: Any, keys: dict[str, Any] = keys) -> bool:
                return isinstance(item, dict) and all(item.get(k) == v for k, v in keys.items())

            def match_desired(item: Any, keys: dict[str, Any] = keys) -> bool:
                # the desired item may leave key fields to their defaults (a port's protocol)
                present = [k for k in keys if isinstance(item, dict) and k in item]
                return bool(present) and all(item[k] == keys[k] for k in present)

            want = next((d for d in desired if match_desired(d)), None)
            for i in range(len(result) - 1, -1, -1):
                if match(result[i]):
                    if want is None:
                        del result[i]
                    elif sub:
                        _remove_unapplied(result[i], sub, want)


def _fieldset_from_object(obj: Any) -> dict[str, Any]:
    """A field set naming every field of ``obj`` (for last-applied-configuration)."""
    if isinstance(obj, dict):
        return {f"f:{k}": _fieldset_from_object(v) for k, v in obj.items()}
    if isinstance(obj, list) and obj and all(isinstance(i, dict) and "name" in i for i in obj):
        return {"k:" + json.dumps({"name": i["name"]}): _fieldset_from_object(i) for i in obj}
    return {}


def previously_applied(live: dict[str, Any], manager: str = DEFAULT_MANAGER) -> dict[str, Any] | None:
    """The field set ``manager`` applied last time, or None if unknown."""
    meta = live.get("metadata") or {}
    for entry in meta.get("managedFields") or []:
        if (
            entry.get("manager") == manager
            and entry.get("operation") == "Apply"
            and not entry.get("subresource")
        ):
            return entry.get("fieldsV1") or {}
    raw = (meta.get("annotations") or {}).get(LAST_APPLIED)
    if raw:
        try:
            return _fieldset_from_object(json.loads(raw))
        except ValueError:
            return None
    return None


def predict(
    live: dict[str, Any] | None, desired: dict[str, Any], manager: str = DEFAULT_MANAGER
) -> dict[str, Any]:
    """The live object as it would be after applying ``desired`` (a new dict)."""
    if live is None:
        return deep_copy(desired)
    body = {k: v for k, v in desired.items() if k != "status"}
    result = _merge(deep_copy(live), body)  # never share subtrees with the (cached) live object
    owned = previously_applied(live, manager)
    if owned:
        owned = {k: v for k, v in owned.items() if k != "f:status"}
        _remove_unapplied(result, owned, body)
    return result
