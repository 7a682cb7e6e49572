"""Kubernetes ``Status`` error bodies."""

from __future__ import annotations

from typing import Any

from kedge.localcluster.contract import StoreError
from kedge.localcluster.store import dumps


class ApiError(StoreError):
    """An error answered as a Status object."""


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> bytes:
    st: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        st["details"] = details
    return dumps(st)
