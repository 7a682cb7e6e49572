"""``spec`` pieces shared by Applications and ApplicationSet templates."""

from __future__ import annotations

from kedge.model.base import KModel, StrMap
from kedge.model.source import ApplicationSource


class ApplicationDestination(KModel):
    """Target cluster (``server`` URL *or* cluster ``name``) and namespace."""

    server: str | None = None
    name: str | None = None
    namespace: str | None = None


class SyncPolicyAutomated(KModel):
    prune: bool | None = None
    self_heal: bool | None = None
    allow_empty: bool | None = None
    enabled: bool | None = None


class Backoff(KModel):
    """Retry backoff: Go durations (``5s``, ``3m``) and an integer factor."""

    duration: str | None = None
    factor: int | None = None
    max_duration: str | None = None


class RetryStrategy(KModel):
    limit: int | None = None
    backoff: Backoff | None = None
    refresh: bool | None = None


class ManagedNamespaceMetadata(KModel):
    labels: StrMap | None = None
    annotations: StrMap | None = None


class SyncPolicy(KModel):
    automated: SyncPolicyAutomated | None = None
    sync_options: list[str] | None = None
    retry: RetryStrategy | None = None
    managed_namespace_metadata: ManagedNamespaceMetadata | None = None


class ResourceIgnoreDifferences(KModel):
    group: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    json_pointers: list[str] | None = None
    jq_path_expressions: list[str] | None = None
    managed_fields_managers: list[str] | None = None


class Info(KModel):
    name: str | None = None
    value: str | None = None


class ApplicationSpec(KModel):
    """``Application.spec`` (also the ``template.spec`` of an ApplicationSet)."""

    source: ApplicationSource | None = None
    sources: list[ApplicationSource] | None = None
    destination: ApplicationDestination | None = None
    project: str | None = None
    sync_policy: SyncPolicy | None = None
    ignore_differences: list[ResourceIgnoreDifferences] | None = None
    info: list[Info] | None = None
    revision_history_limit: int | None = None
    source_hydrator: dict | None = None

    def all_sources(self) -> list[ApplicationSource]:
        """``sources`` when set, else ``[source]`` (Argo CD's precedence)."""
        if self.sources:
            return list(self.sources)
        return [self.source] if self.source is not None else []
