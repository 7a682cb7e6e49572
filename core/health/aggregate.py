"""An application's health from its resources' health, as Argo CD's controller computes it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kedge.health.assess import assess
from kedge.health.status import HEALTHY, MISSING, UNKNOWN, HealthStatus, is_worse
from kedge.lua.overrides import ResourceOverrides

HOOK_ANNOTATION = "argocd.argoproj.io/hook"
HELM_HOOK_ANNOTATION = "helm.sh/hook"
IGNORE_HEALTHCHECK_ANNOTATION = "argocd.argoproj.io/ignore-healthcheck"


@dataclass
class ResourceHealthInput:
    """One managed resource: its ``live`` object (None when missing), its ``target`` (desired)
    object, and optionally a ``health`` already assessed (otherwise it is assessed here)."""

    live: dict | None = None
    target: dict | None = None
    health: HealthStatus | None = None
    assessed: bool = False


@dataclass
class AggregateResult:
    """The application's health code plus each resource's health (``None`` = not counted)."""

    status: str
    resources: list[HealthStatus | None] = field(default_factory=list)


def _annotations(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not obj:
        return {}
    return (obj.get("metadata") or {}).get("annotations") or {}


def is_hook(obj: Mapping[str, Any] | None) -> bool:
    """Argo CD or Helm hook (Helm's ``crd-install`` does not count, as in Argo CD)."""
    ann = _annotations(obj)
    if ann.get(HOOK_ANNOTATION):
        return True
    helm = ann.get(HELM_HOOK_ANNOTATION)
    if helm:
        kinds = {h.strip() for h in str(helm).split(",")}
        return bool(kinds - {"crd-install"})
    return False


def is_skipped(obj: Mapping[str, Any] | None) -> bool:
    """``argocd.argoproj.io/hook: Skip``: never applied, never counted."""
    hooks = str(_annotations(obj).get(HOOK_ANNOTATION) or "")
    return "Skip" in {h.strip() for h in hooks.split(",")}


def _is_application(obj: Mapping[str, Any] | None) -> bool:
    if not obj:
        return False
    api = str(obj.get("apiVersion") or "")
    return obj.get("kind") == "Application" and api.startswith("argoproj.io/")


def aggregate(
    resources: Iterable[ResourceHealthInput | Mapping[str, Any]],
    overrides: ResourceOverrides | Mapping[str, str] | None = None,
) -> AggregateResult:
    """Argo CD's application health: start ``Healthy``, keep the worst of the counted resources.

    Not counted: hooks and ``hook: Skip`` resources; live objects annotated
    ``argocd.argoproj.io/ignore-healthcheck: "true"``; resources without health (``None``); a
    missing resource (no live object; it shows as OutOfSync instead); a child
    ``argoproj.io/Application`` that is ``Missing`` or ``Unknown``. If every counted resource
    is missing, the application is ``Missing``.

    Items are :class:`ResourceHealthInput` or mappings with keys ``live``, ``target`` and
    optionally ``health``.
    """
    app_status = HEALTHY
    contains_resources = contains_live = False
    out: list[HealthStatus | None] = []
    for item in resources:
        if isinstance(item, Mapping):
            item = ResourceHealthInput(
                item.get("live"), item.get("target"), item.get("health"), "health" in item
            )
        live, target = item.live, item.target
        if target is not None and is_skipped(target):
            out.append(None)
            continue
        if live is not None and (is_hook(live) or is_skipped(live)):
            out.append(None)
            continue
        contains_resources = True
        if live is not None:
            contains_live = True
            if str(_annotations(live).get(IGNORE_HEALTHCHECK_ANNOTATION)) == "true":
                out.append(None)
                continue
        if live is None:
            health: HealthStatus | None = {"status": MISSING, "message": ""}
        elif item.health is not None or item.assessed:
            health = item.health
        else:
            health = assess(live, overrides)
        out.append(health)
        if health is None:
            continue
        code = health["status"]
        if live is None and code == MISSING:
            continue
        if _is_application(live or target) and code in (MISSING, UNKNOWN):
            continue
        if is_worse(app_status, code):
            app_status = code
    if contains_resources and not contains_live and is_worse(app_status, MISSING):
        app_status = MISSING
    return AggregateResult(app_status, out)
