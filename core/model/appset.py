"""``ApplicationSet`` (``argoproj.io/v1alpha1``): generators plus an Application template.

Generators are kept as plain mappings (``{"list": {...}}``, ``{"git": {...}}``...): each is
interpreted by the generator plugin named by its key (see the ``kedge_appset_generators`` hook).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from kedge.model.base import IntOrString, KModel, StrMap
from kedge.model.meta import ObjectMeta
from kedge.model.spec import ApplicationSpec

API_VERSION = "argoproj.io/v1alpha1"


class TemplateMeta(KModel):
    name: str | None = None
    namespace: str | None = None
    labels: StrMap | None = None
    annotations: StrMap | None = None
    finalizers: list[str] | None = None


class ApplicationSetTemplate(KModel):
    metadata: TemplateMeta | None = None
    spec: ApplicationSpec | None = None


class MatchExpression(KModel):
    key: str | None = None
    operator: str | None = None
    values: list[str] | None = None


class RollingSyncStep(KModel):
    match_expressions: list[MatchExpression] | None = None
    max_update: IntOrString = None


class RollingSync(KModel):
    steps: list[RollingSyncStep] | None = None


class ApplicationSetStrategy(KModel):
    type: str | None = None
    rolling_sync: RollingSync | None = None
    deletion_order: str | None = None


class ApplicationSetSyncPolicy(KModel):
    preserve_resources_on_deletion: bool | None = None
    applications_sync: str | None = None


class ApplicationSetSpec(KModel):
    go_template: bool | None = None
    go_template_options: list[str] | None = None
    generators: list[dict[str, Any]] | None = None
    template: ApplicationSetTemplate | None = None
    sync_policy: ApplicationSetSyncPolicy | None = None
    strategy: ApplicationSetStrategy | None = None
    preserved_fields: dict[str, Any] | None = None
    template_patch: str | None = None
    ignore_application_differences: list[dict[str, Any]] | None = None
    apply_nested_selectors: bool | None = None


class ApplicationSetCondition(KModel):
    type: str | None = None
    status: str | None = None
    message: str | None = None
    reason: str | None = None
    last_transition_time: str | None = None


class ApplicationSetStatus(KModel):
    conditions: list[ApplicationSetCondition] | None = None
    application_status: list[dict[str, Any]] | None = None
    resources: list[dict[str, Any]] | None = None
    resources_count: int | None = None


class ApplicationSet(KModel):
    """An Argo CD ApplicationSet."""

    api_version: Literal["argoproj.io/v1alpha1"] = Field(API_VERSION, alias="apiVersion")
    kind: Literal["ApplicationSet"] = "ApplicationSet"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ApplicationSetSpec | None = None
    status: ApplicationSetStatus | None = None

    @property
    def name(self) -> str:
        return self.metadata.name or ""
