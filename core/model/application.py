"""``Application`` (``argoproj.io/v1alpha1``): spec, operation and status."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kedge.model.base import KModel, StrMap
from kedge.model.meta import ObjectMeta
from kedge.model.source import ApplicationSource
from kedge.model.spec import (
    ApplicationDestination,
    ApplicationSpec,
    ManagedNamespaceMetadata,
    ResourceIgnoreDifferences,
)

API_VERSION = "argoproj.io/v1alpha1"


class ComparedTo(KModel):
    source: ApplicationSource | None = None
    sources: list[ApplicationSource] | None = None
    destination: ApplicationDestination | None = None
    ignore_differences: list[ResourceIgnoreDifferences] | None = None


class SyncStatus(KModel):
    """``status.sync``: ``Synced`` / ``OutOfSync`` / ``Unknown`` and the compared revision(s)."""

    status: str | None = None
    compared_to: ComparedTo | None = None
    revision: str | None = None
    revisions: list[str] | None = None


class HealthStatus(KModel):
    """``status.health``: ``Healthy`` / ``Progressing`` / ``Degraded`` / ``Suspended`` / ``Missing`` / ``Unknown``."""

    status: str | None = None
    message: str | None = None
    last_transition_time: str | None = None


class SyncStrategyApply(KModel):
    force: bool | None = None


class SyncStrategy(KModel):
    apply: SyncStrategyApply | None = None
    hook: SyncStrategyApply | None = None


class SyncOperationResource(KModel):
    group: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None


class SyncOperation(KModel):
    revision: str | None = None
    revisions: list[str] | None = None
    prune: bool | None = None
    dry_run: bool | None = None
    sync_strategy: SyncStrategy | None = None
    resources: list[SyncOperationResource] | None = None
    source: ApplicationSource | None = None
    sources: list[ApplicationSource] | None = None
    manifests: list[str] | None = None
    sync_options: list[str] | None = None
    auto_heal_attempts_count: int | None = None


class OperationInitiator(KModel):
    username: str | None = None
    automated: bool | None = None


class Operation(KModel):
    """``Application.operation``: the sync requested by a user or by automation."""

    sync: SyncOperation | None = None
    initiated_by: OperationInitiator | None = None
    info: list[dict] | None = None
    retry: dict | None = None


class ResourceResult(KModel):
    group: str | None = None
    version: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    status: str | None = None
    message: str | None = None
    hook_type: str | None = None
    hook_phase: str | None = None
    sync_phase: str | None = None
    images: list[str] | None = None


class SyncOperationResult(KModel):
    resources: list[ResourceResult] | None = None
    revision: str | None = None
    revisions: list[str] | None = None
    source: ApplicationSource | None = None
    sources: list[ApplicationSource] | None = None
    managed_namespace_metadata: ManagedNamespaceMetadata | None = None


class OperationState(KModel):
    """``status.operationState``: phase ``Running`` / ``Succeeded`` / ``Failed`` / ``Error`` / ``Terminating``."""

    operation: Operation | None = None
    phase: str | None = None
    message: str | None = None
    sync_result: SyncOperationResult | None = None
    started_at: str | None = None
    finished_at: str | None = None
    retry_count: int | None = None


class RevisionHistory(KModel):
    """One entry of ``status.history``."""

    id: int | None = None
    revision: str | None = None
    revisions: list[str] | None = None
    deployed_at: str | None = None
    deploy_started_at: str | None = None
    source: ApplicationSource | None = None
    sources: list[ApplicationSource] | None = None
    initiated_by: OperationInitiator | None = None


class ResourceStatus(KModel):
    """One entry of ``status.resources``."""

    group: str | None = None
    version: str | None = None
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    status: str | None = None
    health: HealthStatus | None = None
    hook: bool | None = None
    requires_pruning: bool | None = None
    requires_deletion_confirmation: bool | None = None
    sync_wave: int | None = None


class ApplicationCondition(KModel):
    type: str | None = None
    message: str | None = None
    last_transition_time: str | None = None


class ApplicationSummary(KModel):
    external_urls: list[str] | None = Field(None, alias="externalURLs")
    images: list[str] | None = None


class ApplicationStatus(KModel):
    resources: list[ResourceStatus] | None = None
    sync: SyncStatus | None = None
    health: HealthStatus | None = None
    history: list[RevisionHistory] | None = None
    conditions: list[ApplicationCondition] | None = None
    reconciled_at: str | None = None
    observed_at: str | None = None
    operation_state: OperationState | None = None
    source_type: str | None = None
    source_types: list[str] | None = None
    summary: ApplicationSummary | None = None
    resource_health_source: str | None = None
    controller_namespace: str | None = None
    source_hydrator: dict | None = None


class Application(KModel):
    """An Argo CD Application."""

    api_version: Literal["argoproj.io/v1alpha1"] = Field(API_VERSION, alias="apiVersion")
    kind: Literal["Application"] = "Application"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ApplicationSpec | None = None
    operation: Operation | None = None
    status: ApplicationStatus | None = None

    @property
    def name(self) -> str:
        return self.metadata.name or ""


__all__ = [
    "Application",
    "ApplicationCondition",
    "ApplicationStatus",
    "ApplicationSummary",
    "HealthStatus",
    "Operation",
    "OperationState",
    "ResourceStatus",
    "RevisionHistory",
    "SyncStatus",
    "StrMap",
]
