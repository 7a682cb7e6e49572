"""Health status codes and their order, as in Argo CD (gitops-engine ``pkg/health``)."""

from __future__ import annotations

from typing import TypedDict

HEALTHY = "Healthy"
SUSPENDED = "Suspended"
PROGRESSING = "Progressing"
MISSING = "Missing"
DEGRADED = "Degraded"
UNKNOWN = "Unknown"

#: from most to least healthy; aggregation keeps the worst
ORDER: tuple[str, ...] = (HEALTHY, SUSPENDED, PROGRESSING, MISSING, DEGRADED, UNKNOWN)
_RANK = {code: i for i, code in enumerate(ORDER)}
VALID = frozenset(ORDER)


class HealthStatus(TypedDict):
    """``{"status": "Healthy"|..., "message": str}``: the shape stored in ``status.resources[].health``."""

    status: str
    message: str


def is_worse(current: str, new: str) -> bool:
    """Whether ``new`` is a worse condition than ``current`` (unknown codes rank as Healthy, like Argo CD)."""
    return _RANK.get(new, 0) > _RANK.get(current, 0)
