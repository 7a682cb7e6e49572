"""Reading Argo CD's sync annotations (and the Helm hook annotations mapped onto them)."""

from __future__ import annotations

from typing import Any

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
HOOK = "argocd.argoproj.io/hook"
HOOK_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
COMPARE_OPTIONS = "argocd.argoproj.io/compare-options"
HELM_HOOK = "helm.sh/hook"
HELM_HOOK_WEIGHT = "helm.sh/hook-weight"
HELM_HOOK_DELETE_POLICY = "helm.sh/hook-delete-policy"

PRE_SYNC, SYNC, POST_SYNC, SYNC_FAIL = "PreSync", "Sync", "PostSync", "SyncFail"
PRE_DELETE, POST_DELETE, SKIP = "PreDelete", "PostDelete", "Skip"
HOOK_TYPES = (PRE_SYNC, SYNC, POST_SYNC, SYNC_FAIL, PRE_DELETE, POST_DELETE, SKIP)

BEFORE_HOOK_CREATION, HOOK_SUCCEEDED, HOOK_FAILED = "BeforeHookCreation", "HookSucceeded", "HookFailed"
DELETE_POLICIES = (BEFORE_HOOK_CREATION, HOOK_SUCCEEDED, HOOK_FAILED)

HELM_HOOK_TYPES = {
    "pre-install": PRE_SYNC,
    "pre-upgrade": PRE_SYNC,
    "post-install": POST_SYNC,
    "post-upgrade": POST_SYNC,
}
HELM_DELETE_POLICIES = {
    "before-hook-creation": BEFORE_HOOK_CREATION,
    "hook-succeeded": HOOK_SUCCEEDED,
    "hook-failed": HOOK_FAILED,
}


def annotations(obj: dict[str, Any]) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def hook_types(obj: dict[str, Any]) -> list[str]:
    """The hook types of an object: Argo CD's annotation wins; Helm's is mapped otherwise
    (pre-install/pre-upgrade -> PreSync, post-install/post-upgrade -> PostSync; other Helm
    hooks such as ``test`` map to nothing, so the object never syncs)."""
    ann = annotations(obj)
    types = [t for t in csv(ann.get(HOOK)) if t in HOOK_TYPES]
    if types:
        return types
    return [HELM_HOOK_TYPES[t] for t in csv(ann.get(HELM_HOOK)) if t in HELM_HOOK_TYPES]


def is_skipped(obj: dict[str, Any]) -> bool:
    """``argocd.argoproj.io/hook: Skip`` alone: the object is not applied at all."""
    return hook_types(obj) == [SKIP]


def is_hook(obj: dict[str, Any]) -> bool:
    ann = annotations(obj)
    if HOOK in ann:
        return not is_skipped(obj)
    return HELM_HOOK in ann


def wave(obj: dict[str, Any]) -> int:
    """``sync-wave`` (or Helm's ``hook-weight``); 0 when absent or not an integer."""
    ann = annotations(obj)
    raw = ann.get(SYNC_WAVE)
    if raw is None:
        raw = ann.get(HELM_HOOK_WEIGHT)
    try:
        return int(str(raw).strip()) if raw is not None else 0
    except ValueError:
        return 0


def delete_policies(obj: dict[str, Any]) -> list[str]:
    """Hook delete policies; ``BeforeHookCreation`` when none is given."""
    ann = annotations(obj)
    policies = [p for p in csv(ann.get(HOOK_DELETE_POLICY)) if p in DELETE_POLICIES]
    if not policies:
        policies = [
            HELM_DELETE_POLICIES[p]
            for p in csv(ann.get(HELM_HOOK_DELETE_POLICY))
            if p in HELM_DELETE_POLICIES
        ]
    return policies or [BEFORE_HOOK_CREATION]


def parse_options(items: list[str] | str | None) -> dict[str, str]:
    """``["Prune=false", "ServerSideApply=true"]`` or ``"Prune=false,ServerSideApply=true"`` ->
    ``{"Prune": "false", "ServerSideApply": "true"}`` (later entries win)."""
    if isinstance(items, str):
        items = csv(items)
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = str(item).partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def sync_options(obj: dict[str, Any]) -> dict[str, str]:
    return parse_options(annotations(obj).get(SYNC_OPTIONS))


def compare_options(obj: dict[str, Any]) -> dict[str, str]:
    return parse_options(annotations(obj).get(COMPARE_OPTIONS))
