"""Lua -> Python conversion with Argo CD's JSON semantics.

Argo CD encodes a script's result to JSON (gopher-json) and decodes it into an unstructured
object. We walk the Lua table directly and use the *input* object as a shape hint:

* an empty Lua table becomes ``[]`` where the input had a list at that path and ``{}``
  everywhere else (Argo CD restores maps the same way; for paths that did not exist in the
  input, gopher-json would emit ``[]``, which the API server rejects for map fields, so Kedge
  chooses ``{}``);
* a table with keys ``1..n`` becomes a list, a table with string keys a dict; mixed keys are an
  error, as in Argo CD;
* Lua numbers are doubles (as in gopher-lua): whole numbers come back as ``int`` (JSON has no
  difference) unless the input held a ``float`` at that path, which keeps ``2.0`` a float;
* ``nil`` is simply absent: a JSON ``null`` in the input (``creationTimestamp: null``) never
  reaches Lua, so it is absent from the result too, exactly as in Argo CD;
* keys keep the input's order, new keys come after them.
"""

from __future__ import annotations

from typing import Any

from lupa.luajit21 import lua_type

_MAX_DEPTH = 200


class ConversionError(ValueError):
    """The script returned something JSON cannot hold (function, mixed keys, cycle)."""


def lua_to_python(value: Any, hint: Any = None, _depth: int = 0) -> Any:
    """Convert a Lua value (lupa proxy or Python scalar) to plain Python data."""
    kind = lua_type(value)
    if kind is None:
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise ConversionError(f"number {value} cannot be represented in JSON")
            if value.is_integer() and not isinstance(hint, float):
                return int(value)
            return value
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(hint, float):
            return float(value)
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return value
    if kind != "table":
        raise ConversionError(f"a Lua {kind} cannot be converted to JSON")
    if _depth > _MAX_DEPTH:
        raise ConversionError("table nesting is too deep (a table that contains itself?)")
    items = list(value.items())
    if not items:
        return [] if isinstance(hint, list) else {}
    first = items[0][0]
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return _to_list(items, hint, _depth)
    out: dict[str, Any] = {}
    hint_map = hint if isinstance(hint, dict) else None
    if hint_map:
        # keep the input's key order (YAML output reads like the input); new keys follow
        position = {k: i for i, k in enumerate(hint_map)}
        items.sort(key=lambda kv: position.get(kv[0], len(position)))
    for k, v in items:
        if not isinstance(k, str):
            if isinstance(k, bytes):
                k = k.decode("utf-8", "replace")
            else:
                raise ConversionError(
                    "a table mixes array and map keys (cannot encode mixed or invalid key types)"
                )
        out[k] = lua_to_python(v, hint_map.get(k) if hint_map is not None else None, _depth + 1)
    return out


def _to_list(items: list[tuple[Any, Any]], hint: Any, depth: int) -> list[Any]:
    by_index: dict[int, Any] = {}
    for k, v in items:
        if isinstance(k, bool) or not isinstance(k, (int, float)) or int(k) != k or k < 1:
            raise ConversionError(
                "a table mixes array and map keys (cannot encode mixed or invalid key types)"
            )
        by_index[int(k)] = v
    size = max(by_index)
    hint_list = hint if isinstance(hint, list) else None
    out = []
    for i in range(1, size + 1):
        h = hint_list[i - 1] if hint_list is not None and i <= len(hint_list) else None
        out.append(lua_to_python(by_index[i], h, depth + 1) if i in by_index else None)
    return out
