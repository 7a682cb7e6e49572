"""Identifying Kubernetes objects."""

from __future__ import annotations

from typing import Any, NamedTuple


class ResourceKey(NamedTuple):
    """group, kind, namespace (empty for cluster-scoped), name."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.group}/{self.kind}:{self.namespace}/{self.name}"


def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def key_of(obj: dict[str, Any], default_namespace: str = "") -> ResourceKey:
    meta = obj.get("metadata") or {}
    return ResourceKey(
        group_of(obj.get("apiVersion") or ""),
        obj.get("kind", ""),
        meta.get("namespace") or default_namespace,
        meta.get("name") or "",
    )
