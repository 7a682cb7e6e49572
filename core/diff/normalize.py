"""Normalising objects before comparison and display."""

from __future__ import annotations

import base64
from typing import Any

from kedge.diff.predict import LAST_APPLIED

#: metadata the API server writes; never part of what a user declares.
SERVER_METADATA = (
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "deletionGracePeriodSeconds",
)

MASK_CHAR = "+"


def strip_server_fields(obj: dict[str, Any], drop_status: bool = True) -> dict[str, Any]:
    """Remove server-populated metadata (and ``status`` when ``drop_status``), in place."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        for key in SERVER_METADATA:
            meta.pop(key, None)
        ann = meta.get("annotations")
        if isinstance(ann, dict):
            ann.pop(LAST_APPLIED, None)
            if not ann:
                meta.pop("annotations", None)
    if drop_status:
        obj.pop("status", None)
    return obj


def _is_secret(obj: dict[str, Any] | None) -> bool:
    return bool(obj) and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def _secret_values(obj: dict[str, Any]) -> dict[str, str]:
    """``data`` with ``stringData`` folded in (as the API server does), base64 encoded."""
    values = dict(obj.get("data") or {})
    for k, v in (obj.get("stringData") or {}).items():
        values[k] = base64.b64encode(str(v).encode()).decode()
    return values


def mask_secrets(*objs: dict[str, Any] | None) -> None:
    """Replace Secret values with ``++++++++`` masks, in place, consistently across ``objs``:
    equal values get equal masks, different values different ones, so a diff still shows
    *that* a value changed but never the value."""
    secrets = [o for o in objs if _is_secret(o)]
    if not secrets:
        return
    masks: dict[str, str] = {}
    for obj in secrets:
        values = _secret_values(obj)
        for k in sorted(values):
            v = values[k]
            if v not in masks:
                masks[v] = MASK_CHAR * (8 + len(masks))
        obj.pop("stringData", None)
        if values:
            obj["data"] = {k: masks[v] for k, v in values.items()}
        ann = (obj.get("metadata") or {}).get("annotations")
        if isinstance(ann, dict):
            ann.pop(LAST_APPLIED, None)
