"""Repository, repository-credential template and cluster Secrets.

Credential lookup follows Argo CD: a repository Secret whose ``url`` equals the repository URL
wins (compared after normalising: lower-case, no trailing ``/`` or ``.git``); its missing
credentials are filled from the repo-creds Secret with the *longest* ``url`` that is a prefix
of the repository URL; with no repository Secret, that template alone is used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from kedge.settings.objects import ConfigObject

#: data keys that carry credentials (copied from a repo-creds template when the repository has none)
CREDENTIAL_KEYS = (
    "username",
    "password",
    "sshPrivateKey",
    "tlsClientCertData",
    "tlsClientCertKey",
    "githubAppPrivateKey",
    "githubAppID",
    "githubAppInstallationID",
    "githubAppEnterpriseBaseUrl",
    "gcpServiceAccountKey",
    "bearerToken",
    "forceHttpBasicAuth",
    "useAzureWorkloadIdentity",
    "proxy",
    "noProxy",
)
REPO_TYPES = ("git", "helm", "oci")


def normalize_url(url: str) -> str:
    """Argo CD-style normalisation for comparing repository URLs."""
    u = url.strip().lower()
    while u.endswith("/"):
        u = u[:-1]
    if u.endswith(".git"):
        u = u[:-4]
    return u


@dataclass(frozen=True)
class Repository:
    """A repository (or a credential template) from a labelled Secret."""

    url: str
    type: str = "git"
    name: str = ""
    project: str = ""
    data: dict[str, str] = field(default_factory=dict)
    secret: str = ""
    creds_secret: str = ""

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.data.get(key, default)

    @property
    def username(self) -> str | None:
        return self.data.get("username")

    @property
    def password(self) -> str | None:
        return self.data.get("password")

    @property
    def ssh_private_key(self) -> str | None:
        return self.data.get("sshPrivateKey")

    @property
    def insecure(self) -> bool:
        return self.data.get("insecure", "false").lower() == "true"

    @property
    def enable_lfs(self) -> bool:
        return self.data.get("enableLfs", "false").lower() == "true"

    @property
    def has_credentials(self) -> bool:
        return any(
            self.data.get(k) for k in CREDENTIAL_KEYS if k not in ("proxy", "noProxy", "forceHttpBasicAuth")
        )


def repository_from(obj: ConfigObject) -> tuple[Repository | None, list[str]]:
    url = obj.data.get("url", "")
    problems: list[str] = []
    if not url:
        problems.append(f'{obj.label}: data["url"]: required field is missing')
    rtype = obj.data.get("type", "git")
    if rtype not in REPO_TYPES:
        problems.append(f'{obj.label}: data["type"]: expected one of {", ".join(REPO_TYPES)}, got "{rtype}"')
    if problems:
        return None, problems
    return (
        Repository(
            url=url,
            type=rtype,
            name=obj.data.get("name", ""),
            project=obj.data.get("project", ""),
            data=dict(obj.data),
            secret=obj.name,
        ),
        [],
    )


_LEGACY_SECRET_FIELDS = {
    "usernameSecret": "username",
    "passwordSecret": "password",
    "sshPrivateKeySecret": "sshPrivateKey",
    "tlsClientCertDataSecret": "tlsClientCertData",
    "tlsClientCertKeySecret": "tlsClientCertKey",
    "githubAppPrivateKeySecret": "githubAppPrivateKey",
    "gcpServiceAccountKey": "gcpServiceAccountKey",
}


def legacy_repositories(
    entries: Any, secrets: dict[str, ConfigObject], key: str
) -> tuple[list[Repository], list[str]]:
    """Deprecated argocd-cm ``repositories`` / ``repository.credentials`` lists, secrets resolved.

    Each entry has ``url`` plus plain fields (``type``, ``name``, ``insecure``...) and
    ``<field>Secret: {name, key}`` references to Secrets.
    """
    out: list[Repository] = []
    problems: list[str] = []
    if entries is None:
        return out, problems
    if not isinstance(entries, list):
        return out, [f"{key}: expected a list of repositories"]
    for i, entry in enumerate(entries):
        where = f"{key}[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str) or not entry["url"]:
            problems.append(f"{where}.url: required field is missing")
            continue
        data = {
            k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in entry.items()
            if not isinstance(v, dict | list)
        }
        for ref_field, data_key in _LEGACY_SECRET_FIELDS.items():
            ref = entry.get(ref_field)
            if not isinstance(ref, dict):
                continue
            secret = secrets.get(str(ref.get("name")))
            value = secret.data.get(str(ref.get("key"))) if secret is not None else None
            if value is None:
                problems.append(
                    f"{where}.{ref_field}: key {ref.get('key')!r} not found in Secret {ref.get('name')!r}"
                )
                continue
            data[data_key] = value
        out.append(
            Repository(
                url=entry["url"],
                type=data.get("type", "git"),
                name=data.get("name", ""),
                project=data.get("project", ""),
                data=data,
                secret=f"argocd-cm:{key}",
            )
        )
    return out, problems


def credentials_for(
    url: str, repositories: list[Repository], templates: list[Repository]
) -> Repository | None:
    """The repository settings and credentials to use for ``url`` (None when nothing matches)."""
    want = normalize_url(url)
    repo = next((r for r in repositories if normalize_url(r.url) == want), None)
    template = _best_template(url, templates)
    if repo is None:
        if template is None:
            return None
        return replace(template, url=url, creds_secret=template.secret, secret="")
    if repo.has_credentials or template is None:
        return repo
    merged = dict(repo.data)
    for key in CREDENTIAL_KEYS:
        if key in template.data and key not in merged:
            merged[key] = template.data[key]
    return replace(repo, data=merged, creds_secret=template.secret)


def _best_template(url: str, templates: list[Repository]) -> Repository | None:
    low = url.strip().lower()
    best: Repository | None = None
    for t in templates:
        prefix = t.url.strip().lower()
        if low.startswith(prefix) and (best is None or len(prefix) > len(best.url)):
            best = t
    return best


@dataclass(frozen=True)
class Cluster:
    """A destination cluster from a Secret labelled ``argocd.argoproj.io/secret-type: cluster``."""

    server: str
    name: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    namespaces: list[str] = field(default_factory=list)
    cluster_resources: bool = False
    project: str = ""
    shard: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    secret: str = ""


def cluster_from(obj: ConfigObject) -> tuple[Cluster | None, list[str]]:
    problems: list[str] = []
    server = obj.data.get("server", "")
    if not server:
        problems.append(f'{obj.label}: data["server"]: required field is missing')
    config: dict[str, Any] = {}
    raw = obj.data.get("config")
    if raw:
        try:
            parsed = json.loads(raw)
            if not isinstance(parsed, dict):
                raise ValueError("not an object")
            config = parsed
        except ValueError as exc:
            problems.append(f'{obj.label}: data["config"]: expected a JSON object ({exc})')
    shard: int | None = None
    if obj.data.get("shard"):
        try:
            shard = int(obj.data["shard"])
        except ValueError:
            problems.append(f'{obj.label}: data["shard"]: expected integer, got "{obj.data["shard"]}"')
    if problems:
        return None, problems
    return (
        Cluster(
            server=server,
            name=obj.data.get("name", ""),
            config=config,
            namespaces=[n.strip() for n in obj.data.get("namespaces", "").split(",") if n.strip()],
            cluster_resources=obj.data.get("clusterResources", "false").lower() == "true",
            project=obj.data.get("project", ""),
            shard=shard,
            labels=dict(obj.labels),
            annotations=dict(obj.annotations),
            secret=obj.name,
        ),
        [],
    )
