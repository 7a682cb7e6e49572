"""The cluster cache: every watched object of one cluster, kept current by list+watch.

One thread per resource type lists, then watches from the list's resourceVersion, re-watches
when the server closes the stream and re-lists on 410 Gone or errors (with a bounded backoff).
CustomResourceDefinitions are watched too: a new CRD starts a watcher for its kind, a deleted
one stops it.

Memory: an object managed by an Application (by the tracking annotation or label) and every
CRD is kept whole; any other object only as an :class:`Entry` of identity, owners, and for
objects that have owners (Pods, ReplicaSets...) their health and images, which is what the
resource tree needs.
"""

from __future__ import annotations

import fnmatch
import logging
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kedge.kube.client import APIResource, KubeClient, KubeError
from kedge.kube.keys import ResourceKey, group_of
from kedge.kube.tracking import Tracking, owning_app

log = logging.getLogger(__name__)

#: Never watched: high-churn or ephemeral types Argo CD also leaves out.
BUILTIN_EXCLUSIONS: tuple[tuple[str, str], ...] = (
    ("", "Event"),
    ("events.k8s.io", "Event"),
    ("", "Binding"),
    ("", "ComponentStatus"),
    ("authentication.k8s.io", "*"),
    ("authorization.k8s.io", "*"),
    ("metrics.k8s.io", "*"),
    ("coordination.k8s.io", "Lease"),
    ("", "Endpoints"),
    ("discovery.k8s.io", "EndpointSlice"),
)
MAX_BACKOFF = 30.0
OWNER_DEPTH = 8

#: (key, object or None when deleted, application instance name or None)
ChangeCallback = Callable[[ResourceKey, "Entry | None", "str | None"], None]


@dataclass(slots=True)
class Entry:
    """What the cache keeps of one object."""

    key: ResourceKey
    api_version: str
    uid: str
    resource_version: str
    owners: tuple[tuple[str, str, str], ...]  # (group, kind, name) of ownerReferences; same namespace
    owner_uids: tuple[str, ...]
    app: str | None = None
    obj: dict[str, Any] | None = None  # whole object, for managed objects and CRDs
    health: dict[str, str] | None = None
    images: tuple[str, ...] = ()
    created: str = ""


def _matches(rule: dict[str, Any], group: str, kind: str, cluster: str) -> bool:
    def any_glob(patterns: Iterable[str] | None, value: str) -> bool:
        pats = list(patterns or ["*"])
        return any(p == value or fnmatch.fnmatchcase(value, p) for p in pats)

    return (
        any_glob(rule.get("apiGroups"), group)
        and any_glob(rule.get("kinds"), kind)
        and any_glob(rule.get("clusters"), cluster)
    )


def is_excluded(
    group: str, kind: str, cluster: str, exclusions: list[dict[str, Any]], inclusions: list[dict[str, Any]]
) -> bool:
    """``resource.exclusions`` / ``resource.inclusions`` (argocd-cm) plus the built-in ones."""
    for g, k in BUILTIN_EXCLUSIONS:
        if g == group and (k == "*" or k == kind):
            return True
    if inclusions and not any(_matches(r, group, kind, cluster) for r in inclusions):
        return True
    return any(_matches(r, group, kind, cluster) for r in exclusions)


def _images(obj: dict[str, Any]) -> tuple[str, ...]:
    spec = obj.get("spec") or {}
    if obj.get("kind") != "Pod":
        spec = ((spec.get("template") or {}).get("spec")) or {}
    return tuple(c.get("image", "") for c in (spec.get("containers") or []) if c.get("image"))


class ClusterCache:
    """Watch one cluster. ``on_change`` is called (from watcher threads) for every change of
    an object that belongs to an Application, directly or through its owners."""

    def __init__(
        self,
        client: KubeClient,
        tracking: Tracking | None = None,
        exclusions: list[dict[str, Any]] | None = None,
        inclusions: list[dict[str, Any]] | None = None,
        on_change: ChangeCallback | None = None,
        health: Callable[[dict[str, Any]], dict[str, str] | None] | None = None,
        cluster_url: str = "",
        watch_timeout: int = 300,
    ) -> None:
        self.client = client
        self.tracking = tracking or Tracking()
        self.exclusions = exclusions or []
        self.inclusions = inclusions or []
        self.on_change = on_change
        self.health = health
        self.cluster_url = cluster_url or client.name
        self.watch_timeout = watch_timeout
        self._lock = threading.RLock()
        self._entries: dict[ResourceKey, Entry] = {}
        self._by_uid: dict[str, ResourceKey] = {}
        self._children: dict[str, set[ResourceKey]] = defaultdict(set)
        self._by_app: dict[str, set[ResourceKey]] = defaultdict(set)
        self._watchers: dict[tuple[str, str], _Watcher] = {}
        self._stop = threading.Event()
        self.errors: dict[tuple[str, str], str] = {}

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        for res in self.client.preferred_resources():
            self._ensure_watcher(res)

    def _ensure_watcher(self, res: APIResource) -> None:
        if "list" not in res.verbs or "watch" not in res.verbs:
            return
        if is_excluded(res.group, res.kind, self.cluster_url, self.exclusions, self.inclusions):
            return
        key = (res.group, res.kind)
        with self._lock:
            if key in self._watchers:
                return
            w = _Watcher(self, res)
            self._watchers[key] = w
        w.start()

    def wait_synced(self, timeout: float = 60.0) -> bool:
        """Block until every watcher has completed its first list."""
        deadline = time.monotonic() + timeout
        for w in list(self._watchers.values()):
            if not w.synced.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def stop(self) -> None:
        self._stop.set()
        for w in list(self._watchers.values()):
            w.stop()

    # -- reading -----------------------------------------------------------------------------------
    def get(self, key: ResourceKey) -> Entry | None:
        return self._entries.get(key)

    def managed(self, app: str) -> dict[ResourceKey, Entry]:
        with self._lock:
            return {k: self._entries[k] for k in self._by_app.get(app, ()) if k in self._entries}

    def in_namespace(self, namespace: str) -> list[Entry]:
        with self._lock:
            return [e for k, e in self._entries.items() if k.namespace == namespace]

    def children(self, uid: str) -> list[Entry]:
        with self._lock:
            return [self._entries[k] for k in self._children.get(uid, ()) if k in self._entries]

    def tree(self, app: str, max_nodes: int = 100_000) -> list[dict[str, Any]]:
        """The app's resources and everything they own, as Argo CD's resource-tree nodes
        (group, kind, namespace, name, uid, version, parentRefs, health, images)."""
        nodes: list[dict[str, Any]] = []
        with self._lock:
            stack = [
                (e, None) for e in (self._entries[k] for k in self._by_app.get(app, ()) if k in self._entries)
            ]
            seen: set[str] = set()
            while stack and len(nodes) < max_nodes:
                entry, parent = stack.pop()
                if entry.uid in seen:
                    continue
                seen.add(entry.uid)
                node: dict[str, Any] = {
                    "group": entry.key.group,
                    "kind": entry.key.kind,
                    "namespace": entry.key.namespace,
                    "name": entry.key.name,
                    "uid": entry.uid,
                    "version": entry.api_version.rsplit("/", 1)[-1],
                    "resourceVersion": entry.resource_version,
                }
                if parent is not None:
                    node["parentRefs"] = [parent]
                if entry.health:
                    node["health"] = entry.health
                if entry.images:
                    node["images"] = list(entry.images)
                if entry.created:
                    node["createdAt"] = entry.created
                nodes.append(node)
                ref = {
                    "group": entry.key.group,
                    "kind": entry.key.kind,
                    "namespace": entry.key.namespace,
                    "name": entry.key.name,
                    "uid": entry.uid,
                }
                for child_key in self._children.get(entry.uid, ()):
                    child = self._entries.get(child_key)
                    if child is not None:
                        stack.append((child, ref))
        return nodes

    def app_of(self, entry: Entry) -> str | None:
        """The application an object belongs to, directly or through its owners."""
        current: Entry | None = entry
        for _ in range(OWNER_DEPTH):
            if current is None:
                return None
            if current.app:
                return current.app
            if not current.owner_uids:
                return None
            current = next(
                (self._entries.get(self._by_uid[u]) for u in current.owner_uids if u in self._by_uid), None
            )
        return None

    def stats(self) -> dict[str, int]:
        with self._lock:
            full = sum(1 for e in self._entries.values() if e.obj is not None)
            return {"objects": len(self._entries), "full": full, "types": len(self._watchers)}

    # -- writing (from watchers) -------------------------------------------------------------------
    def _entry(self, obj: dict[str, Any], res: APIResource) -> Entry:
        meta = obj.get("metadata") or {}
        kind = obj.get("kind") or res.kind
        api_version = obj.get("apiVersion") or res.api_version
        intern = sys.intern
        key = ResourceKey(
            intern(group_of(api_version)),
            intern(kind),
            intern(meta.get("namespace") or ""),
            meta.get("name") or "",
        )
        refs = meta.get("ownerReferences") or []
        obj.setdefault("kind", kind)
        obj.setdefault("apiVersion", api_version)
        app = owning_app(obj, self.tracking)
        keep = app is not None or kind == "CustomResourceDefinition"
        entry = Entry(
            key=key,
            api_version=api_version,
            uid=meta.get("uid", ""),
            resource_version=meta.get("resourceVersion", ""),
            owners=tuple(
                (group_of(r.get("apiVersion", "")), r.get("kind", ""), r.get("name", "")) for r in refs
            ),
            owner_uids=tuple(r.get("uid", "") for r in refs),
            app=app,
            obj=obj if keep else None,
            created=meta.get("creationTimestamp", ""),
        )
        if (refs or keep) and self.health is not None:
            try:
                entry.health = self.health(obj)
            except Exception as exc:  # noqa: BLE001 - a broken health script must not stop the watch
                entry.health = {"status": "Unknown", "message": str(exc)}
        if kind in ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"):
            entry.images = _images(obj)
        return entry

    def _put(self, entry: Entry, notify: bool = True) -> None:
        with self._lock:
            old = self._entries.get(entry.key)
            if old is not None:
                self._unindex(old)
            self._entries[entry.key] = entry
            if entry.uid:
                self._by_uid[entry.uid] = entry.key
            for u in entry.owner_uids:
                self._children[u].add(entry.key)
            if entry.app:
                self._by_app[entry.app].add(entry.key)
            app = self.app_of(entry)
            old_app = self.app_of(old) if old is not None and old.app != entry.app else None
        if notify and self.on_change is not None:
            if app:
                self.on_change(entry.key, entry, app)
            if old_app and old_app != app:
                self.on_change(entry.key, entry, old_app)

    def _unindex(self, entry: Entry) -> None:
        if entry.uid and self._by_uid.get(entry.uid) == entry.key:
            del self._by_uid[entry.uid]
        for u in entry.owner_uids:
            kids = self._children.get(u)
            if kids is not None:
                kids.discard(entry.key)
                if not kids:
                    del self._children[u]
        if entry.app:
            keys = self._by_app.get(entry.app)
            if keys is not None:
                keys.discard(entry.key)
                if not keys:
                    del self._by_app[entry.app]

    def _remove(self, key: ResourceKey, notify: bool = True) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is None:
                return
            app = self.app_of(old)
            self._unindex(old)
        if notify and self.on_change is not None and app:
            self.on_change(key, None, app)

    def _replace_type(self, res: APIResource, items: list[dict[str, Any]]) -> None:
        fresh = {}
        for obj in items:
            e = self._entry(obj, res)
            fresh[e.key] = e
        with self._lock:
            stale = [
                k
                for k, e in self._entries.items()
                if k.group == res.group and k.kind == res.kind and k not in fresh
            ]
        for k in stale:
            self._remove(k)
        for e in fresh.values():
            old = self._entries.get(e.key)
            self._put(e, notify=old is None or old.resource_version != e.resource_version)
        if res.kind == "CustomResourceDefinition":
            self._sync_crd_watchers(items)

    def _sync_crd_watchers(self, crds: list[dict[str, Any]]) -> None:
        self.client.discover(refresh=True)
        for res in self.client.preferred_resources():
            self._ensure_watcher(res)
        served = {(r.group, r.kind) for r in self.client.preferred_resources()}
        for key, w in list(self._watchers.items()):
            if key not in served:
                w.stop()
                with self._lock:
                    self._watchers.pop(key, None)
                    gone = [k for k in self._entries if (k.group, k.kind) == key]
                for k in gone:
                    self._remove(k)

    def _event(self, res: APIResource, etype: str, obj: dict[str, Any]) -> None:
        if etype == "DELETED":
            self._remove(self._entry(obj, res).key)
        else:
            self._put(self._entry(obj, res))
        if res.kind == "CustomResourceDefinition" and etype in ("ADDED", "DELETED"):
            self._sync_crd_watchers([])


class _Watcher:
    def __init__(self, cache: ClusterCache, res: APIResource) -> None:
        self.cache = cache
        self.res = res
        self.synced = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch-{res.group}/{res.kind}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        backoff = 0.5
        rv = ""
        while not self._stop.is_set() and not self.cache._stop.is_set():
            try:
                if not rv:
                    items, rv = self.cache.client.list(self.res)
                    self.cache._replace_type(self.res, items)
                    del items  # the decoded list must not outlive the indexing (memory)
                    self.synced.set()
                    self.cache.errors.pop((self.res.group, self.res.kind), None)
                for event in self.cache.client.watch(self.res, rv, self.cache.watch_timeout):
                    if self._stop.is_set():
                        return
                    etype, obj = event.get("type"), event.get("object") or {}
                    if etype == "ERROR":
                        if obj.get("code") == 410:
                            rv = ""
                            break
                        raise KubeError(
                            int(obj.get("code") or 500), obj.get("reason", "Error"), obj.get("message", "")
                        )
                    new_rv = (obj.get("metadata") or {}).get("resourceVersion")
                    if new_rv:
                        rv = new_rv
                    if etype in ("ADDED", "MODIFIED", "DELETED"):
                        self.cache._event(self.res, etype, obj)
                backoff = 0.5
            except KubeError as exc:
                if exc.gone:
                    rv = ""
                    continue
                self._failed(exc)
                rv = ""
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            except Exception as exc:  # noqa: BLE001 - a watcher must survive anything and retry
                self._failed(exc)
                rv = ""
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    def _failed(self, exc: Exception) -> None:
        msg = f"{self.res.group}/{self.res.kind}: {exc}"
        log.warning("cluster %s: watch failed: %s", self.cache.cluster_url, msg)
        self.cache.errors[(self.res.group, self.res.kind)] = msg
        self.synced.set()  # the first attempt is over; the error is visible in cache.errors
