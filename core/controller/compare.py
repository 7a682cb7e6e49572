"""Comparing one Application: desired manifests against the live state in the cluster cache.

Produces what ``status`` needs (sync status, per-resource status and health, conditions,
summary) plus the per-resource diffs the CLI and API show. Nothing here writes anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson

from kedge.controller import project as projects
from kedge.diff.compare import ResourceDiff, compare
from kedge.diff.ignore import IgnoreRule, rules_from_application, rules_from_settings
from kedge.errors import ConfigError, KedgeError
from kedge.health import ResourceOverrides, aggregate, assess
from kedge.jsoncopy import deep_copy
from kedge.kube.cache import ClusterCache
from kedge.kube.client import KubeClient, KubeError
from kedge.kube.keys import ResourceKey, key_of
from kedge.kube.tracking import Tracking, set_tracking
from kedge.sync import annotations as ann

log = logging.getLogger(__name__)

SYNCED, OUT_OF_SYNC, UNKNOWN = "Synced", "OutOfSync", "Unknown"


@dataclass
class ResourceResult:
    key: ResourceKey
    version: str
    target: dict[str, Any] | None
    live: dict[str, Any] | None
    diff: ResourceDiff | None
    status: str
    health: dict[str, str] | None = None
    hook: bool = False
    requires_pruning: bool = False
    wave: int = 0
    ignore_extraneous: bool = False
    #: what the diff was computed from (target digest, live resourceVersion, rules, options):
    #: the next comparison reuses the diff when it is unchanged
    inputs: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    def status_entry(self) -> dict[str, Any]:
        """One entry of ``status.resources`` (Argo CD's ResourceStatus)."""
        e: dict[str, Any] = {
            "group": self.key.group,
            "version": self.version,
            "kind": self.key.kind,
            "namespace": self.key.namespace,
            "name": self.key.name,
            "status": self.status,
        }
        if self.health is not None:
            e["health"] = {k: v for k, v in self.health.items() if v}
        if self.hook:
            e["hook"] = True
        if self.requires_pruning:
            e["requiresPruning"] = True
        if self.wave:
            e["syncWave"] = self.wave
        return e


@dataclass
class CompareResult:
    sync_status: str
    health: dict[str, str]
    resources: list[ResourceResult] = field(default_factory=list)
    conditions: list[dict[str, str]] = field(default_factory=list)
    summary: dict[str, list[str]] = field(default_factory=dict)

    def by_key(self) -> dict[ResourceKey, ResourceResult]:
        return {r.key: r for r in self.resources}


@dataclass
class ClusterView:
    """What comparison needs of a destination cluster."""

    client: KubeClient
    cache: ClusterCache
    server: str
    name: str


def condition(kind: str, message: str) -> dict[str, str]:
    return {"type": kind, "message": message}


def _valid_object(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return f"manifest is not an object: {str(obj)[:80]!r}"
    if not obj.get("apiVersion") or not obj.get("kind"):
        return f"manifest has no apiVersion/kind: {json.dumps(obj)[:120]}"
    if not (obj.get("metadata") or {}).get("name") and not (obj.get("metadata") or {}).get("generateName"):
        return f"{obj.get('kind')} has no metadata.name"
    return None


class ServerSideDiffCache:
    """Dry-run apply results per (desired hash, live resourceVersion)."""

    def __init__(self, size: int = 10_000) -> None:
        self._items: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def predicted(
        self, client: KubeClient, desired: dict[str, Any], live: dict[str, Any] | None
    ) -> dict[str, Any]:
        digest = hashlib.sha256(json.dumps(desired, sort_keys=True).encode()).hexdigest()
        key = (digest, ((live or {}).get("metadata") or {}).get("resourceVersion", ""))
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return deep_copy(hit)
        result = client.apply(desired, dry_run=True)
        with self._lock:
            self._items[key] = result
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return deep_copy(result)


def compare_app(
    app: dict[str, Any],
    app_instance: str,
    desired: list[dict[str, Any]],
    cluster: ClusterView,
    project: dict[str, Any] | None,
    cm_data: dict[str, str],
    overrides: ResourceOverrides,
    tracking: Tracking,
    server_side_diff: bool = False,
    ssd_cache: ServerSideDiffCache | None = None,
    previous: CompareResult | None = None,
) -> CompareResult:
    """``previous``: the app's last comparison; a resource whose desired object, live
    resourceVersion and ignore rules are all unchanged keeps its diff instead of being compared
    again (most reconciles change one or two objects of an app, or none)."""
    spec = app.get("spec") or {}
    dest = spec.get("destination") or {}
    dest_ns = dest.get("namespace") or ""
    conditions: list[dict[str, str]] = []
    try:
        rules: list[IgnoreRule] = rules_from_application(app) + rules_from_settings(cm_data)
    except ConfigError as exc:
        rules = []
        conditions.append(condition("InvalidSpecError", str(exc)))

    targets: dict[ResourceKey, dict[str, Any]] = {}
    versions: dict[ResourceKey, str] = {}
    hooks: list[dict[str, Any]] = []
    desired_kinds = {
        f"{(o.get('spec') or {}).get('group')}/{((o.get('spec') or {}).get('names') or {}).get('kind')}"
        for o in desired
        if isinstance(o, dict) and o.get("kind") == "CustomResourceDefinition"
    }
    for raw in desired:
        problem = _valid_object(raw)
        if problem:
            conditions.append(condition("ComparisonError", problem))
            continue
        obj = deep_copy(raw)
        if ann.is_skipped(obj):
            continue
        res = None
        try:
            res = cluster.client.resource_for(obj["apiVersion"], obj["kind"])
        except KubeError as exc:
            conditions.append(
                condition("ComparisonError", f"{obj['kind']} {obj['metadata'].get('name')}: {exc}")
            )
        meta = obj["metadata"]
        if res is not None:
            if res.namespaced and not meta.get("namespace"):
                meta["namespace"] = dest_ns or "default"
            elif not res.namespaced:
                meta.pop("namespace", None)
        elif f"{key_of(obj).group}/{obj['kind']}" not in desired_kinds:
            conditions.append(
                condition(
                    "ComparisonError",
                    f"the server could not find the requested resource: {obj['kind']} in {obj['apiVersion']} "
                    f"({meta.get('name')}); is its CustomResourceDefinition installed?",
                )
            )
        if ann.is_hook(obj):
            hooks.append(obj)
            continue
        key = key_of(obj)
        if res is not None and not projects.resource_permitted(project, key.group, key.kind, res.namespaced):
            pname = ((project or {}).get("metadata") or {}).get("name", "")
            conditions.append(
                condition(
                    "ComparisonError", f"resource {key.group}:{key.kind} is not permitted in project {pname}"
                )
            )
        if (
            key.namespace
            and res is not None
            and res.namespaced
            and not projects.destination_permitted(
                project, dest.get("server") or cluster.server, dest.get("name") or cluster.name, key.namespace
            )
        ):
            pname = ((project or {}).get("metadata") or {}).get("name", "")
            conditions.append(
                condition(
                    "ComparisonError",
                    f"namespace {key.namespace} is not permitted in project '{pname}' for {key.kind} {key.name}",
                )
            )
        if key in targets:
            conditions.append(
                condition(
                    "RepeatedResourceWarning",
                    f"Resource {key.group}/{key.kind}/{key.namespace}/{key.name} appeared more than once among "
                    "application resources.",
                )
            )
        live_entry = cluster.cache.get(key) if hasattr(cluster.cache, "get") else None
        if live_entry is not None and live_entry.app and live_entry.app != app_instance:
            conditions.append(
                condition(
                    "SharedResourceWarning",
                    f"{key.kind}/{key.name} is part of applications {live_entry.app} and {app_instance}",
                )
            )
        set_tracking(obj, app_instance, tracking)
        targets[key] = obj
        versions[key] = obj["apiVersion"].rsplit("/", 1)[-1]

    compare_opts = _compare_options(cm_data)
    live_entries = cluster.cache.managed(app_instance)
    before = {r.key: r for r in previous.resources} if previous is not None else {}
    results: list[ResourceResult] = []
    sync = SYNCED
    for key in sorted(set(targets) | set(live_entries)):
        target = targets.get(key)
        entry = live_entries.get(key)
        live = entry.obj if entry is not None else None
        if target is None and live is not None and ann.is_hook(live):
            continue
        resource_rules = [r for r in rules if r.matches(key.group, key.kind, key.namespace, key.name)]
        opts = ann.compare_options(target or live or {})
        inputs: tuple[Any, ...] | None = None
        try:
            predicted = None
            if (
                target is not None
                and (server_side_diff or opts.get("ServerSideDiff") == "true")
                and ssd_cache
            ):
                try:
                    predicted = ssd_cache.predicted(cluster.client, target, live)
                except KubeError as exc:
                    conditions.append(condition("ComparisonError", f"server-side diff of {key}: {exc}"))
            ignore_status = compare_opts["ignoreResourceStatusField"] != "none"
            if (
                compare_opts["ignoreAggregatedRoles"]
                and key.kind == "ClusterRole"
                and (live or {}).get("aggregationRule")
            ):
                resource_rules = [*resource_rules, IgnoreRule(json_pointers=("/rules",), origin="argocd-cm")]
            if predicted is None:
                inputs = _inputs(cluster.server, target, live, resource_rules, ignore_status)
            last = before.get(key)
            if inputs is not None and last is not None and last.inputs == inputs and last.diff is not None:
                d = last.diff
            else:
                d = compare(target, live, resource_rules, predicted=predicted, ignore_status=ignore_status)
        except (ConfigError, KedgeError) as exc:
            conditions.append(condition("ComparisonError", f"{key}: {exc}"))
            d = None
        status = OUT_OF_SYNC if d is None or d.modified else SYNCED
        health = None
        if live is not None:
            health = (
                entry.health if entry is not None and entry.health is not None else assess(live, overrides)
            )
        elif target is not None:
            health = {"status": "Missing", "message": ""}
        r = ResourceResult(
            key=key,
            version=versions.get(key) or (entry.api_version.rsplit("/", 1)[-1] if entry else ""),
            target=target,
            live=live,
            diff=d,
            status=status,
            health=health,
            requires_pruning=target is None,
            wave=ann.wave(target or live or {}),
            ignore_extraneous=target is None and opts.get("IgnoreExtraneous") == "true",
            inputs=inputs,
        )
        results.append(r)
        if status == OUT_OF_SYNC and not r.ignore_extraneous:
            sync = OUT_OF_SYNC
    if any(c["type"] == "ComparisonError" for c in conditions) and sync == SYNCED and not targets:
        sync = UNKNOWN
    agg = aggregate([{"live": r.live, "target": r.target, "health": r.health} for r in results], overrides)
    health = {"status": agg.status}
    orphaned = _orphaned(cluster, project, dest_ns)
    if orphaned:
        conditions.append(
            condition("OrphanedResourceWarning", f"Application has {orphaned} orphaned resources")
        )
    summary = _summary(cluster, app_instance)
    return CompareResult(sync, health, results, conditions, summary)


def _inputs(
    server: str,
    target: dict[str, Any] | None,
    live: dict[str, Any] | None,
    rules: list[IgnoreRule],
    ignore_status: bool,
) -> tuple[Any, ...] | None:
    """What a resource's diff depends on, or None when it cannot be fingerprinted
    (resourceVersions are per cluster: the cluster is part of it)."""
    rv = ((live or {}).get("metadata") or {}).get("resourceVersion", "") if live is not None else "-"
    if not rv:
        return None
    digest = b""
    if target is not None:
        try:
            digest = hashlib.blake2b(
                orjson.dumps(target, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS), digest_size=16
            ).digest()
        except TypeError:
            return None
    return (server, digest, rv, tuple(rules), ignore_status)


def _compare_options(cm_data: dict[str, str]) -> dict[str, Any]:
    """argocd-cm ``resource.compareoptions`` (YAML): ignoreAggregatedRoles (default false) and
    ignoreResourceStatusField (``crd`` default, ``all``, ``none``; Kedge never applies status, so
    only ``none`` - compare status too - changes the result)."""
    import yaml

    out: dict[str, Any] = {"ignoreAggregatedRoles": False, "ignoreResourceStatusField": "crd"}
    raw = cm_data.get("resource.compareoptions")
    if raw:
        try:
            doc = yaml.safe_load(raw) or {}
        except yaml.YAMLError:
            doc = {}
        if isinstance(doc, dict):
            out["ignoreAggregatedRoles"] = bool(doc.get("ignoreAggregatedRoles", False))
            out["ignoreResourceStatusField"] = str(doc.get("ignoreResourceStatusField", "crd")).lower()
    return out


def _orphaned(cluster: ClusterView, project: dict[str, Any] | None, namespace: str) -> int:
    """Objects in the app's namespace that no app manages and nothing owns, when the project
    turns on ``orphanedResources`` (with ``warn``), minus its ``ignore`` list."""
    spec = (project or {}).get("spec") or {}
    orphaned = spec.get("orphanedResources")
    if not isinstance(orphaned, dict) or not orphaned.get("warn", False) or not namespace:
        return 0
    if not hasattr(cluster.cache, "in_namespace"):
        return 0
    ignore = orphaned.get("ignore") or []
    count = 0
    for entry in cluster.cache.in_namespace(namespace):
        if entry.app or entry.owner_uids:
            continue
        k = entry.key
        if k.kind in ("ServiceAccount", "ConfigMap") and k.name in ("default", "kube-root-ca.crt"):
            continue
        if projects.orphan_ignored(ignore, k.group, k.kind, k.name):
            continue
        count += 1
    return count


def _summary(cluster: ClusterView, app_instance: str) -> dict[str, list[str]]:
    images: set[str] = set()
    urls: set[str] = set()
    for node in cluster.cache.tree(app_instance):
        images.update(node.get("images") or ())
    for entry in cluster.cache.managed(app_instance).values():
        obj = entry.obj or {}
        if obj.get("kind") == "Ingress":
            for rule in (obj.get("spec") or {}).get("rules") or []:
                host = rule.get("host")
                if host:
                    scheme = "https" if (obj.get("spec") or {}).get("tls") else "http"
                    urls.add(f"{scheme}://{host}")
        link = ((obj.get("metadata") or {}).get("annotations") or {}).get(
            "link.argocd.argoproj.io/external-link"
        )
        if link:
            urls.add(link)
    out: dict[str, list[str]] = {}
    if images:
        out["images"] = sorted(images)
    if urls:
        out["externalURLs"] = sorted(urls)
    return out
