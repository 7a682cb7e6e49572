"""Health assessment (Argo CD's lookup order and semantics) and application health aggregation.

Public API::

    from kedge.health import assess, aggregate, ResourceOverrides
    overrides = ResourceOverrides.from_configmap(argocd_cm_data)   # once per settings change
    assess(live_obj, overrides)        # -> {"status": "Healthy", "message": ""} or None
    aggregate([{"live": obj, "target": desired}, ...], overrides).status
"""

from kedge.health.aggregate import AggregateResult, ResourceHealthInput, aggregate, is_hook
from kedge.health.assess import HealthError, LuaHealth, assess, group_kind, resolve, run_health_script
from kedge.health.status import (
    DEGRADED,
    HEALTHY,
    MISSING,
    ORDER,
    PROGRESSING,
    SUSPENDED,
    UNKNOWN,
    HealthStatus,
    is_worse,
)
from kedge.lua.overrides import ResourceOverrides

__all__ = [
    "DEGRADED",
    "HEALTHY",
    "MISSING",
    "ORDER",
    "PROGRESSING",
    "SUSPENDED",
    "UNKNOWN",
    "AggregateResult",
    "HealthError",
    "HealthStatus",
    "LuaHealth",
    "ResourceHealthInput",
    "ResourceOverrides",
    "aggregate",
    "assess",
    "group_kind",
    "is_hook",
    "is_worse",
    "resolve",
    "run_health_script",
]
