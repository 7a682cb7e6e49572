"""The interface both client backends implement, and helpers they share.

Every method takes and returns Argo CD-shaped JSON documents (an Application is the custom
resource as the API returns it, a repository is ``v1alpha1.Repository`` without secrets, ...),
so the commands format one shape whichever backend answered.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kedge.errors import KedgeError

API_VERSION = "argoproj.io/v1alpha1"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
FOREGROUND_FINALIZER = "resources-finalizer.argocd.argoproj.io"
BACKGROUND_FINALIZER = "resources-finalizer.argocd.argoproj.io/background"
SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
COMPLETED_PHASES = ("Succeeded", "Failed", "Error")


class NotSupported(KedgeError):
    """The command is not available with this backend (e.g. the API server lacks the endpoint)."""


@dataclass
class SyncRequest:
    """Argo CD's ``ApplicationSyncRequest``, the flags of ``kedge app sync``."""

    revision: str = ""
    prune: bool = False
    dry_run: bool = False
    force: bool = False
    strategy: str = ""  # "", "apply" or "hook"
    resources: list[dict[str, str]] = field(default_factory=list)
    sync_options: list[str] = field(default_factory=list)
    retry: dict[str, Any] | None = None
    infos: list[dict[str, str]] = field(default_factory=list)

    def to_api(self, name: str) -> dict[str, Any]:
        """The request body of ``POST /api/v1/applications/{name}/sync``."""
        body: dict[str, Any] = {"name": name, "prune": self.prune, "dryRun": self.dry_run}
        if self.revision:
            body["revision"] = self.revision
        strategy = self.strategy or ("apply" if self.force else "")
        if strategy:
            body["strategy"] = {strategy: {"force": self.force}}
        if self.resources:
            body["resources"] = self.resources
        if self.sync_options:
            body["syncOptions"] = {"items": self.sync_options}
        if self.retry:
            body["retryStrategy"] = self.retry
        if self.infos:
            body["infos"] = self.infos
        return body


@dataclass
class ResourceDiffView:
    """One resource of ``kedge app diff``: its identity and a unified diff (empty when equal)."""

    group: str
    kind: str
    namespace: str
    name: str
    text: str
    modified: bool


class Backend(abc.ABC):
    """What the commands call. ``mode`` is ``"core"`` or ``"api"``."""

    mode: str = ""
    username: str = "admin"

    # -- applications ------------------------------------------------------------------------
    @abc.abstractmethod
    def list_apps(
        self, selector: str | None = None, projects: Sequence[str] = ()
    ) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def get_app(self, name: str, refresh: str | None = None) -> dict[str, Any]: ...

    @abc.abstractmethod
    def create_app(self, app: dict[str, Any], upsert: bool = False) -> dict[str, Any]: ...

    @abc.abstractmethod
    def update_app_spec(self, name: str, spec: dict[str, Any]) -> dict[str, Any]: ...

    @abc.abstractmethod
    def patch_app(self, name: str, patch: Any, patch_type: str = "merge") -> dict[str, Any]: ...

    @abc.abstractmethod
    def delete_app(self, name: str, cascade: bool = True, propagation: str = "foreground") -> None: ...

    @abc.abstractmethod
    def sync_app(self, name: str, request: SyncRequest) -> dict[str, Any]: ...

    @abc.abstractmethod
    def rollback_app(
        self, name: str, history_id: int, prune: bool = False, dry_run: bool = False
    ) -> dict[str, Any]: ...

    @abc.abstractmethod
    def terminate_op(self, name: str) -> None: ...

    @abc.abstractmethod
    def diff_app(
        self,
        name: str,
        local: str | None = None,
        revision: str | None = None,
        server_side: bool = False,
        hard_refresh: bool = False,
        color: bool = False,
    ) -> list[ResourceDiffView]: ...

    @abc.abstractmethod
    def labelled_resources(self, name: str, labels: dict[str, str]) -> list[dict[str, str]]:
        """The app's resources (desired or live) carrying all ``labels``, as sync resource refs."""

    @abc.abstractmethod
    def orphaned_resources(self, name: str) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def manifests(
        self, name: str, source: str = "git", revision: str | None = None
    ) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def resource_actions(self, name: str, ref: dict[str, str]) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def run_resource_action(
        self, name: str, ref: dict[str, str], action: str, params: dict[str, str]
    ) -> None: ...

    # -- projects ------------------------------------------------------------------------------
    @abc.abstractmethod
    def list_projects(self) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def get_project(self, name: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    def create_project(self, project: dict[str, Any], upsert: bool = False) -> dict[str, Any]: ...

    @abc.abstractmethod
    def update_project(self, project: dict[str, Any]) -> dict[str, Any]: ...

    @abc.abstractmethod
    def delete_project(self, name: str) -> None: ...

    @abc.abstractmethod
    def create_project_token(
        self, project: str, role: str, expires_in: float | None, token_id: str | None
    ) -> str: ...

    @abc.abstractmethod
    def delete_project_token(
        self, project: str, role: str, issued_at: int, token_id: str | None = None
    ) -> None: ...

    # -- repositories, credential templates, clusters -----------------------------------------
    @abc.abstractmethod
    def list_repos(self, creds: bool = False) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def create_repo(
        self, repo: dict[str, Any], upsert: bool = False, creds: bool = False
    ) -> dict[str, Any]: ...

    @abc.abstractmethod
    def delete_repo(self, url: str, creds: bool = False) -> None: ...

    @abc.abstractmethod
    def list_clusters(self) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def create_cluster(self, cluster: dict[str, Any], upsert: bool = False) -> dict[str, Any]: ...

    @abc.abstractmethod
    def delete_cluster(self, server_or_name: str) -> None: ...

    # -- accounts ------------------------------------------------------------------------------
    @abc.abstractmethod
    def list_accounts(self) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    def user_info(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    def can_i(self, action: str, resource: str, subresource: str) -> bool: ...

    @abc.abstractmethod
    def update_password(self, account: str, current: str, new: str) -> None: ...

    @abc.abstractmethod
    def generate_token(self, account: str, expires_in: float | None, token_id: str | None) -> str: ...

    # -- waiting -------------------------------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - optional hook
        pass


def fnv32a(text: str) -> int:
    """FNV-1a 32-bit hash, which Argo CD uses to name repository and cluster Secrets."""
    h = 0x811C9DC5
    for b in text.encode():
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def parse_resource_ref(text: str) -> dict[str, str]:
    """``GROUP:KIND:NAME`` or ``GROUP:KIND:NAMESPACE/NAME`` (``--resource``), group may be empty."""
    parts = text.split(":")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise KedgeError(
            f"--resource {text!r}: expected GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME (group may be empty)"
        )
    group, kind, name = parts
    ns = ""
    if "/" in name:
        ns, name = name.split("/", 1)
    ref = {"group": group, "kind": kind, "name": name}
    if ns:
        ref["namespace"] = ns
    return ref
