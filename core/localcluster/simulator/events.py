"""Kubernetes Events (core/v1) as the real components record them: ``ScalingReplicaSet`` from
the deployment controller, ``SuccessfulCreate``/``SuccessfulDelete`` from the ReplicaSet and
Job controllers, ``Scheduled`` from the scheduler, ``Pulled``/``Created``/``Started``/
``BackOff``/``Failed`` from the kubelet. A repeated event (same object, reason and message)
bumps ``count`` and ``lastTimestamp`` on the existing Event, as the client-go recorder does.
Recording is best effort: a failed write is logged and never fails a sync."""

from __future__ import annotations

import itertools
import logging
import threading
from collections import OrderedDict
from typing import Any

from kedge.localcluster.contract import ClusterStore, StoreError
from kedge.localcluster.simulator import meta as m

Obj = dict[str, Any]
EVENTS = "/v1/events"
log = logging.getLogger("kedge.localcluster.simulator")

_API_VERSIONS = {
    "Pod": "v1",
    "Node": "v1",
    "PersistentVolumeClaim": "v1",
    "Service": "v1",
    "Deployment": "apps/v1",
    "ReplicaSet": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
}


def event_object(
    obj: Obj,
    kind: str,
    type_: str,
    reason: str,
    message: str,
    component: str,
    host: str | None,
    now: float,
    seq: int,
) -> Obj:
    ns = m.ns_of(obj) or "default"
    ts = m.rfc3339(now)
    involved: Obj = {
        "apiVersion": obj.get("apiVersion") or _API_VERSIONS.get(kind, "v1"),
        "kind": kind,
        "name": m.name_of(obj),
        "uid": m.uid_of(obj),
        "resourceVersion": obj.get("metadata", {}).get("resourceVersion", ""),
    }
    if m.ns_of(obj):
        involved["namespace"] = ns
    source: Obj = {"component": component}
    if host:
        source["host"] = host
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{m.name_of(obj)}.{int(now * 1e9) + seq:x}", "namespace": ns},
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": ts,
        "lastTimestamp": ts,
        "count": 1,
        "type": type_,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host or "",
    }


class EventRecorder:
    """Writes Events straight to the store (they are not watched by the simulator)."""

    def __init__(self, store: ClusterStore, enabled: bool = True, remember: int = 5000) -> None:
        self._store = store
        self.enabled = enabled
        self._lock = threading.Lock()
        self._seen: OrderedDict[tuple[str, str, str, str], tuple[str, str]] = OrderedDict()
        self._remember = remember
        self._seq = itertools.count()
        self.written = 0

    def record(
        self,
        obj: Obj,
        kind: str,
        type_: str,
        reason: str,
        message: str,
        component: str,
        now: float,
        host: str | None = None,
    ) -> None:
        if not self.enabled:
            return
        key = (m.uid_of(obj), type_, reason, message)
        with self._lock:
            known = self._seen.get(key)
            seq = next(self._seq)
        try:
            if known is not None:
                existing = self._store.get(EVENTS, known[0], known[1])
                if existing is not None:
                    existing["count"] = int(existing.get("count") or 1) + 1
                    existing["lastTimestamp"] = m.rfc3339(now)
                    self._store.update(EVENTS, existing, manager=component)
                    self.written += 1
                    return
            created = self._store.create(
                EVENTS,
                event_object(obj, kind, type_, reason, message, component, host, now, seq),
                manager=component,
            )
            self.written += 1
            with self._lock:
                self._seen[key] = (created["metadata"]["namespace"], created["metadata"]["name"])
                while len(self._seen) > self._remember:
                    self._seen.popitem(last=False)
        except StoreError as err:
            log.debug("event %s for %s %s not recorded: %s", reason, kind, m.name_of(obj), err)
