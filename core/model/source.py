"""Where an Application's manifests come from: ``spec.source`` / ``spec.sources[]``."""

from __future__ import annotations

from pydantic import Field

from kedge.model.base import AnyValue, IntOrString, KModel, StrMap


class HelmParameter(KModel):
    name: str | None = None
    value: str | None = None
    force_string: bool | None = None


class HelmFileParameter(KModel):
    name: str | None = None
    path: str | None = None


class Helm(KModel):
    """``source.helm``: values, parameters and ``helm template`` flags."""

    value_files: list[str] | None = None
    values: str | None = None
    values_object: AnyValue = None
    parameters: list[HelmParameter] | None = None
    file_parameters: list[HelmFileParameter] | None = None
    release_name: str | None = None
    namespace: str | None = None
    pass_credentials: bool | None = None
    ignore_missing_value_files: bool | None = None
    skip_crds: bool | None = None
    skip_schema_validation: bool | None = None
    skip_tests: bool | None = None
    version: str | None = None
    kube_version: str | None = None
    api_versions: list[str] | None = None


class KustomizeReplica(KModel):
    name: str | None = None
    count: IntOrString = None


class KustomizeSelector(KModel):
    group: str | None = None
    version: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    label_selector: str | None = None
    annotation_selector: str | None = None


class KustomizePatch(KModel):
    path: str | None = None
    patch: str | None = None
    target: KustomizeSelector | None = None
    options: dict[str, bool] | None = None


class Kustomize(KModel):
    """``source.kustomize``: overrides applied to ``kustomization.yaml`` before building."""

    name_prefix: str | None = None
    name_suffix: str | None = None
    images: list[str] | None = None
    common_labels: StrMap | None = None
    common_annotations: StrMap | None = None
    common_annotations_envsubst: bool | None = None
    label_without_selector: bool | None = None
    label_include_templates: bool | None = None
    force_common_labels: bool | None = None
    force_common_annotations: bool | None = None
    version: str | None = None
    namespace: str | None = None
    replicas: list[KustomizeReplica] | None = None
    patches: list[KustomizePatch] | None = None
    components: list[str] | None = None
    ignore_missing_components: bool | None = None
    kube_version: str | None = None
    api_versions: list[str] | None = None


class JsonnetVar(KModel):
    name: str | None = None
    value: str | None = None
    code: bool | None = None


class Jsonnet(KModel):
    ext_vars: list[JsonnetVar] | None = None
    tlas: list[JsonnetVar] | None = None
    libs: list[str] | None = None


class Directory(KModel):
    """``source.directory``: plain YAML/JSON/Jsonnet files."""

    recurse: bool | None = None
    jsonnet: Jsonnet | None = None
    exclude: str | None = None
    include: str | None = None


class EnvEntry(KModel):
    name: str | None = None
    value: str | None = None


class PluginParameter(KModel):
    name: str | None = None
    string: str | None = None
    array: list[str] | None = None
    map: StrMap | None = None


class Plugin(KModel):
    """``source.plugin``: a config management plugin (sidecar)."""

    name: str | None = None
    env: list[EnvEntry] | None = None
    parameters: list[PluginParameter] | None = None


class ApplicationSource(KModel):
    """One source. ``ref`` names a source whose files other sources use as ``$ref/path``."""

    repo_url: str | None = Field(None, alias="repoURL")
    path: str | None = None
    target_revision: str | None = None
    chart: str | None = None
    ref: str | None = None
    name: str | None = None
    helm: Helm | None = None
    kustomize: Kustomize | None = None
    directory: Directory | None = None
    plugin: Plugin | None = None
