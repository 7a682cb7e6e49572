"""The local cluster's garbage collector: ownerReferences, foreground and orphan deletion,
namespace termination. A mixin of :class:`kedge.localcluster.store.Store`, run on one background
thread fed by a queue of work items the store's writes produce:

- ``("owner_gone", uid)``: an object with dependents was removed; check each dependent.
- ``("owner_check", uid)``: a dependent was removed; its owner may be waiting (foreground).
- ``("dependent", skey, ns, name)``: delete the object if none of its owners exists any more.
- ``("finalize", skey, ns, name)``: progress the ``foregroundDeletion``/``orphan`` finalizers.
- ``("namespace", name)``: delete a terminating namespace's contents, then the namespace.
- ``("sweep",)``: every ``gc_interval`` seconds, look for dangling owner references.
- ``("expire_events",)``: every minute, delete Events older than ``event_ttl`` (as the API
  server's one-hour event lease does), so a long-running cluster does not fill up with them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

import orjson

from kedge.localcluster.contract import ConflictError, NotFoundError, StoreError
from kedge.localcluster.registry import ResourceInfo

log = logging.getLogger(__name__)
loads = orjson.loads

NS_KEY = "/namespaces"
EVENT_KEYS = ("/events", "events.k8s.io/events")
#: seconds between checks for expired Events
EVENT_EXPIRY_CHECK = 60.0


class GarbageCollector:
    """Mixin: expects the Store's ``_lock``, ``_data``, ``_uids``, ``_dependents``, ``_gc_q``,
    ``registry`` and write methods."""

    _lock: threading.RLock
    _gc_q: queue.Queue[tuple[Any, ...] | None]
    _gc_interval: float
    _event_ttl: float
    _closed: bool
    _data: dict[str, Any]
    _uids: dict[str, tuple[str, str, str]]
    _dependents: dict[str, set[tuple[str, str, str]]]
    registry: Any

    def _gc_loop(self) -> None:
        last_sweep = last_expiry = time.monotonic()
        while True:
            try:
                item = self._gc_q.get(timeout=self._gc_interval)
            except queue.Empty:
                item = ("sweep",)
            if item is None:
                return
            if self._closed:
                return
            try:
                self._gc_step(item)
                if time.monotonic() - last_sweep > self._gc_interval:
                    last_sweep = time.monotonic()
                    self._gc_step(("sweep",))
                if time.monotonic() - last_expiry > EVENT_EXPIRY_CHECK:
                    last_expiry = time.monotonic()
                    self.expire_events()
            except StoreError:
                pass
            except Exception:
                log.exception("garbage collector step %r failed", item)

    def expire_events(self, now: float | None = None) -> int:
        """Delete Events whose last update is older than ``event_ttl`` seconds; returns how many."""
        from datetime import datetime

        cutoff = (now if now is not None else time.time()) - self._event_ttl
        expired: list[tuple[str, str, str]] = []
        with self._lock:
            for skey in EVENT_KEYS:
                for ns, bucket in self._data.get(skey, {}).items():
                    for name, entry in bucket.items():
                        obj = loads(entry.raw)
                        ts = (
                            obj.get("lastTimestamp")
                            or obj.get("eventTime")
                            or obj["metadata"].get("creationTimestamp")
                        )
                        try:
                            t = datetime.fromisoformat(str(ts).replace("Z", "+00:00")).timestamp()
                        except ValueError:
                            continue
                        if t < cutoff:
                            expired.append((skey, ns, name))
        for skey, ns, name in expired:
            info = self._info_for_skey(skey)
            if info is not None:
                self._safe_delete(info, ns, name, "Background")
        return len(expired)

    def _info_for_skey(self, skey: str) -> ResourceInfo | None:
        infos = self.registry.versions_of(skey)
        return infos[0] if infos else None

    def _gc_step(self, item: tuple[Any, ...]) -> None:
        kind = item[0]
        if kind == "owner_gone" or kind == "owner_check":
            uid = item[1]
            with self._lock:
                owner_loc = self._uids.get(uid)
                deps = list(self._dependents.get(uid, ()))
            if kind == "owner_check":
                if owner_loc is not None:
                    self._gc_q.put(("finalize", *owner_loc))
                return
            for dep in deps:
                self._gc_q.put(("dependent", *dep))
        elif kind == "dependent":
            _, skey, ns, name = item
            with self._lock:
                entry = self._get_entry(skey, ns, name)
                if entry is None or not entry.owners or entry.deleting:
                    return
                if any(o in self._uids for o in entry.owners):
                    return
                info = self._info_for_skey(skey)
            if info is not None:
                self._safe_delete(info, ns, name, "Background")
        elif kind == "finalize":
            _, skey, ns, name = item
            self._finalize(skey, ns, name)
        elif kind == "namespace":
            self._terminate_namespace(item[1])
        elif kind == "sweep":
            with self._lock:
                todo = [
                    (skey, ns, name)
                    for skey, by_ns in self._data.items()
                    for ns, bucket in by_ns.items()
                    for name, e in bucket.items()
                    if e.owners and not any(o in self._uids for o in e.owners) and not e.deleting
                ]
            for t in todo:
                self._gc_q.put(("dependent", *t))

    def _safe_delete(self, info: ResourceInfo, ns: str, name: str, propagation: str) -> None:
        try:
            self.delete_info(info, ns or None, name, propagation)
        except NotFoundError:
            pass

    def _finalize(self, skey: str, ns: str, name: str) -> None:
        """Progress the system finalizers (foregroundDeletion, orphan) of an object being deleted."""
        with self._lock:
            entry = self._get_entry(skey, ns, name)
            if entry is None or not entry.deleting:
                return
            info = self._info_for_skey(skey)
            if info is None:
                return
            obj = loads(entry.raw)
            finalizers = list(obj["metadata"].get("finalizers") or [])
            deps = list(self._dependents.get(entry.uid, ())) if entry.uid else []
        if "orphan" in finalizers:
            for dskey, dns, dname in deps:
                self._remove_owner_ref(dskey, dns, dname, entry.uid)
            self._drop_finalizer(info, ns, name, "orphan")
            return
        if "foregroundDeletion" in finalizers:
            live = []
            with self._lock:
                for dskey, dns, dname in deps:
                    d = self._get_entry(dskey, dns, dname)
                    if d is not None:
                        live.append((dskey, dns, dname, d.deleting))
            if not live:
                self._drop_finalizer(info, ns, name, "foregroundDeletion")
                return
            for dskey, dns, dname, deleting in live:
                if not deleting:
                    dinfo = self._info_for_skey(dskey)
                    if dinfo is not None:
                        self._safe_delete(dinfo, dns, dname, "Foreground")

    def _drop_finalizer(self, info: ResourceInfo, ns: str, name: str, finalizer: str) -> None:
        for _ in range(5):
            with self._lock:
                entry = self._get_entry(info.storage_key, ns, name)
                if entry is None:
                    return
                obj = loads(entry.raw)
                fins = [f for f in obj["metadata"].get("finalizers") or [] if f != finalizer]
                if fins:
                    obj["metadata"]["finalizers"] = fins
                else:
                    obj["metadata"].pop("finalizers", None)
                try:
                    self._write_updated(info, ns, name, loads(entry.raw), obj)
                    return
                except ConflictError:
                    continue

    def _remove_owner_ref(self, skey: str, ns: str, name: str, uid: str) -> None:
        with self._lock:
            entry = self._get_entry(skey, ns, name)
            info = self._info_for_skey(skey)
            if entry is None or info is None:
                return
            obj = loads(entry.raw)
            refs = [r for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
            if refs:
                obj["metadata"]["ownerReferences"] = refs
            else:
                obj["metadata"].pop("ownerReferences", None)
            self._write_updated(info, ns, name, loads(entry.raw), obj)

    def _terminate_namespace(self, ns: str) -> None:
        with self._lock:
            nse = self._get_entry(NS_KEY, "", ns)
            if nse is None or not nse.deleting:
                return
            contents = [
                (skey, name, e.deleting)
                for skey, by_ns in self._data.items()
                for name, e in by_ns.get(ns, {}).items()
            ]
        if not contents:
            with self._lock:
                nse = self._get_entry(NS_KEY, "", ns)
                if nse is None:
                    return
                info = self.registry.get("/v1/namespaces")
                assert info is not None
                self._commit(info, "", ns, None, "DELETED")
            return
        for skey, name, deleting in contents:
            if deleting:
                continue
            info = self._info_for_skey(skey)
            if info is not None:
                self._safe_delete(info, ns, name, "Background")

    def wait_gc_idle(self, timeout: float = 5.0) -> None:
        """Block until the garbage collector's queue is empty (for tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._gc_q.empty():
            time.sleep(0.01)
