"""Kubernetes manifests Kedge installs: the ``argoproj.io`` CRDs (Application, AppProject,
ApplicationSet), read with :func:`crds`."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import yaml


def crds() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((files("kedge.manifests") / "crds.yaml").read_text()) if d]
