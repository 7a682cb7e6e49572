"""An informer: the full objects of one resource type (optionally one namespace), kept current
by list+watch, with change callbacks. Used for Kedge's own resources (Applications,
AppProjects); the cluster cache handles the bulk of a cluster."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kedge.kube.client import APIResource, KubeClient, KubeError

log = logging.getLogger(__name__)

#: (event type, new object or None, old object or None)
Handler = Callable[[str, "dict[str, Any] | None", "dict[str, Any] | None"], None]


class Informer:
    def __init__(
        self,
        client: KubeClient,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        watch_timeout: int = 300,
    ) -> None:
        self.client = client
        self.api_version = api_version
        self.kind = kind
        self.namespace = namespace
        self.watch_timeout = watch_timeout
        self._objects: dict[tuple[str, str], dict[str, Any]] = {}
        self._handlers: list[Handler] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.synced = threading.Event()
        self.error: str | None = None
        self._thread: threading.Thread | None = None

    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def get(self, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        return self._objects.get((namespace or self.namespace or "", name))

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._objects.values())

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"informer-{self.kind}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _resource(self) -> APIResource | None:
        return self.client.resource_for(self.api_version, self.kind)

    @staticmethod
    def _key(obj: dict[str, Any]) -> tuple[str, str]:
        meta = obj.get("metadata") or {}
        return (meta.get("namespace") or "", meta.get("name") or "")

    def _emit(self, etype: str, new: dict[str, Any] | None, old: dict[str, Any] | None) -> None:
        for h in self._handlers:
            try:
                h(etype, new, old)
            except Exception:  # noqa: BLE001 - a handler bug must not kill the watch
                log.exception("%s informer handler failed", self.kind)

    def _apply(self, etype: str, obj: dict[str, Any]) -> None:
        key = self._key(obj)
        with self._lock:
            old = self._objects.get(key)
            if etype == "DELETED":
                self._objects.pop(key, None)
            else:
                self._objects[key] = obj
        self._emit(etype, None if etype == "DELETED" else obj, old)

    def _run(self) -> None:
        backoff = 0.5
        rv = ""
        while not self._stop.is_set():
            try:
                res = self._resource()
                if res is None:
                    raise KubeError(
                        404, "NotFound", f"{self.kind} ({self.api_version}) is not served (CRD missing?)"
                    )
                if not rv:
                    items, rv = self.client.list(res, self.namespace)
                    fresh = {self._key(o): o for o in items}
                    for o in items:
                        o.setdefault("apiVersion", self.api_version)
                        o.setdefault("kind", self.kind)
                    with self._lock:
                        gone = [o for k, o in self._objects.items() if k not in fresh]
                    for o in gone:
                        self._apply("DELETED", o)
                    for o in items:
                        old = self._objects.get(self._key(o))
                        if old is None or (old.get("metadata") or {}).get("resourceVersion") != (
                            o.get("metadata") or {}
                        ).get("resourceVersion"):
                            self._apply("ADDED" if old is None else "MODIFIED", o)
                    self.synced.set()
                    self.error = None
                for event in self.client.watch(res, rv, self.watch_timeout, namespace=self.namespace):
                    if self._stop.is_set():
                        return
                    etype, obj = event.get("type"), event.get("object") or {}
                    if etype == "ERROR":
                        rv = ""
                        break
                    rv = (obj.get("metadata") or {}).get("resourceVersion") or rv
                    if etype in ("ADDED", "MODIFIED", "DELETED"):
                        self._apply(etype, obj)
                backoff = 0.5
            except Exception as exc:  # noqa: BLE001 - retry with a bounded backoff
                self.error = str(exc)
                self.synced.set()
                log.warning("%s informer: %s", self.kind, exc)
                rv = ""
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
