"""Known keys of each settings ConfigMap; anything else is kept but reported as a warning."""

from __future__ import annotations

import re

_CM_EXACT = {
    "url", "additionalUrls", "installationID", "admin.enabled", "statusbadge.enabled", "statusbadge.url",
    "users.anonymous.enabled", "users.session.duration", "passwordPattern", "ga.trackingid", "ga.anonymizeusers",
    "help.chatUrl", "help.chatText", "dex.config", "dex.storage", "oidc.config", "oidc.tls.insecure.skip.verify",
    "repositories", "repository.credentials", "helm.repositories", "configManagementPlugins",
    "timeout.reconciliation", "timeout.reconciliation.jitter", "timeout.hard.reconciliation",
    "webhook.refresh.jitter", "webhook.refresh.jitter.threshold", "webhook.maxPayloadSizeMB",
    "cluster.inClusterEnabled", "server.maxPodLogsToRender", "server.rbac.log.enforce.enable",
    "exec.enabled", "exec.shells", "project.links", "application.links", "resource.links",
    "extension.config", "kustomize.enable", "jsonnet.enable", "helm.enable", "kustomize.buildOptions",
    "helm.valuesFileSchemes", "application.instanceLabelKey", "application.allowedNodeLabels",
    "application.resourceTrackingMethod", "application.sync.impersonation.enabled",
    "application.sync.impersonation.enforced", "application.sync.requireOverridePrivilegeForRevisionSync",
    "resource.exclusions", "resource.inclusions", "resource.customizations", "resource.compareoptions",
    "resource.respectRBAC", "resource.ignoreResourceUpdatesEnabled", "resource.sensitive.mask.annotations",
    "resource.customLabels", "resource.includeEventLabelKeys", "resource.excludeEventLabelKeys",
    "ui.cssurl", "ui.bannercontent", "ui.bannerurl", "ui.bannerpermanent", "ui.bannerposition",
    "ui.loginButtonText", "commit.author.name", "commit.author.email", "sourceHydrator.commitMessageTemplate",
    "sourceHydrator.readmeMessageTemplate", "controller.diff.server.side", "accounts.admin",
}  # fmt: skip
_CM_PATTERNS = [
    r"accounts\.[^.]+(\.enabled)?",
    r"resource\.customizations\.(health|actions|ignoreDifferences|ignoreResourceUpdates|knownTypeFields|useOpenLibs)\..+",
    r"help\.download\..+",
    r"kustomize\.(path|buildOptions|version|versions)\..+",
    r"extension\.config\..+",
    r"oidc\..+",
    r"dex\..+",
]

_RBAC_EXACT = {"policy.csv", "policy.default", "scopes", "policy.matchMode"}
_RBAC_PATTERNS = [r"policy\..+\.csv"]

_PARAM_PATTERNS = [
    r"(controller|server|reposerver|commitserver|dexserver|applicationsetcontroller|notificationscontroller|"
    r"redis|otlp|hydrator|repo|commit|log|application|applicationset|kedge)\..+",
]

_NOTIFICATION_EXACT = {"subscriptions", "context", "defaultTriggers"}
_NOTIFICATION_PATTERNS = [r"(service|template|trigger|defaultTriggers)\..+"]

_KNOWN: dict[str, tuple[set[str], list[re.Pattern[str]]]] = {
    "argocd-cm": (_CM_EXACT, [re.compile(p) for p in _CM_PATTERNS]),
    "argocd-rbac-cm": (_RBAC_EXACT, [re.compile(p) for p in _RBAC_PATTERNS]),
    "argocd-cmd-params-cm": (set(), [re.compile(p) for p in _PARAM_PATTERNS]),
    "argocd-notifications-cm": (_NOTIFICATION_EXACT, [re.compile(p) for p in _NOTIFICATION_PATTERNS]),
}


def unknown_keys(configmap: str, keys: list[str]) -> list[str]:
    """Keys of a well-known ConfigMap that Kedge does not recognise (sorted)."""
    known = _KNOWN.get(configmap)
    if known is None:
        return []
    exact, patterns = known
    return sorted(k for k in keys if k not in exact and not any(p.fullmatch(k) for p in patterns))
