"""One immutable snapshot of every setting, with typed accessors and Argo CD's defaults.

Build it with :meth:`Settings.from_objects` from plain ConfigMap/Secret dicts (what a directory
loader or a cluster loader produces). Construction never raises: problems are collected in
:attr:`Settings.errors` (``(group, message)``) and unknown keys in :attr:`Settings.warnings`;
:meth:`Settings.raise_for_errors` turns errors into a :class:`SettingsError`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kedge.errors import ConfigError
from kedge.settings import keys as _keys
from kedge.settings import objects as o
from kedge.settings.durations import parse_go_duration
from kedge.settings.objects import ConfigObject, config_object
from kedge.settings.refs import resolve, resolve_tree
from kedge.settings.repos import (
    Cluster,
    Repository,
    cluster_from,
    credentials_for,
    legacy_repositories,
    normalize_url,
    repository_from,
)
from kedge.settings.yamlio import YAMLProblem, load_one

DEFAULT_INSTANCE_LABEL_KEY = "app.kubernetes.io/instance"
TRACKING_METHODS = ("annotation", "label", "annotation+label")
#: Argo CD 3.x tracks resources by the ``argocd.argoproj.io/tracking-id`` annotation by default.
DEFAULT_TRACKING_METHOD = "annotation"
DEFAULT_REDIS = None
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"  # unset: Kedge uses its in-process cache

#: Argo CD's setting groups, in ``kedge admin settings validate`` order.
GROUPS = (
    "general",
    "accounts",
    "repositories",
    "clusters",
    "rbac",
    "resource-overrides",
    "kustomize",
    "notifications",
    "cmd-params",
)

OVERRIDE_FIELDS = (
    "health",
    "actions",
    "ignoreDifferences",
    "ignoreResourceUpdates",
    "knownTypeFields",
    "useOpenLibs",
)


def _memo(method):
    """Cache a no-argument accessor: a snapshot never changes, so parse its YAML once."""
    name = method.__name__

    def wrapper(self):
        cache = self.__dict__.setdefault("_memo", {})
        if name not in cache:
            cache[name] = method(self)
        return cache[name]

    wrapper.__name__ = name
    wrapper.__doc__ = method.__doc__
    return wrapper


class SettingsError(ConfigError):
    """Invalid settings; ``problems`` has one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid settings:\n  " + "\n  ".join(self.problems))


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True)
class Account:
    """A local user (``accounts.<name>`` in argocd-cm, password and tokens in argocd-secret)."""

    name: str
    capabilities: tuple[str, ...]
    enabled: bool = True
    password_hash: str | None = None
    password_mtime: str | None = None
    tokens: str | None = None


@dataclass(frozen=True)
class ResourceOverride:
    """``resource.customizations`` for one ``group/Kind`` (or glob), old map and split keys merged."""

    key: str
    health_lua: str | None = None
    use_open_libs: bool = False
    actions: str | None = None
    ignore_differences: dict[str, Any] | None = None
    ignore_resource_updates: dict[str, Any] | None = None
    known_type_fields: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class RBACSettings:
    """``argocd-rbac-cm``: ``policy.csv`` plus ``policy.<overlay>.csv`` (sorted by key), default role, scopes."""

    policy_csv: str
    default_policy: str
    scopes: list[str]
    match_mode: str


class Settings:
    """A settings snapshot. Accessors return Argo CD's defaults for unset keys."""

    def __init__(self, objects: Iterable[ConfigObject] = (), problems: Iterable[str] = ()) -> None:
        self._frozen = False
        self.objects: list[ConfigObject] = list(objects)
        self.errors: list[tuple[str, str]] = [("general", p) for p in problems]
        self.warnings: list[str] = []
        self.by_name: dict[str, ConfigObject] = {}
        self.secrets: dict[str, ConfigObject] = {}
        for obj in self.objects:
            if obj.name in self.by_name and self.by_name[obj.name].kind == obj.kind:
                self._warn(f"{obj.label}: defined again; the later definition wins")
            self.by_name[obj.name] = obj
            if obj.kind == "Secret":
                self.secrets[obj.name] = obj
        for name, kind in o.WELL_KNOWN.items():
            obj = self.by_name.get(name)
            if obj is not None and obj.kind != kind:
                self._error("general", f"{obj.label}: expected a {kind} named {name}")
        for cm in ("argocd-cm", "argocd-rbac-cm", "argocd-cmd-params-cm", "argocd-notifications-cm"):
            for key in _keys.unknown_keys(cm, list(self._cm(cm))):
                self._warn(f'{cm}: unknown key "{key}" (kept, not used by Kedge)')
        self._validate()
        self._frozen = True

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_objects(cls, docs: Iterable[Mapping[str, Any]], source: str = "") -> Settings:
        """Settings from ConfigMap/Secret dicts; other kinds are ignored."""
        return cls.from_sourced((source, d) for d in docs)

    @classmethod
    def from_sourced(cls, docs: Iterable[tuple[str, Any]]) -> Settings:
        """Settings from ``(source, dict)`` pairs; ``source`` names the file in messages."""
        objs: list[ConfigObject] = []
        problems: list[str] = []
        for source, doc in docs:
            obj, found = config_object(doc, source)
            problems += found
            if obj is not None:
                objs.append(obj)
        return cls(objs, problems)

    def raise_for_errors(self) -> None:
        if self.errors:
            raise SettingsError([m for _, m in self.errors])

    def _error(self, group: str, message: str) -> None:
        # Problems are collected while the snapshot is built; later accessor calls stay silent.
        if not self._frozen:
            self.errors.append((group, message))

    def _warn(self, message: str) -> None:
        if not self._frozen:
            self.warnings.append(message)

    def _cm(self, name: str) -> dict[str, str]:
        obj = self.by_name.get(name)
        return dict(obj.data) if obj is not None and obj.kind == "ConfigMap" else {}

    # -- raw maps -----------------------------------------------------------------------------
    @cached_property
    def cm(self) -> dict[str, str]:
        """``argocd-cm`` data (raw strings)."""
        return self._cm(o.ARGOCD_CM)

    @cached_property
    def rbac_cm(self) -> dict[str, str]:
        return self._cm(o.ARGOCD_RBAC_CM)

    @cached_property
    def params(self) -> dict[str, str]:
        """``argocd-cmd-params-cm`` data."""
        return self._cm(o.ARGOCD_CMD_PARAMS_CM)

    @cached_property
    def notifications_cm(self) -> dict[str, str]:
        return self._cm(o.ARGOCD_NOTIFICATIONS_CM)

    @cached_property
    def secret(self) -> dict[str, str]:
        """``argocd-secret`` data (decoded)."""
        obj = self.secrets.get(o.ARGOCD_SECRET)
        return dict(obj.data) if obj else {}

    def get(self, key: str, default: str | None = None) -> str | None:
        """A raw ``argocd-cm`` value."""
        return self.cm.get(key, default)

    def resolve(self, value: str, default_secret: str = o.ARGOCD_SECRET) -> str:
        """Resolve a ``$key`` / ``$secret:key`` reference (unresolvable ones stay as written)."""
        return resolve(value, self.secrets, default_secret, self._warn)

    # -- typed helpers ------------------------------------------------------------------------
    def _bool(self, data: Mapping[str, str], key: str, default: bool, group: str = "general") -> bool:
        raw = data.get(key)
        if raw is None or raw == "":
            return default
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        self._error(group, f'{key}: expected "true" or "false", got "{raw}"')
        return default

    def _duration(self, data: Mapping[str, str], key: str, default: float, group: str = "general") -> float:
        raw = data.get(key)
        if raw is None or raw == "":
            return default
        try:
            return parse_go_duration(raw)
        except ValueError:
            self._error(group, f'{key}: expected a duration such as "120s" or "3m", got "{raw}"')
            return default

    def _int(self, data: Mapping[str, str], key: str, default: int, group: str = "cmd-params") -> int:
        raw = data.get(key)
        if raw is None or raw == "":
            return default
        try:
            return int(raw.strip())
        except ValueError:
            self._error(group, f'{key}: expected integer, got "{raw}"')
            return default

    def _yaml(self, data: Mapping[str, str], key: str, group: str) -> Any:
        raw = data.get(key)
        if raw is None or raw.strip() == "":
            return None
        try:
            return load_one(raw)
        except YAMLProblem as exc:
            self._error(group, f"{key}: invalid YAML: {exc}")
            return None

    # -- argocd-cm: general ---------------------------------------------------------------------
    @property
    def url(self) -> str | None:
        """External URL of the UI/API (``url``); required for SSO."""
        return self.cm.get("url") or None

    @property
    def reconciliation_timeout(self) -> float:
        """Seconds between periodic refreshes (``timeout.reconciliation``, default 120s; 0 disables)."""
        return self._duration(self.cm, "timeout.reconciliation", 120.0)

    @property
    def reconciliation_jitter(self) -> float:
        """Maximum extra seconds added to the refresh period (``timeout.reconciliation.jitter``, default 60s)."""
        return self._duration(self.cm, "timeout.reconciliation.jitter", 60.0)

    @property
    def hard_reconciliation_timeout(self) -> float:
        """Seconds between hard refreshes that bypass caches (``timeout.hard.reconciliation``, default 0 = off)."""
        return self._duration(self.cm, "timeout.hard.reconciliation", 0.0)

    @property
    def resource_tracking_method(self) -> str:
        """``annotation`` (default), ``label`` or ``annotation+label``."""
        raw = self.cm.get("application.resourceTrackingMethod") or DEFAULT_TRACKING_METHOD
        return raw if raw in TRACKING_METHODS else DEFAULT_TRACKING_METHOD

    @property
    def instance_label_key(self) -> str:
        return self.cm.get("application.instanceLabelKey") or DEFAULT_INSTANCE_LABEL_KEY

    @property
    def installation_id(self) -> str | None:
        return self.cm.get("installationID") or None

    @property
    def users_anonymous_enabled(self) -> bool:
        return self._bool(self.cm, "users.anonymous.enabled", False)

    @property
    def admin_enabled(self) -> bool:
        return self._bool(self.cm, "admin.enabled", True, "accounts")

    @property
    def statusbadge_enabled(self) -> bool:
        return self._bool(self.cm, "statusbadge.enabled", False)

    @property
    def exec_enabled(self) -> bool:
        return self._bool(self.cm, "exec.enabled", False)

    @property
    def helm_values_file_schemes(self) -> list[str]:
        """Allowed remote values file URL schemes (default ``http``, ``https``; empty value disables)."""
        raw = self.cm.get("helm.valuesFileSchemes")
        if raw is None:
            return ["http", "https"]
        return [s.strip() for s in raw.split(",") if s.strip()]

    @property
    def server_secret_key(self) -> str | None:
        """``server.secretkey`` from argocd-secret (signs session tokens)."""
        return self.secret.get("server.secretkey")

    @_memo
    def oidc_config(self) -> dict[str, Any] | None:
        """``oidc.config`` parsed, ``$`` references resolved."""
        tree = self._yaml(self.cm, "oidc.config", "general")
        if tree is None:
            return None
        if not isinstance(tree, dict):
            self._error("general", "oidc.config: expected a mapping")
            return None
        return resolve_tree(tree, self.secrets, o.ARGOCD_SECRET, self._warn)

    @_memo
    def dex_config(self) -> dict[str, Any] | None:
        """``dex.config`` parsed, ``$`` references resolved."""
        tree = self._yaml(self.cm, "dex.config", "general")
        if tree is None:
            return None
        if not isinstance(tree, dict):
            self._error("general", "dex.config: expected a mapping")
            return None
        return resolve_tree(tree, self.secrets, o.ARGOCD_SECRET, self._warn)

    # -- accounts --------------------------------------------------------------------------------
    @_memo
    def accounts(self) -> dict[str, Account]:
        """Local users, ``admin`` included (unless ``admin.enabled: "false"``)."""
        out: dict[str, Account] = {}
        sec = self.secret
        for key, value in self.cm.items():
            parts = key.split(".")
            if len(parts) != 2 or parts[0] != "accounts":
                continue
            name = parts[1]
            caps = tuple(c.strip() for c in value.split(",") if c.strip())
            for cap in caps:
                if cap not in ("apiKey", "login"):
                    self._error(
                        "accounts", f'{key}: expected capabilities "apiKey" and/or "login", got "{cap}"'
                    )
            out[name] = Account(
                name=name,
                capabilities=caps,
                enabled=self._bool(self.cm, f"accounts.{name}.enabled", True, "accounts"),
                password_hash=sec.get(f"accounts.{name}.password"),
                password_mtime=sec.get(f"accounts.{name}.passwordMtime"),
                tokens=sec.get(f"accounts.{name}.tokens"),
            )
        admin_caps = tuple(c.strip() for c in self.cm.get("accounts.admin", "login").split(",") if c.strip())
        out["admin"] = Account(
            name="admin",
            capabilities=admin_caps,
            enabled=self.admin_enabled,
            password_hash=sec.get("admin.password"),
            password_mtime=sec.get("admin.passwordMtime"),
        )
        return out

    # -- resources -------------------------------------------------------------------------------
    def _filters(self, key: str) -> list[dict[str, Any]]:
        tree = self._yaml(self.cm, key, "resource-overrides")
        if tree is None:
            return []
        if not isinstance(tree, list) or not all(isinstance(t, dict) for t in tree):
            self._error("resource-overrides", f"{key}: expected a list of {{apiGroups, kinds, clusters}}")
            return []
        return tree

    @cached_property
    def resource_exclusions(self) -> list[dict[str, Any]]:
        """``resource.exclusions``: ``[{apiGroups: [...], kinds: [...], clusters: [...]}]`` (globs)."""
        return self._filters("resource.exclusions")

    @cached_property
    def resource_inclusions(self) -> list[dict[str, Any]]:
        return self._filters("resource.inclusions")

    @cached_property
    def resource_compare_options(self) -> dict[str, Any]:
        """``resource.compareoptions`` with Argo CD's defaults filled in."""
        opts: dict[str, Any] = {
            "ignoreAggregatedRoles": False,
            "ignoreResourceStatusField": "all",
            "ignoreDifferencesOnResourceUpdates": True,
        }
        tree = self._yaml(self.cm, "resource.compareoptions", "resource-overrides")
        if isinstance(tree, dict):
            opts.update(tree)
        elif tree is not None:
            self._error("resource-overrides", "resource.compareoptions: expected a mapping")
        return opts

    @_memo
    def resource_overrides(self) -> dict[str, ResourceOverride]:
        """All ``resource.customizations`` by ``group/Kind`` key (split keys override the old map)."""
        merged: dict[str, dict[str, Any]] = {}
        old = self._yaml(self.cm, "resource.customizations", "resource-overrides")
        if isinstance(old, dict):
            for gk, entry in old.items():
                if not isinstance(entry, dict):
                    self._error("resource-overrides", f"resource.customizations: {gk}: expected a mapping")
                    continue
                item = merged.setdefault(str(gk), {})
                if "health.lua" in entry:
                    item["health"] = entry["health.lua"]
                for f in (
                    "actions",
                    "ignoreDifferences",
                    "ignoreResourceUpdates",
                    "knownTypeFields",
                    "useOpenLibs",
                ):
                    if f in entry:
                        item[f] = entry[f]
                if "health.lua.useOpenLibs" in entry:
                    item["useOpenLibs"] = entry["health.lua.useOpenLibs"]
        elif old is not None:
            self._error("resource-overrides", "resource.customizations: expected a mapping of group/Kind")
        prefix = "resource.customizations."
        for key, value in self.cm.items():
            if not key.startswith(prefix) or key == prefix[:-1]:
                continue
            rest = key[len(prefix) :]
            fld, _, gk = rest.partition(".")
            if fld not in OVERRIDE_FIELDS or not gk:
                continue
            merged.setdefault(split_key_to_group_kind(gk), {})[fld] = value
        out: dict[str, ResourceOverride] = {}
        for gk, item in merged.items():
            out[gk] = ResourceOverride(
                key=gk,
                health_lua=item.get("health") or None,
                use_open_libs=str(item.get("useOpenLibs", "false")).lower() == "true",
                actions=item.get("actions") or None,
                ignore_differences=self._sub_yaml(gk, "ignoreDifferences", item.get("ignoreDifferences")),
                ignore_resource_updates=self._sub_yaml(
                    gk, "ignoreResourceUpdates", item.get("ignoreResourceUpdates")
                ),
                known_type_fields=self._known_fields(gk, item.get("knownTypeFields")),
            )
        return out

    def resource_override(self, group: str, kind: str) -> ResourceOverride | None:
        """The override for ``group/Kind``: an exact key first, then the first matching glob key (sorted)."""
        gk = f"{group}/{kind}"
        cache = self.__dict__.setdefault("_override_cache", {})
        if gk not in cache:
            overrides = self.resource_overrides()
            found = overrides.get(gk)
            if found is None:
                globs = (k for k in sorted(overrides) if any(c in k for c in "*?["))
                found = next((overrides[k] for k in globs if fnmatch.fnmatchcase(gk, k)), None)
            cache[gk] = found
        return cache[gk]

    def _sub_yaml(self, gk: str, fld: str, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        if isinstance(value, dict):
            return value
        try:
            tree = load_one(value) if isinstance(value, str) else value
        except YAMLProblem as exc:
            self._error("resource-overrides", f"resource.customizations.{fld} for {gk}: invalid YAML: {exc}")
            return None
        if tree is not None and not isinstance(tree, dict):
            self._error("resource-overrides", f"resource.customizations.{fld} for {gk}: expected a mapping")
            return None
        return tree

    def _known_fields(self, gk: str, value: Any) -> list[dict[str, Any]]:
        if value is None:
            return []
        try:
            tree = load_one(value) if isinstance(value, str) else value
        except YAMLProblem as exc:
            self._error(
                "resource-overrides", f"resource.customizations.knownTypeFields for {gk}: invalid YAML: {exc}"
            )
            return []
        return tree if isinstance(tree, list) else []

    # -- kustomize -------------------------------------------------------------------------------
    @property
    def kustomize_build_options(self) -> str:
        return self.cm.get("kustomize.buildOptions", "")

    # -- rbac ------------------------------------------------------------------------------------
    @_memo
    def rbac(self) -> RBACSettings:
        data = self.rbac_cm
        parts = [data.get("policy.csv", "")]
        for key in sorted(
            k for k in data if k.startswith("policy.") and k.endswith(".csv") and k != "policy.csv"
        ):
            parts.append(data[key])
        scopes: list[str] = ["groups"]
        tree = self._yaml(data, "scopes", "rbac")
        if isinstance(tree, list) and all(isinstance(s, str) for s in tree):
            scopes = tree
        elif tree is not None:
            self._error(
                "rbac", f'scopes: expected a list such as "[groups, email]", got "{data.get("scopes")}"'
            )
        mode = data.get("policy.matchMode") or "glob"
        if mode not in ("glob", "regex"):
            self._error("rbac", f'policy.matchMode: expected "glob" or "regex", got "{mode}"')
            mode = "glob"
        return RBACSettings(
            policy_csv="\n".join(p.strip("\n") for p in parts if p.strip()),
            default_policy=data.get("policy.default", ""),
            scopes=scopes,
            match_mode=mode,
        )

    # -- cmd params ------------------------------------------------------------------------------
    def param(self, key: str, default: str | None = None) -> str | None:
        """A raw ``argocd-cmd-params-cm`` value."""
        return self.params.get(key, default)

    @property
    def controller_status_processors(self) -> int:
        return self._int(self.params, "controller.status.processors", 20)

    @property
    def controller_operation_processors(self) -> int:
        return self._int(self.params, "controller.operation.processors", 10)

    @property
    def controller_self_heal_timeout(self) -> int:
        """Seconds before a self-heal sync (``controller.self.heal.timeout.seconds``, default 2)."""
        return self._int(self.params, "controller.self.heal.timeout.seconds", 2)

    @property
    def controller_repo_server_timeout(self) -> int:
        return self._int(self.params, "controller.repo.server.timeout.seconds", 60)

    @property
    def reposerver_parallelism_limit(self) -> int:
        """Concurrent manifest generations (``reposerver.parallelism.limit``; below 1 means no limit)."""
        return self._int(self.params, "reposerver.parallelism.limit", 0)

    @property
    def redis_server(self) -> str | None:
        """``redis.server`` (``host:port``); unset means Kedge's in-process cache."""
        return self.params.get("redis.server") or DEFAULT_REDIS

    @property
    def application_namespaces(self) -> list[str]:
        return [n.strip() for n in self.params.get("application.namespaces", "").split(",") if n.strip()]

    # -- notifications ---------------------------------------------------------------------------
    def _notification_items(self, prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.notifications_cm.items():
            if key.startswith(prefix) and len(key) > len(prefix):
                try:
                    out[key[len(prefix) :]] = load_one(value)
                except YAMLProblem as exc:
                    self._error("notifications", f"{key}: invalid YAML: {exc}")
        return out

    @_memo
    def notification_services(self) -> dict[str, dict[str, Any]]:
        """``service.<type>[.<name>]`` configs with ``$key`` resolved from argocd-notifications-secret."""
        out: dict[str, dict[str, Any]] = {}
        for name, tree in self._notification_items("service.").items():
            if not isinstance(tree, dict):
                self._error("notifications", f"service.{name}: expected a mapping")
                continue
            out[name] = resolve_tree(tree, self.secrets, o.ARGOCD_NOTIFICATIONS_SECRET, self._warn)
        return out

    @_memo
    def notification_templates(self) -> dict[str, Any]:
        return self._notification_items("template.")

    @_memo
    def notification_triggers(self) -> dict[str, Any]:
        return self._notification_items("trigger.")

    @_memo
    def notification_subscriptions(self) -> list[Any]:
        tree = self._yaml(self.notifications_cm, "subscriptions", "notifications")
        return tree if isinstance(tree, list) else []

    # -- repositories and clusters ---------------------------------------------------------------
    def _typed_secrets(self, secret_type: str) -> list[ConfigObject]:
        return sorted(
            (s for s in self.secrets.values() if s.secret_type == secret_type), key=lambda s: s.name
        )

    @_memo
    def repositories(self) -> list[Repository]:
        """Secrets labelled ``argocd.argoproj.io/secret-type: repository``."""
        return self._repos("repository")

    @_memo
    def repository_credentials(self) -> list[Repository]:
        """Credential templates: Secrets labelled ``argocd.argoproj.io/secret-type: repo-creds``."""
        return self._repos("repo-creds")

    def _repos(self, secret_type: str) -> list[Repository]:
        out = []
        for obj in self._typed_secrets(secret_type):
            repo, problems = repository_from(obj)
            for p in problems:
                self._error("repositories", p)
            if repo is not None:
                out.append(repo)
        # Deprecated argocd-cm lists come after the Secrets (a Secret for the same URL wins).
        key = "repositories" if secret_type == "repository" else "repository.credentials"
        legacy, problems = legacy_repositories(self._yaml(self.cm, key, "repositories"), self.secrets, key)
        for p in problems:
            self._error("repositories", p)
        if legacy:
            self._warn(f"argocd-cm: {key} is deprecated; use Secrets labelled argocd.argoproj.io/secret-type")
        seen = {normalize_url(r.url) for r in out}
        out += [r for r in legacy if normalize_url(r.url) not in seen]
        return out

    def credentials_for(self, url: str) -> Repository | None:
        """Settings and credentials for a repository URL (exact repository Secret, else longest repo-creds prefix)."""
        return credentials_for(url, self.repositories(), self.repository_credentials())

    @_memo
    def clusters(self) -> list[Cluster]:
        """Secrets labelled ``argocd.argoproj.io/secret-type: cluster``."""
        out = []
        for obj in self._typed_secrets("cluster"):
            cluster, problems = cluster_from(obj)
            for p in problems:
                self._error("clusters", p)
            if cluster is not None:
                out.append(cluster)
        return out

    @property
    def in_cluster_enabled(self) -> bool:
        """``cluster.inClusterEnabled`` (default true): whether ``https://kubernetes.default.svc`` may be used."""
        return self._bool(self.cm, "cluster.inClusterEnabled", True)

    def find_cluster(self, server: str | None = None, name: str | None = None) -> Cluster | None:
        """The destination cluster by ``server`` URL or by ``name``, like an Application's ``spec.destination``.

        The local cluster (``in-cluster``, ``https://kubernetes.default.svc``) exists implicitly
        unless a cluster Secret redefines it or ``cluster.inClusterEnabled`` is ``"false"``.
        """
        for c in self.clusters():
            if (server and c.server.rstrip("/") == server.rstrip("/")) or (name and c.name == name):
                return c
        if self.in_cluster_enabled and (server == IN_CLUSTER_SERVER or name == IN_CLUSTER_NAME):
            return Cluster(server=IN_CLUSTER_SERVER, name=IN_CLUSTER_NAME)
        return None

    # -- validation --------------------------------------------------------------------------------
    def _validate(self) -> None:
        """Touch every accessor once so that problems land in :attr:`errors` at construction."""
        _ = (
            self.reconciliation_timeout,
            self.reconciliation_jitter,
            self.hard_reconciliation_timeout,
            self.users_anonymous_enabled,
            self.statusbadge_enabled,
            self.exec_enabled,
            self.in_cluster_enabled,
            self.controller_status_processors,
            self.controller_operation_processors,
            self.controller_self_heal_timeout,
            self.controller_repo_server_timeout,
            self.reposerver_parallelism_limit,
            self.resource_exclusions,
            self.resource_inclusions,
            self.resource_compare_options,
        )
        raw_method = self.cm.get("application.resourceTrackingMethod")
        if raw_method and raw_method not in TRACKING_METHODS:
            self._error(
                "general",
                f'application.resourceTrackingMethod: expected one of {", ".join(TRACKING_METHODS)}, got "{raw_method}"',
            )
        url = self.cm.get("url")
        if url and not url.startswith(("http://", "https://")):
            self._error("general", f'url: expected an http(s) URL, got "{url}"')
        self.oidc_config()
        self.dex_config()
        self.accounts()
        self.resource_overrides()
        self.rbac()
        self.notification_services()
        self.notification_templates()
        self.notification_triggers()
        self.notification_subscriptions()
        self.repositories()
        self.repository_credentials()
        self.clusters()
        # de-duplicate messages produced more than once by repeated accessor calls
        self.errors = list(dict.fromkeys(self.errors))
        self.warnings = list(dict.fromkeys(self.warnings))

    def errors_for(self, group: str) -> list[str]:
        return [m for g, m in self.errors if g == group]


def split_key_to_group_kind(key: str) -> str:
    """``apps_Deployment`` -> ``apps/Deployment``; ``Pod`` -> ``/Pod``; ``all`` stays ``all``."""
    if key == "all":
        return key
    group, sep, kind = key.rpartition("_")
    return f"{group}/{kind}" if sep else f"/{key}"
