"""Repository credentials, read from Argo CD's repository and repo-creds Secrets.

Argo CD stores them as Secrets labelled ``argocd.argoproj.io/secret-type: repository``
(one repository, matched by exact URL) or ``repo-creds`` (a credential template matched by
URL prefix). This module accepts either whole Secret objects (``data`` base64-encoded and/or
``stringData``) or plain dicts of the same fields::

    url, type (git|helm|oci), name, project, username, password, bearerToken, sshPrivateKey,
    insecure, insecureIgnoreHostKey, tlsClientCertData, tlsClientCertKey, proxy, noProxy,
    enableLFS, enableOCI, forceHttpBasicAuth, githubAppID, githubAppInstallationID,
    githubAppPrivateKey, githubAppEnterpriseBaseUrl, gcpServiceAccountKey

:func:`pick_credentials` chooses the credentials for a URL: the repository Secret whose URL
equals it (after normalisation) first, otherwise the repo-creds template with the longest
matching URL prefix. :class:`RepoCredentials` never shows secret values in ``repr``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from kedge.repo.urls import normalize_url, strip_userinfo

_SECRET_FIELDS = (
    "password",
    "bearerToken",
    "sshPrivateKey",
    "tlsClientCertKey",
    "githubAppPrivateKey",
    "gcpServiceAccountKey",
)

_FIELD_MAP = {
    "url": "url",
    "type": "type",
    "name": "name",
    "project": "project",
    "username": "username",
    "password": "password",
    "bearerToken": "bearer_token",
    "sshPrivateKey": "ssh_private_key",
    "insecure": "insecure",
    "insecureIgnoreHostKey": "insecure",
    "tlsClientCertData": "tls_client_cert_data",
    "tlsClientCertKey": "tls_client_cert_key",
    "proxy": "proxy",
    "noProxy": "no_proxy",
    "enableLFS": "enable_lfs",
    "enableOCI": "enable_oci",
    "insecureOCIForceHttp": "insecure_oci_force_http",
    "forceHttpBasicAuth": "force_http_basic_auth",
    "githubAppID": "github_app_id",
    "githubAppInstallationID": "github_app_installation_id",
    "githubAppPrivateKey": "github_app_private_key",
    "githubAppEnterpriseBaseUrl": "github_app_enterprise_base_url",
}

_BOOL_FIELDS = {"insecure", "enable_lfs", "enable_oci", "force_http_basic_auth", "insecure_oci_force_http"}


@dataclass
class RepoCredentials:
    """Credentials for one repository (or a URL-prefix template). Secret values are hidden in repr."""

    url: str = ""
    type: str = "git"
    name: str = ""
    project: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    bearer_token: str = field(default="", repr=False)
    ssh_private_key: str = field(default="", repr=False)
    insecure: bool = False
    tls_client_cert_data: str = ""
    tls_client_cert_key: str = field(default="", repr=False)
    proxy: str = ""
    no_proxy: str = ""
    enable_lfs: bool = False
    enable_oci: bool = False
    insecure_oci_force_http: bool = False
    force_http_basic_auth: bool = False
    github_app_id: str = ""
    github_app_installation_id: str = ""
    github_app_private_key: str = field(default="", repr=False)
    github_app_enterprise_base_url: str = ""
    #: CA bundle (PEM) for the repository host, from argocd-tls-certs-cm; filled by the server.
    ca_data: str = ""
    #: ssh_known_hosts data (argocd-ssh-known-hosts-cm); filled by the server.
    known_hosts: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RepoCredentials:
        """Build from a Secret (``data``/``stringData``) or a flat dict of Argo CD field names."""
        flat = secret_fields(data)
        kwargs: dict[str, Any] = {}
        for key, attr in _FIELD_MAP.items():
            if key in flat and flat[key] is not None:
                value = flat[key]
                if attr in _BOOL_FIELDS:
                    value = value if isinstance(value, bool) else str(value).strip().lower() == "true"
                else:
                    value = str(value)
                kwargs[attr] = value
        creds = cls(**kwargs)
        if creds.url:
            # credentials written into the URL move to the username/password fields
            url, user, pw = strip_userinfo(creds.url)
            creds.url = url
            if user and not creds.username:
                creds.username = user
            if pw and not creds.password:
                creds.password = pw
        return creds

    def secrets(self) -> list[str]:
        """Every secret value, for scrubbing messages."""
        out = [self.password, self.bearer_token, self.ssh_private_key, self.tls_client_cert_key]
        out.append(self.github_app_private_key)
        return [s for s in out if s]

    def has_auth(self) -> bool:
        return bool(
            self.username
            or self.password
            or self.bearer_token
            or self.ssh_private_key
            or self.tls_client_cert_data
            or self.github_app_private_key
        )

    def merged_with(self, template: RepoCredentials) -> RepoCredentials:
        """This repository's settings, with empty fields taken from a repo-creds template."""
        out = RepoCredentials()
        for f in fields(self):
            mine = getattr(self, f.name)
            setattr(out, f.name, mine if mine not in ("", False) else getattr(template, f.name))
        out.url = self.url
        return out


def secret_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a Secret object (``data`` decoded from base64, ``stringData`` on top), or
    the mapping itself when it is already flat."""
    if "data" not in obj and "stringData" not in obj:
        return dict(obj)
    out: dict[str, Any] = {}
    for key, value in (obj.get("data") or {}).items():
        try:
            out[key] = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            name = (obj.get("metadata") or {}).get("name", "?")
            from kedge.errors import ConfigError

            raise ConfigError(f"Secret {name}: data.{key} is not valid base64-encoded UTF-8") from None
    out.update(obj.get("stringData") or {})
    return out


def _prefix_matches(prefix: str, url: str) -> bool:
    p, u = normalize_url(prefix), normalize_url(url)
    if not p:
        return False
    return u == p or u.startswith(p.rstrip("/") + "/") or url.startswith(prefix)


def pick_credentials(
    url: str,
    repositories: Iterable[RepoCredentials | Mapping[str, Any]] = (),
    repo_creds: Iterable[RepoCredentials | Mapping[str, Any]] = (),
    *,
    project: str = "",
) -> RepoCredentials | None:
    """The credentials to use for ``url`` (for an app of ``project``).

    Project-scoped Secrets (``project: x``) apply only to apps of that project and win over
    global ones for them.

    An exact repository Secret (normalised URL equality) wins; its empty fields are filled from
    the longest matching repo-creds template (Argo CD's behaviour for a repository Secret
    without credentials). Otherwise the longest matching template, with its URL replaced by
    ``url``. None when nothing matches.
    """
    repos = [r if isinstance(r, RepoCredentials) else RepoCredentials.from_mapping(r) for r in repositories]
    templates = [t if isinstance(t, RepoCredentials) else RepoCredentials.from_mapping(t) for t in repo_creds]
    key = normalize_url(url)

    def usable(c: RepoCredentials) -> bool:
        return not c.project or c.project == project

    def rank(c: RepoCredentials) -> int:
        return 1 if c.project and c.project == project else 0

    exacts = [r for r in repos if r.url and usable(r) and normalize_url(r.url) == key]
    exact = max(exacts, key=rank) if exacts else None
    best: RepoCredentials | None = None
    for t in templates:
        if not (t.url and usable(t) and _prefix_matches(t.url, url)):
            continue
        if best is None or (len(t.url), rank(t)) > (len(best.url), rank(best)):
            best = t
    if exact is not None:
        return exact.merged_with(best) if best is not None and not exact.has_auth() else exact
    if best is not None:
        out = RepoCredentials(**{f.name: getattr(best, f.name) for f in fields(best)})
        out.url = url
        return out
    return None


class CredentialStore:
    """Repository and repo-creds Secrets plus host trust data; ``for_url(url)`` answers the
    credentials to use (or None). Thread-safe by being replaced wholesale on settings reload."""

    def __init__(
        self,
        repositories: Iterable[RepoCredentials | Mapping[str, Any]] = (),
        repo_creds: Iterable[RepoCredentials | Mapping[str, Any]] = (),
        *,
        known_hosts: str = "",
        tls_certs: Mapping[str, str] | None = None,
    ) -> None:
        self.repositories = [
            r if isinstance(r, RepoCredentials) else RepoCredentials.from_mapping(r) for r in repositories
        ]
        self.repo_creds = [
            t if isinstance(t, RepoCredentials) else RepoCredentials.from_mapping(t) for t in repo_creds
        ]
        self.known_hosts = known_hosts
        self.tls_certs = dict(tls_certs or {})  # host name -> PEM bundle (argocd-tls-certs-cm)

    def for_url(self, url: str, project: str = "") -> RepoCredentials:
        """Credentials for ``url`` used by an app of ``project`` (an empty
        :class:`RepoCredentials` when none are configured), with URL-embedded userinfo moved out
        of the URL and host trust data attached."""
        from dataclasses import replace

        from kedge.repo.urls import host_port

        creds = replace(
            pick_credentials(url, self.repositories, self.repo_creds, project=project)
            or RepoCredentials(url=url)
        )
        stripped, user, pw = strip_userinfo(url)
        if user and not creds.username:
            creds.username = user
        if pw and not creds.password:
            creds.password = pw
        creds.url = stripped
        creds.known_hosts = creds.known_hosts or self.known_hosts
        host, _ = host_port(stripped)
        if host in self.tls_certs and not creds.ca_data:
            creds.ca_data = self.tls_certs[host]
        return creds


def store_from_settings(settings: Any) -> CredentialStore:
    """A :class:`CredentialStore` from a :class:`kedge.settings.Settings` snapshot: repository and
    repo-creds Secrets, ``argocd-ssh-known-hosts-cm`` (``ssh_known_hosts``) and
    ``argocd-tls-certs-cm`` (host name -> PEM)."""

    def as_dict(repo: Any) -> dict[str, Any]:
        data = dict(getattr(repo, "data", {}) or {})
        data.setdefault("url", getattr(repo, "url", ""))
        data.setdefault("type", getattr(repo, "type", "git"))
        data.setdefault("name", getattr(repo, "name", ""))
        data.setdefault("project", getattr(repo, "project", ""))
        return data

    by_name = getattr(settings, "by_name", {}) or {}
    kh = by_name.get("argocd-ssh-known-hosts-cm")
    tls = by_name.get("argocd-tls-certs-cm")
    return CredentialStore(
        [as_dict(r) for r in settings.repositories()],
        [as_dict(r) for r in settings.repository_credentials()],
        known_hosts=(kh.data.get("ssh_known_hosts", "") if kh is not None else ""),
        tls_certs=(dict(tls.data) if tls is not None else {}),
    )
