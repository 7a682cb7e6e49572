"""The Kedge plugin module named by this distribution's ``kedge`` entry point."""

from __future__ import annotations

from kedge.hookspecs import hookimpl
from kedge_gateway_api.health import CHECKS, HealthCheck


@hookimpl
def kedge_health_checks() -> list[HealthCheck]:
    """One provider per Gateway API kind, named ``gateway.networking.k8s.io/<Kind>``."""
    return list(CHECKS)
