"""The local cluster's object store: the API server's semantics over an in-memory index and SQLite.

Every object is kept as its JSON bytes (exactly what a GET returns) plus a compact index entry (labels,
uid, owners). Writes are serialised by one lock, get the next value of a single global
resourceVersion counter, are committed to SQLite (WAL) before they are acknowledged, then published
to watchers (in order, under the lock) and to :meth:`Store.subscribe` callbacks (in order, on a
dispatcher thread). A garbage collector thread handles ownerReferences, foreground/orphan deletion,
namespace termination and CRD removal.

:class:`Store` implements :class:`kedge.localcluster.contract.ClusterStore`.
"""

from __future__ import annotations

import base64
import bisect
import logging
import os
import queue
import random
import sqlite3
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from kedge.localcluster import patching
from kedge.localcluster.contract import (
    AlreadyExistsError,
    BadRequestError,
    ConflictError,
    GoneError,
    InvalidError,
    NotFoundError,
    StoreError,
    WatchCallback,
)
from kedge.localcluster.defaults import apply_defaults
from kedge.localcluster.garbage import GarbageCollector
from kedge.localcluster.immutable import update_causes
from kedge.localcluster.registry import Registry, ResourceInfo, crd_resources
from kedge.localcluster.selectors import (
    FieldRequirement,
    Requirement,
    field_getter,
    matches_labels,
)
from kedge.localcluster.validation import Cause, dns1123_subdomain_error, validate_metadata

log = logging.getLogger(__name__)

#: the real API server's limit on a stored object
MAX_OBJECT_BYTES = 1536 * 1024
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
CRD_KEY = "apiextensions.k8s.io/customresourcedefinitions"
NS_KEY = "/namespaces"

loads = orjson.loads


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


_now_cache: tuple[int, str] = (0, "")


def now_rfc3339() -> str:
    """The current time in RFC 3339 with second precision, as Kubernetes records it. Formatted once
    per second: every write asks for it, and ``strftime`` costs more than the rest of a lookup."""
    global _now_cache
    sec = int(time.time())
    cached = _now_cache
    if cached[0] == sec:
        return cached[1]
    text = datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _now_cache = (sec, text)
    return text


_intern = sys.intern


class Entry:
    """Index entry of one stored object."""

    __slots__ = ("raw", "rv", "labels", "uid", "owners", "av", "deleting")

    def __init__(self, raw: bytes, rv: int, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        self.raw = raw
        self.rv = rv
        labels = meta.get("labels")
        # interned: label keys and values repeat across objects, so this halves their memory
        self.labels: dict[str, str] | None = (
            {_intern(k): _intern(v) for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)}
            if labels
            else None
        )
        self.uid: str = meta.get("uid", "")
        refs = meta.get("ownerReferences")
        self.owners: tuple[str, ...] = (
            tuple(r.get("uid", "") for r in refs if isinstance(r, dict)) if refs else ()
        )
        self.av: str = _intern(obj.get("apiVersion", ""))
        self.deleting: bool = bool(meta.get("deletionTimestamp"))


class Event:
    __slots__ = ("rv", "type", "skey", "ns", "name", "raw", "labels", "prev_raw", "prev_labels", "av")

    def __init__(
        self,
        rv: int,
        type_: str,
        skey: str,
        ns: str,
        name: str,
        entry: Entry,
        prev: Entry | None,
    ) -> None:
        self.rv = rv
        self.type = type_
        self.skey = skey
        self.ns = ns
        self.name = name
        self.raw = entry.raw
        self.labels = entry.labels
        self.av = entry.av
        self.prev_raw = prev.raw if prev else None
        self.prev_labels = prev.labels if prev else None


class Watcher:
    """A registered watch: filters events and hands ``(type, raw_object_bytes, rv)`` to ``sink``."""

    def __init__(
        self,
        store: Store,
        info: ResourceInfo,
        namespace: str | None,
        label_reqs: list[Requirement],
        field_reqs: list[FieldRequirement],
        sink: Callable[[str, bytes, int], None],
    ) -> None:
        self.store = store
        self.info = info
        self.ns = namespace
        self.label_reqs = label_reqs
        self.name: str | None = None
        self.other_fields: list[tuple[Callable[[dict[str, Any]], str], bool, str]] = []
        for path, eq, val in field_reqs:
            if path == "metadata.name" and eq:
                self.name = val
            self.other_fields.append((_field_fn(path), eq, val))
        self.sink = sink
        self.closed = False

    def _match(self, ns: str, raw: bytes | None, labels: dict[str, str] | None) -> bool:
        if raw is None:
            return False
        if self.label_reqs and not matches_labels(self.label_reqs, labels):
            return False
        if self.other_fields:
            obj = loads(raw)
            for get, eq, val in self.other_fields:
                if (get(obj) == val) != eq:
                    return False
        return True

    def offer(self, ev: Event) -> None:
        if self.ns is not None and ev.ns != self.ns:
            return
        if self.name is not None and ev.name != self.name:
            return
        now = self._match(ev.ns, ev.raw, ev.labels)
        if ev.type == "MODIFIED" and (self.label_reqs or self.other_fields):
            before = self._match(ev.ns, ev.prev_raw, ev.prev_labels)
            if now and not before:
                typ = "ADDED"
            elif before and not now:
                typ = "DELETED"
            elif now:
                typ = "MODIFIED"
            else:
                return
        elif not now:
            return
        else:
            typ = ev.type
        self.sink(typ, self.store._versioned(ev.raw, ev.av, self.info), ev.rv)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.store._remove_watcher(self)


def _field_fn(path: str) -> Callable[[dict[str, Any]], str]:
    return field_getter(path)


class Store(GarbageCollector):
    """Thread-safe object store with the Kubernetes API server's write semantics.

    ``path``: SQLite file (created if missing), or None for an in-memory store.
    ``event_window``: how many recent changes watches can resume from (older: 410 Expired);
    ``event_window_bytes`` bounds the memory those changes hold.
    """

    def __init__(
        self,
        path: str | None = None,
        *,
        event_window: int = 20000,
        event_window_bytes: int = 256 * 2**20,
        gc_interval: float = 5.0,
        event_ttl: float = 3600.0,
    ) -> None:
        self.registry = Registry()
        self._lock = threading.RLock()
        self._rv = 0
        self._data: dict[str, dict[str, dict[str, Entry]]] = {}
        self._uids: dict[str, tuple[str, str, str]] = {}
        self._dependents: dict[str, set[tuple[str, str, str]]] = {}
        self._events: deque[Event] = deque()
        self._event_window = event_window
        self._event_window_bytes = event_window_bytes
        self._event_bytes = 0
        self._window_start = 0
        self._watchers: dict[str, set[Watcher]] = {}
        self._subscribers: list[WatchCallback] = []
        self._dispatch_q: queue.SimpleQueue[tuple[str, str, bytes, str] | None] = queue.SimpleQueue()
        self._dispatcher: threading.Thread | None = None
        self._gc_q: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._gc_thread: threading.Thread | None = None
        self._gc_interval = gc_interval
        self._event_ttl = event_ttl
        self._closed = False
        self._ip_counter = 10
        self.path = path
        self._db: sqlite3.Connection | None = None
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            # one process owns the file (LocalCluster also flocks the data dir): exclusive locking keeps
            # the WAL index in memory and saves the lock syscalls of every commit
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS objects (skey TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL, "
                "rv INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (skey, ns, name)) WITHOUT ROWID"
            )
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
            self._load()
        self._window_start = self._rv
        if not self._get_entry(NS_KEY, "", "default"):
            for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
                self.create(
                    "/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
                )
        self._window_start = self._rv
        self._start_threads()

    # ------------------------------------------------------------------ persistence
    def _load(self) -> None:
        assert self._db is not None
        row = self._db.execute("SELECT v FROM meta WHERE k='rv'").fetchone()
        self._rv = int(row[0]) if row else 0
        for (data,) in self._db.execute("SELECT data FROM objects WHERE skey=?", (CRD_KEY,)):
            for info in crd_resources(loads(data)):
                self.registry.add(info)
        for skey, ns, name, rv, data in self._db.execute("SELECT skey, ns, name, rv, data FROM objects"):
            obj = loads(data)
            entry = Entry(bytes(data), rv, obj)
            self._index(skey, ns, name, entry)
            if rv > self._rv:
                self._rv = rv
            if entry.deleting:
                self._gc_q.put(("finalize", skey, ns, name))
            if entry.owners:
                self._gc_q.put(("dependent", skey, ns, name))

    def _persist(self, skey: str, ns: str, name: str, entry: Entry | None) -> None:
        """Commit one change. A write is one autocommitted statement (its row carries its
        resourceVersion, and the counter restarts from the largest one); a removal also records the
        counter, in the same transaction, since the removed row may have held the largest."""
        if self._db is None:
            return
        db = self._db
        if entry is not None:
            db.execute(
                "INSERT OR REPLACE INTO objects (skey, ns, name, rv, data) VALUES (?,?,?,?,?)",
                (skey, ns, name, entry.rv, entry.raw),
            )
            return
        db.execute("BEGIN")
        try:
            db.execute("DELETE FROM objects WHERE skey=? AND ns=? AND name=?", (skey, ns, name))
            db.execute("INSERT OR REPLACE INTO meta (k, v) VALUES ('rv', ?)", (str(self._rv),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # ------------------------------------------------------------------ index
    def _index(self, skey: str, ns: str, name: str, entry: Entry) -> None:
        self._data.setdefault(skey, {}).setdefault(ns, {})[name] = entry
        if entry.uid:
            self._uids[entry.uid] = (skey, ns, name)
        for owner in entry.owners:
            self._dependents.setdefault(owner, set()).add((skey, ns, name))

    def _unindex(self, skey: str, ns: str, name: str, entry: Entry) -> None:
        bucket = self._data.get(skey, {}).get(ns)
        if bucket is not None:
            bucket.pop(name, None)
            if not bucket:
                del self._data[skey][ns]
        if entry.uid and self._uids.get(entry.uid) == (skey, ns, name):
            del self._uids[entry.uid]
        for owner in entry.owners:
            deps = self._dependents.get(owner)
            if deps is not None:
                deps.discard((skey, ns, name))
                if not deps:
                    del self._dependents[owner]

    def _get_entry(self, skey: str, ns: str, name: str) -> Entry | None:
        return self._data.get(skey, {}).get(ns, {}).get(name)

    @property
    def resource_version(self) -> int:
        """The current (latest) resourceVersion."""
        return self._rv

    # ------------------------------------------------------------------ resources
    def info(self, resource: str) -> ResourceInfo:
        info = self.registry.get(resource)
        if info is None:
            raise NotFoundError(f"the server could not find the requested resource ({resource})")
        return info

    def resource_for(self, api_version: str, kind: str) -> str | None:
        info = self.registry.for_kind(api_version, kind)
        return info.key if info else None

    def _versioned(self, raw: bytes, av: str, info: ResourceInfo) -> bytes:
        if av == info.api_version:
            return raw
        obj = loads(raw)
        obj["apiVersion"] = info.api_version
        return dumps(obj)

    @staticmethod
    def _ns(info: ResourceInfo, namespace: str | None) -> str:
        return (namespace or "default") if info.namespaced else ""

    # ------------------------------------------------------------------ reads
    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        info = self.info(resource)
        raw = self.get_raw(info, namespace, name)
        return loads(raw) if raw is not None else None

    def get_raw(self, info: ResourceInfo, namespace: str | None, name: str) -> bytes | None:
        with self._lock:
            entry = self._get_entry(info.storage_key, self._ns(info, namespace), name)
        if entry is None:
            return None
        return self._versioned(entry.raw, entry.av, info)

    def list(
        self, resource: str, namespace: str | None = None, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        from kedge.localcluster.selectors import parse_label_selector

        info = self.info(resource)
        raws, _, _, _ = self.list_raw(info, namespace, parse_label_selector(label_selector), [])
        return [loads(r) for r in raws]

    def list_raw(
        self,
        info: ResourceInfo,
        namespace: str | None,
        label_reqs: list[Requirement],
        field_reqs: list[FieldRequirement],
        limit: int = 0,
        start_after: tuple[str, str] | None = None,
    ) -> tuple[list[bytes], int, tuple[str, str] | None, int | None]:
        """Objects in (namespace, name) order: (raw objects, list resourceVersion, the last key
        returned when more remain, how many remain: None when selectors make that unknown)."""
        name_eq = None
        others = []
        for path, eq, val in field_reqs:
            if path == "metadata.name" and eq and name_eq is None:
                name_eq = val
            elif path == "metadata.namespace" and eq and info.namespaced and namespace is None:
                namespace = val
            else:
                others.append((_field_fn(path), eq, val))
        with self._lock:
            rv = self._rv
            by_ns = self._data.get(info.storage_key, {})
            if info.namespaced and namespace is not None:
                groups = [(namespace, dict(by_ns.get(namespace, {})))]
            else:
                groups = [(ns, dict(bucket)) for ns, bucket in by_ns.items()]
        groups.sort(key=lambda g: g[0])
        out: list[bytes] = []
        api_version = info.api_version
        filtered = bool(label_reqs or others or name_eq is not None)
        last: tuple[str, str] | None = None
        remaining: int | None = 0
        full = False
        for ns, bucket in groups:
            if start_after is not None and ns < start_after[0]:
                continue
            names = sorted(bucket) if name_eq is None else ([name_eq] if name_eq in bucket else [])
            if start_after is not None and ns == start_after[0]:
                names = names[bisect.bisect_right(names, start_after[1]) :]
            if full:
                if filtered:
                    remaining = None
                    break
                assert remaining is not None
                remaining += len(names)
                continue
            for i, name in enumerate(names):
                entry = bucket[name]
                if label_reqs and not matches_labels(label_reqs, entry.labels):
                    continue
                if others:
                    obj = loads(entry.raw)
                    if not all((get(obj) == val) == eq for get, eq, val in others):
                        continue
                if limit and len(out) >= limit:
                    full = True
                    remaining = None if filtered else len(names) - i
                    break
                out.append(
                    entry.raw if entry.av == api_version else self._versioned(entry.raw, entry.av, info)
                )
                last = (ns, name)
            if full and filtered:
                break
        if not full:
            return out, rv, None, 0
        return out, rv, last, remaining

    def count(self, info: ResourceInfo) -> int:
        with self._lock:
            return sum(len(b) for b in self._data.get(info.storage_key, {}).values())

    def namespace_active(self, ns: str) -> bool | None:
        """True if the namespace exists and is not terminating, False if terminating, None if absent."""
        entry = self._get_entry(NS_KEY, "", ns)
        if entry is None:
            return None
        return not entry.deleting

    # ------------------------------------------------------------------ write helpers
    def _commit(
        self, info: ResourceInfo, ns: str, name: str, obj: dict[str, Any] | None, type_: str
    ) -> Entry:
        """Persist and publish one change; ``obj`` None means removal (type DELETED)."""
        if self._closed:
            raise StoreError(503, "ServiceUnavailable", "the local cluster's store is closed")
        skey = info.storage_key
        prev = self._get_entry(skey, ns, name)
        self._rv += 1
        rv = self._rv
        if obj is not None:
            obj["metadata"]["resourceVersion"] = str(rv)
            try:
                raw = dumps(obj)
            except (orjson.JSONEncodeError, RecursionError) as e:
                self._rv -= 1
                raise StoreError(422, "Invalid", f"the object cannot be stored: {e}") from None
            if len(raw) > MAX_OBJECT_BYTES:
                self._rv -= 1
                raise StoreError(
                    413, "RequestEntityTooLarge", "Request entity too large: limit is 1572864 bytes"
                )
            entry = Entry(raw, rv, obj)
            try:
                self._persist(skey, ns, name, entry)
            except BaseException:
                self._rv -= 1
                raise
            if prev is not None:
                self._unindex(skey, ns, name, prev)
            self._index(skey, ns, name, entry)
        else:
            assert prev is not None
            last = loads(prev.raw)
            last["metadata"]["resourceVersion"] = str(rv)
            entry = Entry(dumps(last), rv, last)
            try:
                self._persist(skey, ns, name, None)
            except BaseException:
                self._rv -= 1
                raise
            self._unindex(skey, ns, name, prev)
        ev = Event(rv, type_, skey, ns, name, entry, prev)
        self._events.append(ev)
        self._event_bytes += len(ev.raw) + (len(ev.prev_raw) if ev.prev_raw else 0)
        while len(self._events) > self._event_window or (
            self._event_bytes > self._event_window_bytes and len(self._events) > 1
        ):
            old = self._events.popleft()
            self._event_bytes -= len(old.raw) + (len(old.prev_raw) if old.prev_raw else 0)
            self._window_start = old.rv
        for w in list(self._watchers.get(skey, ())):
            try:
                w.offer(ev)
            except Exception:  # a broken watcher must never fail a write
                log.exception("watch sink failed")
                w.closed = True
                self._watchers[skey].discard(w)
        if self._subscribers:
            self._dispatch_q.put((type_, skey, entry.raw, entry.av))
        # garbage-collector follow-ups
        if type_ == "DELETED":
            if entry.uid and entry.uid in self._dependents:
                self._gc_q.put(("owner_gone", entry.uid))
            for owner in entry.owners:
                self._gc_q.put(("owner_check", owner))
            if ns and info.storage_key != NS_KEY:
                nse = self._get_entry(NS_KEY, "", ns)
                if nse is not None and nse.deleting:
                    self._gc_q.put(("namespace", ns))
        elif entry.owners and (prev is None or prev.owners != entry.owners):
            self._gc_q.put(("dependent", skey, ns, name))
        return entry

    def _generate_name(self, prefix: str) -> str:
        return prefix + "".join(random.choice(_NAME_CHARS) for _ in range(5))

    def _allocate_cluster_ip(self) -> str:
        self._ip_counter += 1
        n = self._ip_counter
        return f"10.96.{(n >> 8) & 255}.{n & 255}"

    # ------------------------------------------------------------------ create
    def create(
        self,
        resource: str,
        obj: dict[str, Any],
        manager: str = "kube-controller-manager",
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        record_manager: bool = True,
    ) -> dict[str, Any]:
        """Create an object (``metadata.generateName`` honoured); raises AlreadyExistsError,
        InvalidError, NotFoundError (namespace), StoreError (namespace terminating, 403)."""
        info = self.info(resource)
        return self.create_info(
            info, obj, manager, namespace=namespace, dry_run=dry_run, record_manager=record_manager
        )

    def create_info(
        self,
        info: ResourceInfo,
        obj: dict[str, Any],
        manager: str = "kube-controller-manager",
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        record_manager: bool = True,
        copy: bool = True,
    ) -> dict[str, Any]:
        """:meth:`create` for a resolved resource. ``copy=False``: ``obj`` is the caller's to give
        away (a freshly decoded request body): it is used, and changed, in place."""
        if info.virtual:
            raise StoreError(405, "MethodNotAllowed", f"{info.plural} are answered, never stored")
        if copy:
            obj = loads(dumps(obj))
        obj = {"apiVersion": info.api_version, "kind": info.kind, **obj}
        obj["apiVersion"] = info.api_version
        obj["kind"] = info.kind
        if not isinstance(obj.get("metadata"), dict):
            obj["metadata"] = {}
        meta = obj["metadata"]
        if info.namespaced:
            req_ns = namespace or meta.get("namespace") or "default"
            if meta.get("namespace") and meta["namespace"] != req_ns:
                raise BadRequestError(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = req_ns
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise BadRequestError("resourceVersion should not be set on objects to be created")
        if not meta.get("name") and meta.get("generateName"):
            gen = meta["generateName"]
            err = (
                dns1123_subdomain_error(gen.rstrip("-") or "x")
                if isinstance(gen, str)
                else "must be a string"
            )
            if err:
                raise self._invalid(
                    info, "", [Cause("metadata.generateName", f'Invalid value: "{gen}": {err}')]
                )
            meta["name"] = self._generate_name(gen[:58])
        for k in ("uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(k, None)
        meta["uid"] = str(uuid.uuid4())
        now = now_rfc3339()
        meta["creationTimestamp"] = now
        if info.has_generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        if info.crd is None:
            apply_defaults(obj)
        self._kind_create_hook(info, obj)
        causes = validate_metadata(obj, info.storage_key, info.dns_label_names, info.namespaced)
        causes += self._kind_validate(info, obj)
        if causes:
            raise self._invalid(info, meta.get("name") or "", causes)
        name = meta["name"]
        ns = meta.get("namespace", "") if info.namespaced else ""
        if record_manager:
            meta.pop("managedFields", None)
            obj = self._record(None, obj, manager, info, now)
        with self._lock:
            if info.namespaced:
                state = self.namespace_active(ns)
                if state is None:
                    err = NotFoundError(f'namespaces "{ns}" not found')
                    err.details = {"name": ns, "group": "", "kind": "namespaces"}
                    raise err
                if state is False:
                    raise StoreError(
                        403,
                        "Forbidden",
                        f'{info.plural} "{name}" is forbidden: unable to create new content in namespace {ns} '
                        "because it is being terminated",
                    )
            if self._get_entry(info.storage_key, ns, name) is not None:
                raise AlreadyExistsError(f'{self._qual(info)} "{name}" already exists')
            if info.storage_key == "/services":
                self._allocate_service_ip(obj)
            if dry_run:
                return obj
            self._commit(info, ns, name, obj, "ADDED")
            if info.storage_key == CRD_KEY:
                self._crd_changed(obj)
        return obj

    # ------------------------------------------------------------------ update
    def update(
        self,
        resource: str,
        obj: dict[str, Any],
        subresource: str = "",
        manager: str = "kube-controller-manager",
        *,
        namespace: str | None = None,
        name: str | None = None,
        dry_run: bool = False,
        record_manager: bool = True,
        operation: str = "Update",
    ) -> dict[str, Any]:
        """Replace an object, with optimistic concurrency on ``metadata.resourceVersion``."""
        info = self.info(resource)
        return self.update_info(
            info,
            obj,
            subresource,
            manager,
            namespace=namespace,
            name=name,
            dry_run=dry_run,
            record_manager=record_manager,
            operation=operation,
        )

    def update_info(
        self,
        info: ResourceInfo,
        obj: dict[str, Any],
        subresource: str = "",
        manager: str = "kube-controller-manager",
        *,
        namespace: str | None = None,
        name: str | None = None,
        dry_run: bool = False,
        record_manager: bool = True,
        operation: str = "Update",
        expected_rv: str | None = None,
        copy: bool = True,
    ) -> dict[str, Any]:
        """:meth:`update` for a resolved resource; ``expected_rv`` overrides the body's
        resourceVersion. ``copy=False``: ``obj`` is the caller's to give away (used in place)."""
        new = loads(dumps(obj)) if copy else obj
        if not isinstance(new.get("metadata"), dict):
            new["metadata"] = {}
        meta = new["metadata"]
        name = name or meta.get("name")
        if not name:
            raise BadRequestError("name is required")
        if meta.get("name") and meta["name"] != name:
            raise BadRequestError(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        if info.namespaced:
            ns = namespace or meta.get("namespace") or "default"
            if meta.get("namespace") and meta["namespace"] != ns:
                raise BadRequestError(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
        else:
            ns = ""
        with self._lock:
            entry = self._get_entry(info.storage_key, ns, name)
            if entry is None:
                raise NotFoundError(f'{self._qual(info)} "{name}" not found')
            old = loads(entry.raw)
            want_rv = expected_rv if expected_rv is not None else meta.get("resourceVersion")
            if want_rv and str(want_rv) != str(entry.rv):
                raise ConflictError(
                    f'Operation cannot be fulfilled on {self._qual(info)} "{name}": the object has been modified; '
                    "please apply your changes to the latest version and try again"
                )
            result = self._merge_update(info, old, new, subresource)
            causes = update_causes(info.storage_key, old, result) if not subresource else []
            if causes:
                raise self._invalid(info, name, causes)
            now = now_rfc3339()
            causes = validate_metadata(result, info.storage_key, info.dns_label_names, info.namespaced)
            causes += self._kind_validate(info, result)
            if causes:
                raise self._invalid(info, name, causes)
            if record_manager:
                result = self._record(old, result, manager, info, now, subresource, operation)
            if _same(old, result):
                return old
            if dry_run:
                return result
            return self._write_updated(info, ns, name, old, result)

    def _write_updated(
        self, info: ResourceInfo, ns: str, name: str, old: dict[str, Any], result: dict[str, Any]
    ) -> dict[str, Any]:
        rmeta = result["metadata"]
        if rmeta.get("deletionTimestamp") and not rmeta.get("finalizers"):
            self._commit(info, ns, name, None, "DELETED")
            self._after_removed(info, old)
            return result
        self._commit(info, ns, name, result, "MODIFIED")
        if info.storage_key == CRD_KEY:
            self._crd_changed(result)
        if rmeta.get("deletionTimestamp"):
            self._gc_q.put(("finalize", info.storage_key, ns, name))
        return result

    def _merge_update(
        self, info: ResourceInfo, old: dict[str, Any], new: dict[str, Any], subresource: str
    ) -> dict[str, Any]:
        ometa = old["metadata"]
        if subresource == "status":
            result = loads(dumps(old))
            if "status" in new:
                result["status"] = new["status"]
            else:
                result.pop("status", None)
            return result
        new["apiVersion"] = old.get("apiVersion", info.api_version)
        new["kind"] = info.kind
        meta = new["metadata"]
        for k in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "namespace",
            "name",
        ):
            if k in ometa:
                meta[k] = ometa[k]
            else:
                meta.pop(k, None)
        meta.pop("selfLink", None)
        if "managedFields" not in meta and "managedFields" in ometa:
            meta["managedFields"] = ometa["managedFields"]
        if "status" in info.subresources:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        if info.crd is None:
            apply_defaults(new)
        if info.storage_key == NS_KEY:
            new["status"] = old.get("status", {"phase": "Active"})
            new.setdefault("spec", old.get("spec", {}))
        if info.storage_key == "/secrets":
            _merge_string_data(new)
        if info.storage_key == "/services":
            spec = new.setdefault("spec", {})
            ospec = old.get("spec") or {}
            if not spec.get("clusterIP") and ospec.get("clusterIP"):
                spec["clusterIP"] = ospec["clusterIP"]
                if ospec.get("clusterIPs"):
                    spec.setdefault("clusterIPs", ospec["clusterIPs"])
        if info.has_generation:
            gen = ometa.get("generation", 1)
            if _spec_changed(info, old, new):
                gen += 1
            meta["generation"] = gen
        else:
            meta.pop("generation", None)
        return new

    def _record(
        self,
        old: dict[str, Any] | None,
        new: dict[str, Any],
        manager: str,
        info: ResourceInfo,
        now: str,
        subresource: str = "",
        operation: str = "Update",
    ) -> dict[str, Any]:
        if not manager:
            return new
        try:
            return patching.record_update(old, new, manager, operation, info.gvk, now, subresource)
        except Exception:  # managedFields bookkeeping must never lose a write
            log.exception("record_update failed for %s", info.key)
            return new

    # ------------------------------------------------------------------ delete
    def delete(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        propagation: str = "Background",
        *,
        dry_run: bool = False,
        preconditions: dict[str, str] | None = None,
    ) -> None:
        """Delete as the API server would (finalizers, deletionTimestamp, garbage collection)."""
        self.delete_info(
            self.info(resource), namespace, name, propagation, dry_run=dry_run, preconditions=preconditions
        )

    def delete_info(
        self,
        info: ResourceInfo,
        namespace: str | None,
        name: str,
        propagation: str | None = "Background",
        *,
        dry_run: bool = False,
        preconditions: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Returns (the object's state after the call, whether it is gone now)."""
        ns = self._ns(info, namespace)
        propagation = propagation or "Background"
        if propagation not in ("Background", "Foreground", "Orphan"):
            raise BadRequestError(
                f'propagationPolicy: Unsupported value: "{propagation}": supported values: "Foreground", "Background", "Orphan"'
            )
        with self._lock:
            entry = self._get_entry(info.storage_key, ns, name)
            if entry is None:
                raise NotFoundError(f'{self._qual(info)} "{name}" not found')
            obj = loads(entry.raw)
            meta = obj["metadata"]
            if preconditions:
                if preconditions.get("uid") and preconditions["uid"] != meta.get("uid"):
                    raise ConflictError(
                        f'Operation cannot be fulfilled on {self._qual(info)} "{name}": Precondition failed: '
                        f"UID in precondition: {preconditions['uid']}, UID in object meta: {meta.get('uid')}"
                    )
                if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != str(entry.rv):
                    raise ConflictError(
                        f'Operation cannot be fulfilled on {self._qual(info)} "{name}": Precondition failed: '
                        f"ResourceVersion in precondition: {preconditions['resourceVersion']}, "
                        f"ResourceVersion in object meta: {entry.rv}"
                    )
            if info.storage_key == NS_KEY:
                if name in ("default", "kube-system", "kube-public"):
                    raise StoreError(
                        403,
                        "Forbidden",
                        f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                    )
                if dry_run:
                    return obj, False
                if not meta.get("deletionTimestamp"):
                    meta["deletionTimestamp"] = now_rfc3339()
                    meta["deletionGracePeriodSeconds"] = 0
                    obj.setdefault("status", {})["phase"] = "Terminating"
                    self._commit(info, ns, name, obj, "MODIFIED")
                self._gc_q.put(("namespace", name))
                return obj, False
            finalizers = list(meta.get("finalizers") or [])
            has_deps = bool(entry.uid and self._dependents.get(entry.uid))
            if propagation == "Foreground" and has_deps and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
            if propagation == "Orphan" and has_deps and "orphan" not in finalizers:
                finalizers.append("orphan")
            if not finalizers:
                if dry_run:
                    return obj, True
                self._commit(info, ns, name, None, "DELETED")
                self._after_removed(info, obj)
                return obj, True
            if dry_run:
                return obj, False
            changed = False
            if not meta.get("deletionTimestamp"):
                meta["deletionTimestamp"] = now_rfc3339()
                meta["deletionGracePeriodSeconds"] = 0
                changed = True
            if finalizers != (meta.get("finalizers") or []):
                meta["finalizers"] = finalizers
                changed = True
            if changed:
                if info.has_generation:
                    meta["generation"] = meta.get("generation", 1) + 1
                self._commit(info, ns, name, obj, "MODIFIED")
            self._gc_q.put(("finalize", info.storage_key, ns, name))
            return obj, False

    def _after_removed(self, info: ResourceInfo, obj: dict[str, Any]) -> None:
        if info.storage_key == CRD_KEY:
            name = obj["metadata"]["name"]
            gone = self.registry.remove_crd(name)
            keys = {i.storage_key for i in gone}
            for skey in keys:
                for ns, bucket in list(self._data.get(skey, {}).items()):
                    for oname in list(bucket):
                        rinfo = next(i for i in gone if i.storage_key == skey)
                        self._commit(rinfo, ns, oname, None, "DELETED")
                self._data.pop(skey, None)

    def delete_collection(
        self,
        info: ResourceInfo,
        namespace: str | None,
        label_reqs: list[Requirement],
        field_reqs: list[FieldRequirement],
        propagation: str | None = None,
        dry_run: bool = False,
    ) -> list[bytes]:
        raws, _, _, _ = self.list_raw(info, namespace, label_reqs, field_reqs)
        out = []
        for raw in raws:
            obj = loads(raw)
            try:
                self.delete_info(
                    info,
                    obj["metadata"].get("namespace"),
                    obj["metadata"]["name"],
                    propagation,
                    dry_run=dry_run,
                )
            except NotFoundError:
                continue
            out.append(raw)
        return out

    # ------------------------------------------------------------------ kind specifics
    def _kind_create_hook(self, info: ResourceInfo, obj: dict[str, Any]) -> None:
        skey = info.storage_key
        if skey == NS_KEY:
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Active"}
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"].get(
                "name", ""
            )
        elif skey == CRD_KEY:
            spec = obj.get("spec") or {}
            names = dict(spec.get("names") or {})
            if names.get("plural") and not names.get("singular"):
                names["singular"] = names.get("kind", "").lower()
            if names.get("kind") and not names.get("listKind"):
                names["listKind"] = names["kind"] + "List"
            if isinstance(spec, dict):
                spec["names"] = names
                spec.setdefault("scope", "Namespaced")
        elif skey == "/pods":
            obj.setdefault("status", {}).setdefault("phase", "Pending")
            if "status" in obj and "qosClass" not in obj["status"]:
                obj["status"]["qosClass"] = "BestEffort"
        elif skey == "/secrets":
            obj.setdefault("type", "Opaque")
            _merge_string_data(obj)

    def _allocate_service_ip(self, obj: dict[str, Any]) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict) or spec.get("type") == "ExternalName":
            return
        cip = spec.get("clusterIP")
        if not cip:
            cip = spec["clusterIP"] = self._allocate_cluster_ip()
        spec.setdefault("clusterIPs", [cip])

    def _kind_validate(self, info: ResourceInfo, obj: dict[str, Any]) -> list[Cause]:
        if info.storage_key == CRD_KEY:
            spec = obj.get("spec")
            causes = []
            if not isinstance(spec, dict):
                return [Cause("spec", "Required value", "FieldValueRequired")]
            names = spec.get("names") or {}
            group = spec.get("group") or ""
            if not group:
                causes.append(Cause("spec.group", "Required value", "FieldValueRequired"))
            for k in ("plural", "kind"):
                if not names.get(k):
                    causes.append(Cause(f"spec.names.{k}", "Required value", "FieldValueRequired"))
            expected = f"{names.get('plural', '')}.{group}"
            if obj["metadata"].get("name") and names.get("plural") and obj["metadata"]["name"] != expected:
                causes.append(
                    Cause(
                        "metadata.name",
                        f'Invalid value: "{obj["metadata"]["name"]}": must be spec.names.plural+"."+spec.group',
                    )
                )
            if not spec.get("versions"):
                causes.append(
                    Cause(
                        "spec.versions",
                        "Invalid value: must have exactly one version marked as storage version",
                    )
                )
            else:
                storage = [v for v in spec["versions"] if isinstance(v, dict) and v.get("storage")]
                if len(storage) != 1:
                    causes.append(
                        Cause(
                            "spec.versions",
                            "Invalid value: must have exactly one version marked as storage version",
                        )
                    )
            if spec.get("scope", "Namespaced") not in ("Namespaced", "Cluster"):
                causes.append(
                    Cause(
                        "spec.scope",
                        f'Unsupported value: "{spec.get("scope")}": supported values: "Cluster", "Namespaced"',
                    )
                )
            return causes
        return []

    def _crd_changed(self, crd: dict[str, Any]) -> None:
        name = crd["metadata"]["name"]
        if crd["metadata"].get("deletionTimestamp"):
            return
        self.registry.remove_crd(name)
        for info in crd_resources(crd):
            self.registry.add(info)
        status = crd.get("status") or {}
        conds = {c.get("type") for c in status.get("conditions") or []}
        if "Established" not in conds:
            now = now_rfc3339()
            names = (crd.get("spec") or {}).get("names") or {}
            new = loads(dumps(crd))
            new["status"] = {
                "acceptedNames": names,
                "conditions": [
                    {
                        "type": "NamesAccepted",
                        "status": "True",
                        "reason": "NoConflicts",
                        "message": "no conflicts found",
                        "lastTransitionTime": now,
                    },
                    {
                        "type": "Established",
                        "status": "True",
                        "reason": "InitialNamesAccepted",
                        "message": "the initial names have been accepted",
                        "lastTransitionTime": now,
                    },
                ],
                "storedVersions": [
                    v["name"] for v in (crd.get("spec") or {}).get("versions", []) if v.get("storage")
                ],
            }
            info = self.registry.get("apiextensions.k8s.io/v1/customresourcedefinitions")
            assert info is not None
            self._commit(info, "", name, new, "MODIFIED")

    # ------------------------------------------------------------------ errors
    @staticmethod
    def _qual(info: ResourceInfo) -> str:
        return f"{info.plural}.{info.group}" if info.group else info.plural

    def _invalid(self, info: ResourceInfo, name: str, causes: list[Cause]) -> InvalidError:
        summary = ", ".join(f"{c['field']}: {c['message']}" for c in causes)
        qkind = f"{info.kind}.{info.group}" if info.group else info.kind
        return InvalidError(
            f'{qkind} "{name}" is invalid: {summary}',
            {"name": name, "group": info.group, "kind": info.kind, "causes": causes},
        )

    # ------------------------------------------------------------------ watch
    def watch(
        self,
        info: ResourceInfo,
        namespace: str | None,
        since: int | None,
        label_reqs: list[Requirement],
        field_reqs: list[FieldRequirement],
        sink: Callable[[str, bytes, int], None],
        initial: bool = False,
    ) -> Watcher:
        """Register a watch. ``since``: replay changes after that resourceVersion (GoneError when
        older than the event window); ``initial``: first send ADDED for every current object."""
        w = Watcher(self, info, namespace if info.namespaced else None, label_reqs, field_reqs, sink)
        with self._lock:
            if since is not None and since < self._window_start:
                raise GoneError(f"too old resource version: {since} ({self._window_start + 1})")
            if initial:
                raws, _, _, _ = self.list_raw(info, w.ns, label_reqs, field_reqs)
                for raw in raws:
                    sink("ADDED", raw, 0)
            elif since is not None:
                for ev in self._events:
                    if ev.rv > since and ev.skey == info.storage_key:
                        w.offer(ev)
            self._watchers.setdefault(info.storage_key, set()).add(w)
        return w

    def _remove_watcher(self, w: Watcher) -> None:
        with self._lock:
            ws = self._watchers.get(w.info.storage_key)
            if ws is not None:
                ws.discard(w)

    def subscribe(self, callback: WatchCallback) -> Callable[[], None]:
        """Receive every committed change of every resource (in commit order, on a dispatcher thread)."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    # ------------------------------------------------------------------ threads
    def _start_threads(self) -> None:
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop, name="localcluster-dispatch", daemon=True
        )
        self._dispatcher.start()
        self._gc_thread = threading.Thread(target=self._gc_loop, name="localcluster-gc", daemon=True)
        self._gc_thread.start()

    def _dispatch_loop(self) -> None:
        while True:
            item = self._dispatch_q.get()
            if item is None:
                return
            type_, skey, raw, av = item
            infos = self.registry.versions_of(skey)
            key = next((i.key for i in infos if i.api_version == av), infos[0].key if infos else skey)
            for cb in list(self._subscribers):
                try:
                    cb(type_, key, loads(raw))
                except Exception:
                    log.exception("store subscriber failed")

    def close(self) -> None:
        """Stop the background threads and close the database (committed data stays)."""
        with self._lock:  # waits for a write in progress; later writes are refused
            if self._closed:
                return
            self._closed = True
        self._gc_q.put(None)
        self._dispatch_q.put(None)
        for t in (self._gc_thread, self._dispatcher):
            if t is not None:
                t.join(timeout=5)
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _merge_string_data(secret: dict[str, Any]) -> None:
    """``stringData`` is write-only: the API server folds it into ``data`` (base64), where it wins."""
    string_data = secret.pop("stringData", None)
    if not isinstance(string_data, dict) or not string_data:
        return
    data = secret.get("data")
    if not isinstance(data, dict):
        data = secret["data"] = {}
    for k, v in string_data.items():
        if v is not None:
            data[k] = base64.b64encode(str(v).encode()).decode()


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Equal apart from managedFields timestamps: an update that changes nothing is a no-op."""
    om = old.get("metadata", {})
    nm = new.get("metadata", {})
    if set(old) != set(new):
        return False
    for k in old:
        if k == "metadata":
            continue
        if old[k] != new[k]:
            return False
    keys = (set(om) | set(nm)) - {"managedFields", "resourceVersion"}
    if any(om.get(k) != nm.get(k) for k in keys):
        return False
    return _strip_times(om.get("managedFields")) == _strip_times(nm.get("managedFields"))


def _strip_times(mf: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "time"} for e in (mf or [])]


def _spec_changed(info: ResourceInfo, old: dict[str, Any], new: dict[str, Any]) -> bool:
    if info.crd is not None and "status" in info.subresources:
        skip = {"metadata", "status", "apiVersion", "kind"}
        keys = (set(old) | set(new)) - skip
        return any(old.get(k) != new.get(k) for k in keys)
    if info.crd is not None:
        skip = {"metadata", "apiVersion", "kind"}
        keys = (set(old) | set(new)) - skip
        return any(old.get(k) != new.get(k) for k in keys)
    return old.get("spec") != new.get("spec")
