"""Settings from the management cluster: the ConfigMaps and Secrets of the control-plane
namespace (``argocd-cm``, ``argocd-rbac-cm``, ``argocd-secret``, Secrets labelled
``argocd.argoproj.io/secret-type``...), watched and fed to a :class:`SettingsManager`.

Invalid new content never replaces good settings (the manager keeps the previous snapshot and
logs the problems). :meth:`ClusterSettingsSource.refresh` re-reads at once, so the API server
sees its own writes (a new token, a changed password) before answering the next request.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kedge.kube.client import KubeClient
from kedge.kube.informer import Informer
from kedge.settings import SettingsError, SettingsManager
from kedge.settings.objects import PART_OF_LABEL, SECRET_TYPE_LABEL

log = logging.getLogger(__name__)
DEBOUNCE = 0.05


def relevant(obj: dict[str, Any]) -> bool:
    meta = obj.get("metadata") or {}
    name = meta.get("name") or ""
    if name.startswith("argocd-"):
        return True
    if obj.get("kind") == "Secret":
        labels = meta.get("labels") or {}
        return SECRET_TYPE_LABEL in labels or labels.get(PART_OF_LABEL) == "argocd"
    return False


def _rv(obj: dict[str, Any]) -> int | None:
    rv = (obj.get("metadata") or {}).get("resourceVersion") or ""
    return int(rv) if rv.isdigit() else None


class ClusterSettingsSource:
    """Keeps a merged view of the namespace's settings objects: informer events and direct
    reads (:meth:`refresh`) both feed it, and an object never goes back to an older
    ``resourceVersion`` (a late informer event cannot undo a newer direct read)."""

    def __init__(self, client: KubeClient, namespace: str, manager: SettingsManager) -> None:
        self.client = client
        self.namespace = namespace
        self.manager = manager
        self.configmaps = Informer(client, "v1", "ConfigMap", namespace)
        self.secrets = Informer(client, "v1", "Secret", namespace)
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.RLock()  # reading the merged view and applying it are one step
        self._objects: dict[tuple[str, str], dict[str, Any]] = {}
        self._fingerprint: tuple | None = None
        self._thread: threading.Thread | None = None
        self.configmaps.add_handler(lambda e, n, o: self._on_event("ConfigMap", e, n, o))
        self.secrets.add_handler(lambda e, n, o: self._on_event("Secret", e, n, o))

    def _merge(self, kind: str, etype: str, obj: dict[str, Any]) -> None:
        obj.setdefault("apiVersion", "v1")
        obj.setdefault("kind", kind)
        key = (kind, (obj.get("metadata") or {}).get("name") or "")
        current = self._objects.get(key)
        if current is not None:
            new_rv, cur_rv = _rv(obj), _rv(current)
            if new_rv is not None and cur_rv is not None and new_rv < cur_rv:
                return  # a late event: we already have a newer version
        if etype == "DELETED":
            self._objects.pop(key, None)
        else:
            self._objects[key] = obj

    def _on_event(self, kind: str, etype: str, new: Any, old: Any) -> None:
        obj = new or old or {}
        if not relevant({**obj, "kind": kind}):
            return
        with self._lock:
            self._merge(kind, etype, obj)
        self._changed.set()

    def start(self, wait: float = 30.0) -> None:
        self.configmaps.start()
        self.secrets.start()
        self.configmaps.synced.wait(wait)
        self.secrets.synced.wait(wait)
        self._apply()
        self._thread = threading.Thread(target=self._run, name="settings-source", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._changed.set()
        self.configmaps.stop()
        self.secrets.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._changed.wait()
            if self._stop.is_set():
                return
            self._stop.wait(DEBOUNCE)
            self._changed.clear()
            try:
                self._apply()
            except Exception:  # noqa: BLE001 - keep watching whatever happens
                log.exception("reloading settings failed")

    def refresh(self) -> None:
        """Re-read the namespace's ConfigMaps and Secrets now (after a write of our own)."""
        fresh: dict[tuple[str, str], dict[str, Any]] = {}
        for kind in ("ConfigMap", "Secret"):
            res = self.client.resource_for("v1", kind)
            if res is None:
                continue
            items, _ = self.client.list(res, self.namespace)
            for o in items:
                o.setdefault("apiVersion", "v1")
                o.setdefault("kind", kind)
                if relevant(o):
                    fresh[(kind, o["metadata"]["name"])] = o
        with self._lock:
            for key in [k for k in self._objects if k not in fresh]:
                del self._objects[key]  # the list is newer than any event we have seen
            for (kind, _), obj in fresh.items():
                self._merge(kind, "MODIFIED", obj)
        self._apply()

    def _apply(self) -> None:
        with self._lock:
            self.load(list(self._objects.values()))

    def load(self, objects: list[dict[str, Any]]) -> bool:
        """Apply these objects as the settings if they differ from the last ones applied."""
        docs = [o for o in objects if relevant(o)]
        fp = tuple(
            sorted(
                (
                    o.get("kind", ""),
                    (o.get("metadata") or {}).get("name", ""),
                    (o.get("metadata") or {}).get("resourceVersion", ""),
                )
                for o in docs
            )
        )
        with self._lock:
            if fp == self._fingerprint:
                return False
            try:
                self.manager.update_sourced((f"namespace {self.namespace}", d) for d in docs)
            except SettingsError as exc:
                log.error(
                    "settings in namespace %s are invalid; keeping the previous ones: %s", self.namespace, exc
                )
                self._fingerprint = fp
                return False
            self._fingerprint = fp
            return True
