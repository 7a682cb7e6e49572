"""``AppProject`` (``argoproj.io/v1alpha1``): what Applications in a project may deploy, where and when."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kedge.model.base import KModel
from kedge.model.meta import ObjectMeta

API_VERSION = "argoproj.io/v1alpha1"


class ProjectDestination(KModel):
    """An allowed destination; ``server``, ``name`` and ``namespace`` may be globs."""

    server: str | None = None
    name: str | None = None
    namespace: str | None = None


class GroupKind(KModel):
    group: str | None = None
    kind: str | None = None


class JWTToken(KModel):
    iat: int | None = None
    exp: int | None = None
    id: str | None = None


class ProjectRole(KModel):
    """A project role: Casbin policy lines ``p, proj:<project>:<role>, <resource>, <action>, <object>, <effect>``."""

    name: str | None = None
    description: str | None = None
    policies: list[str] | None = None
    jwt_tokens: list[JWTToken] | None = None
    groups: list[str] | None = None


class SyncWindow(KModel):
    """``allow``/``deny`` window: a cron ``schedule`` and a Go ``duration``."""

    kind: str | None = None
    schedule: str | None = None
    duration: str | None = None
    applications: list[str] | None = None
    namespaces: list[str] | None = None
    clusters: list[str] | None = None
    manual_sync: bool | None = None
    time_zone: str | None = None
    use_and_operator: bool | None = None
    description: str | None = None


class OrphanedResourceKey(KModel):
    group: str | None = None
    kind: str | None = None
    name: str | None = None


class OrphanedResourcesMonitorSettings(KModel):
    warn: bool | None = None
    ignore: list[OrphanedResourceKey] | None = None


class SignatureKey(KModel):
    key_id: str | None = Field(None, alias="keyID")


class DestinationServiceAccount(KModel):
    server: str | None = None
    namespace: str | None = None
    default_service_account: str | None = None


class AppProjectSpec(KModel):
    source_repos: list[str] | None = None
    source_namespaces: list[str] | None = None
    destinations: list[ProjectDestination] | None = None
    description: str | None = None
    roles: list[ProjectRole] | None = None
    cluster_resource_whitelist: list[GroupKind] | None = None
    namespace_resource_blacklist: list[GroupKind] | None = None
    orphaned_resources: OrphanedResourcesMonitorSettings | None = None
    sync_windows: list[SyncWindow] | None = None
    namespace_resource_whitelist: list[GroupKind] | None = None
    signature_keys: list[SignatureKey] | None = None
    cluster_resource_blacklist: list[GroupKind] | None = None
    permit_only_project_scoped_clusters: bool | None = None
    destination_service_accounts: list[DestinationServiceAccount] | None = None


class JWTTokens(KModel):
    items: list[JWTToken] | None = None


class AppProjectStatus(KModel):
    jwt_tokens_by_role: dict[str, JWTTokens] | None = None


class AppProject(KModel):
    """An Argo CD AppProject."""

    api_version: Literal["argoproj.io/v1alpha1"] = Field(API_VERSION, alias="apiVersion")
    kind: Literal["AppProject"] = "AppProject"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: AppProjectSpec | None = None
    status: AppProjectStatus | None = None

    @property
    def name(self) -> str:
        return self.metadata.name or ""
