"""Kubernetes ``metadata`` as Argo CD resources carry it."""

from __future__ import annotations

from pydantic import Field

from kedge.model.base import KModel, StrMap


class ObjectMeta(KModel):
    name: str | None = None
    namespace: str | None = None
    generate_name: str | None = None
    labels: StrMap | None = None
    annotations: StrMap | None = None
    finalizers: list[str] | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: str | None = None
    deletion_timestamp: str | None = None
    owner_references: list[dict] | None = None
    managed_fields: list[dict] | None = None


class TypeMeta(KModel):
    api_version: str | None = Field(None, alias="apiVersion")
    kind: str | None = None
