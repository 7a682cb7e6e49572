"""Kedge: GitOps continuous delivery for Kubernetes, Argo CD compatible, small core plus plugins."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kedge-cd")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
