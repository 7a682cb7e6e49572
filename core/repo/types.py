"""Types shared by the repo server and the source / renderer plugins.

A renderer plugin (hook ``kedge_renderers``) receives a :class:`RenderRequest` and returns a
list of Kubernetes objects (plain dicts). It raises :class:`kedge.errors.RenderError` with a
message naming the file (relative to the repository root) and line where known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass
class RenderRequest:
    """Everything a renderer needs to turn one Application source into manifests.

    ``root`` is a private, read-only-by-convention checkout of the whole repository at the
    resolved revision; ``path`` is the source's directory inside it (``root / source.path``).
    A renderer must never read outside ``root`` (symlinks and ``..`` included) and must never
    modify it: tools that edit files (Kustomize overrides, plugins) work on a copy.
    """

    root: Path
    path: Path
    source: dict[str, Any]  # the Application's spec.source (or one entry of spec.sources)
    repo_url: str = ""
    revision: str = ""  # the resolved commit SHA (or chart version)
    app_name: str = ""
    app_namespace: str = ""
    dest_namespace: str = ""
    dest_server: str = ""
    kube_version: str = ""  # destination cluster version, e.g. "1.32.0"
    api_versions: list[str] = field(default_factory=list)  # e.g. ["v1", "apps/v1", "apps/v1/Deployment"]
    refs: dict[str, Path] = field(default_factory=dict)  # multi-source `ref` name -> checkout root
    settings: dict[str, str] = field(default_factory=dict)  # argocd-cm data (helm.valuesFileSchemes...)
    env: dict[str, str] = field(default_factory=dict)  # build environment: ARGOCD_APP_NAME, KUBE_VERSION...
    timeout: float = 90.0  # seconds, for external commands


class Renderer(Protocol):
    """What a ``kedge_renderers`` provider offers."""

    name: str

    def detect(self, path: Path) -> bool:
        """Whether this tool recognises ``path`` (used when the source names no tool)."""
        ...

    def render(self, request: RenderRequest) -> list[dict[str, Any]]:
        """The Kubernetes objects for the request, in the tool's order."""
        ...

    def cache_key(self, request: RenderRequest) -> str:
        """Extra key material beyond the source spec (e.g. the tool version); may be ``""``."""
        ...
