"""Per-group validation summaries for ``kedge admin settings validate`` (like ``argocd admin settings validate``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kedge.settings.snapshot import GROUPS, Settings


@dataclass
class GroupResult:
    group: str
    valid: bool
    summary: str
    errors: list[str]

    def as_dict(self) -> dict:
        return {"group": self.group, "valid": self.valid, "summary": self.summary, "errors": self.errors}


def _general(s: Settings) -> str:
    lines = []
    dex, oidc = s.dex_config(), s.oidc_config()
    if oidc:
        lines.append("OIDC is configured" + ("" if s.url else " ('url' field is missing)"))
    elif dex:
        lines.append("Dex is configured" + ("" if s.url else " ('url' field is missing)"))
    else:
        lines.append("SSO is not configured")
    lines.append(f"URL: {s.url or '(not set)'}")
    lines.append(
        f"reconciliation: every {s.reconciliation_timeout:g}s (+ up to {s.reconciliation_jitter:g}s jitter), "
        f"hard: {'off' if not s.hard_reconciliation_timeout else f'{s.hard_reconciliation_timeout:g}s'}"
    )
    lines.append(f"resource tracking: {s.resource_tracking_method} ({s.instance_label_key})")
    return "\n".join(lines)


def _accounts(s: Settings) -> str:
    accounts = s.accounts()
    enabled = sorted(a.name for a in accounts.values() if a.enabled)
    return f"{len(accounts)} accounts ({', '.join(enabled) or 'none'} enabled)"


def _repositories(s: Settings) -> str:
    return f"{len(s.repositories())} repositories\n{len(s.repository_credentials())} repository credentials"


def _clusters(s: Settings) -> str:
    return f"{len(s.clusters())} clusters"


def _rbac(s: Settings) -> str:
    r = s.rbac()
    lines = [ln for ln in r.policy_csv.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return f"{len(lines)} policy lines, default role: {r.default_policy or '(none)'}, scopes: {', '.join(r.scopes)}"


def _resource_overrides(s: Settings) -> str:
    return (
        f"{len(s.resource_overrides())} resource overrides\n"
        f"{len(s.resource_exclusions)} exclusions, {len(s.resource_inclusions)} inclusions"
    )


def _kustomize(s: Settings) -> str:
    opts = s.kustomize_build_options
    return f"build options: {opts}" if opts else "default options"


def _notifications(s: Settings) -> str:
    return (
        f"{len(s.notification_services())} services, {len(s.notification_templates())} templates, "
        f"{len(s.notification_triggers())} triggers"
    )


def _params(s: Settings) -> str:
    return (
        f"controller: {s.controller_status_processors} status / {s.controller_operation_processors} operation "
        f"processors; repo server parallelism: {s.reposerver_parallelism_limit or 'unlimited'}; "
        f"redis: {s.redis_server or 'in-process cache'}"
    )


SUMMARIES: dict[str, Callable[[Settings], str]] = {
    "general": _general,
    "accounts": _accounts,
    "repositories": _repositories,
    "clusters": _clusters,
    "rbac": _rbac,
    "resource-overrides": _resource_overrides,
    "kustomize": _kustomize,
    "notifications": _notifications,
    "cmd-params": _params,
}
assert set(SUMMARIES) == set(GROUPS)


def validate_groups(settings: Settings, groups: list[str] | None = None) -> list[GroupResult]:
    """One result per group (all groups by default), in :data:`GROUPS` order."""
    out = []
    for group in GROUPS:
        if groups and group not in groups:
            continue
        errors = settings.errors_for(group)
        out.append(GroupResult(group, not errors, "" if errors else SUMMARIES[group](settings), errors))
    return out
