"""Turning validation failures into one readable line per problem.

Every message has the shape ``<document>: <field path>: <what was expected>, got <value>``,
e.g. ``guestbook.yaml: spec.syncPolicy.retry.limit: expected integer, got "five"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

_EXPECTED = {
    "int_type": "expected integer",
    "int_parsing": "expected integer",
    "int_from_float": "expected integer",
    "string_type": "expected string",
    "bool_type": "expected boolean",
    "bool_parsing": "expected boolean",
    "float_type": "expected number",
    "dict_type": "expected object",
    "model_type": "expected object",
    "model_attributes_type": "expected object",
    "list_type": "expected list",
    "missing": "required field is missing",
}


def path_str(loc: Iterable[Any]) -> str:
    """``("spec", "sources", 0, "repoURL")`` -> ``spec.sources[0].repoURL``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(str(part)):
            out += ("." if out else "") + str(part)
        else:
            out += f"[{json.dumps(str(part))}]"
    return out


def show(value: Any) -> str:
    """A short, JSON-like rendering of a value for ``got ...``."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def from_pydantic(errors: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(path, message)`` pairs from ``ValidationError.errors()``."""
    out: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for err in errors:
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-after["))]
        etype = err["type"]
        if etype == "literal_error":
            expected = "expected " + str(err.get("ctx", {}).get("expected", "")).replace("'", '"')
        elif etype in _EXPECTED:
            expected = _EXPECTED[etype]
        else:
            expected = err["msg"]
        msg = expected if etype == "missing" else f"{expected}, got {show(err.get('input'))}"
        item = (path_str(loc), msg)
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
