"""Kedge health checks for Kubernetes Gateway API resources (``gateway.networking.k8s.io``)."""

from kedge_gateway_api.health import CHECKS, HealthCheck, assess

__version__ = "0.1.0"
__all__ = ["CHECKS", "HealthCheck", "assess"]
