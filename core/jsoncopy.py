"""Fast deep copies of JSON-like data (Kubernetes objects).

``copy.deepcopy`` walks objects in Python and was the largest CPU cost of comparing apps; a
round trip through orjson does the same for JSON data about ten times faster. Anything orjson
cannot encode (non-string keys, huge integers, custom objects) falls back to ``deepcopy``.
"""

from __future__ import annotations

import copy
from typing import TypeVar

import orjson

T = TypeVar("T")


def deep_copy(obj: T) -> T:
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    try:
        return orjson.loads(orjson.dumps(obj))
    except (TypeError, orjson.JSONEncodeError):
        return copy.deepcopy(obj)
