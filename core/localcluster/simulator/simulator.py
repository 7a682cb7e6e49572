"""The event loop that runs the simulated controllers and kubelets against a ClusterStore.

One subscription to the store feeds an informer-style cache and a work queue keyed by
``(controller, namespace, name)``; a few worker threads run each key's sync function; a timer
heap brings keys back at a given time (start-up delays, back-offs, progress deadlines, cron
schedules); errors and conflicts are retried with a bounded exponential back-off; a bounded
periodic resync re-queues everything as a safety net.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

from kedge.localcluster.contract import ClusterStore, ConflictError, NotFoundError, StoreError
from kedge.localcluster.simulator import (
    cronjob,
    daemonset,
    deployment,
    job,
    kubelet,
    policy,
    replicaset,
    service,
    statefulset,
    storage,
)
from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator import nodes as nodemod
from kedge.localcluster.simulator.cache import ObjectCache
from kedge.localcluster.simulator.clock import SystemClock
from kedge.localcluster.simulator.context import CONTROLLER_MANAGER, KUBELET, SimulatorOptions
from kedge.localcluster.simulator.events import EventRecorder
from kedge.localcluster.simulator.resources import (
    CRONJOBS,
    DAEMONSETS,
    DEPLOYMENTS,
    ENDPOINTS,
    ENDPOINTSLICES,
    HPAS,
    INGRESSES,
    JOBS,
    NAMESPACES,
    NODES,
    OWNER_CONTROLLERS,
    PDBS,
    PODS,
    PVCS,
    PVS,
    REPLICASETS,
    SERVICES,
    STATEFULSETS,
    WATCHED,
)
from kedge.localcluster.simulator.workqueue import TimerQueue, WorkQueue

log = logging.getLogger("kedge.localcluster.simulator")

Obj = dict[str, Any]
Key = tuple[str, str | None, str]
SyncFn = Callable[[Any, str | None, str], None]

#: resource -> the controller that reconciles objects of that resource
_SELF_CONTROLLER = {
    DEPLOYMENTS: "deployment",
    REPLICASETS: "replicaset",
    STATEFULSETS: "statefulset",
    DAEMONSETS: "daemonset",
    JOBS: "job",
    CRONJOBS: "cronjob",
    PODS: "pod",
    SERVICES: "service",
    PVCS: "pvc",
    PVS: "pv",
    INGRESSES: "ingress",
    NAMESPACES: "namespace",
    NODES: "node",
    PDBS: "pdb",
    HPAS: "hpa",
}


class Simulator:
    """Runs kube-controller-manager's workload controllers and a kubelet per simulated Node
    against ``store`` (any :class:`kedge.localcluster.contract.ClusterStore`).

    ``Simulator(store, pod_startup_delay=0).start()`` ... ``.stop()``. Keyword arguments are
    :class:`SimulatorOptions` fields; or pass ``options=SimulatorOptions(...)``.
    """

    def __init__(self, store: ClusterStore, options: SimulatorOptions | None = None, **kwargs: Any) -> None:
        if options is None:
            options = SimulatorOptions(**kwargs)
        elif kwargs:
            raise TypeError("pass either options= or keyword options, not both")
        self.store = store
        self.opts = options
        self.clock = options.clock or SystemClock()
        self.cache = ObjectCache()
        self.queue = WorkQueue()
        self.timers = TimerQueue(self.clock, self._on_timer)
        self.retry_timers = TimerQueue(SystemClock(), self._on_timer)
        self.addresses = nodemod.Addresses(options)
        self.recorder = EventRecorder(store, enabled=options.events)
        self.writes: Counter[str] = Counter()
        self.syncs = 0
        self.errors = 0
        self._retries: dict[Hashable, int] = {}
        self._served: set[str] = set()
        self._node_load: Counter[str] = Counter()
        self._first_seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._running = False
        self._stopped = False
        self._syncs: dict[str, SyncFn] = {
            "deployment": deployment.sync,
            "replicaset": replicaset.sync,
            "pod": kubelet.sync,
            "statefulset": statefulset.sync,
            "daemonset": daemonset.sync,
            "job": job.sync,
            "cronjob": cronjob.sync,
            "service": service.sync_service,
            "ingress": service.sync_ingress,
            "namespace": service.sync_namespace,
            "pvc": storage.sync_pvc,
            "pv": storage.sync_pv,
            "pdb": policy.sync_pdb,
            "hpa": policy.sync_hpa,
            "node": self._sync_node,
            "resync": self._resync,
        }

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Subscribe, fill the cache, register the Nodes, queue every object, start threads.
        A simulator runs once: after :meth:`stop`, create a new one."""
        if self._running:
            return self
        if self._stopped:
            raise RuntimeError("this Simulator was stopped; create a new Simulator to run again")
        self._running = True
        self._served = {key for key, av, kind in WATCHED if self.store.resource_for(av, kind) == key}
        self.recorder.enabled = self.opts.events and self.store.resource_for("v1", "Event") == "/v1/events"
        self._unsubscribe = self.store.subscribe(self._on_event)
        for resource in sorted(self._served):
            for obj in self.store.list(resource):
                self.cache.apply(resource, obj)
        for pod in self.cache.list(PODS, "*"):
            self.addresses.mark_pod_ip((pod.get("status") or {}).get("podIP"))
            node = (pod.get("spec") or {}).get("nodeName")
            if node and m.pod_is_active(pod):
                self._node_load[node] += 1
        for svc in self.cache.list(SERVICES, "*"):
            for ing in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
                if ing.get("ip"):
                    self.addresses.mark_lb_ip(f"{m.ns_of(svc)}/{m.name_of(svc)}", ing["ip"])
        self.timers.start()
        self.retry_timers.start()
        for i in range(max(self.opts.workers, 1)):
            t = threading.Thread(target=self._work, name=f"kedge-sim-worker-{i}", daemon=True)
            t.start()
            self._workers.append(t)
        for name in self.opts.node_names():
            self.queue.add(("node", None, name))
        self._enqueue_all()
        if self.opts.resync_period > 0:
            self.retry_timers.add_at(("resync", None, ""), time.time() + self.opts.resync_period)
        return self

    def stop(self) -> None:
        """Unsubscribe and stop every thread (in-flight syncs finish first)."""
        if not self._running:
            return
        self._running = False
        self._stopped = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.queue.shutdown()
        self.timers.stop()
        self.retry_timers.stop()
        for t in self._workers:
            t.join(timeout=10)
        self._workers.clear()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 10.0, horizon: float = 0.0) -> bool:
        """Block until no key is queued or being processed and no timer is due within
        ``horizon`` seconds; False on timeout. For tests and benchmarks."""
        deadline = time.monotonic() + timeout
        stable = 0
        while time.monotonic() < deadline:
            due = self.timers.next_due()
            quiet = self.queue.idle() and (due is None or due > self.clock.now() + horizon)
            with self._lock:
                quiet = quiet and not self._retries  # no failed key waiting for its retry
            stable = stable + 1 if quiet else 0
            if stable >= 3:
                return True
            time.sleep(0.01)
        return False

    def resync(self, include_pods: bool = True) -> None:
        """Queue every object for a reconcile, as the periodic resync does. On a settled
        cluster this writes nothing."""
        self._enqueue_all(include_pods=include_pods)

    def stats(self) -> dict[str, Any]:
        """Counters: writes by verb and resource, syncs, errors, cache size, queue length."""
        return {
            "writes": dict(self.writes),
            "total_writes": sum(self.writes.values()) + self.recorder.written,
            "event_writes": self.recorder.written,
            "syncs": self.syncs,
            "errors": self.errors,
            "cached_objects": len(self.cache),
            "queued": len(self.queue),
        }

    # -- the context controllers use ---------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def served(self, resource: str) -> bool:
        return resource in self._served

    def _count(self, verb: str, resource: str) -> None:
        with self._lock:
            self.writes[f"{verb} {resource}"] += 1

    def create(self, resource: str, obj: Obj, manager: str = CONTROLLER_MANAGER) -> Obj:
        self._count("create", resource)
        created = self.store.create(resource, obj, manager=manager)
        self.cache.apply(resource, created)
        if resource == PODS:
            node = (created.get("spec") or {}).get("nodeName")
            if node:
                self.queue.add(("pod", m.ns_of(created), m.name_of(created)))
        return created

    def update(self, resource: str, obj: Obj, manager: str = CONTROLLER_MANAGER) -> Obj:
        return self._update(resource, obj, "", manager)

    def update_status(self, resource: str, obj: Obj, manager: str = CONTROLLER_MANAGER) -> Obj:
        return self._update(resource, obj, "status", manager)

    def _update(self, resource: str, obj: Obj, subresource: str, manager: str) -> Obj:
        self._count("update" + ("/" + subresource if subresource else ""), resource)
        try:
            updated = self.store.update(resource, obj, subresource=subresource, manager=manager)
        except (ConflictError, NotFoundError):
            self._refresh(resource, m.ns_of(obj), m.name_of(obj))
            raise
        self.cache.apply(resource, updated)
        return updated

    def delete(self, resource: str, namespace: str | None, name: str) -> None:
        self._count("delete", resource)
        try:
            self.store.delete(resource, namespace, name)
        except NotFoundError:
            pass
        self._refresh(resource, namespace, name)

    def _refresh(self, resource: str, namespace: str | None, name: str) -> None:
        fresh = self.store.get(resource, namespace, name)
        if fresh is None:
            cached = self.cache.get(resource, namespace, name)
            if cached is not None:
                self.cache.apply(resource, cached, deleted=True)
                self._forget_pod(resource, cached)
        else:
            self.cache.apply(resource, fresh)

    def requeue_at(self, controller: str, namespace: str | None, name: str, when: float) -> None:
        if when <= self.clock.now():
            self.queue.add((controller, namespace, name))
        else:
            self.timers.add_at((controller, namespace, name), when)

    def pick_node(self, pod: Obj) -> str | None:
        """The scheduler: the matching Ready node with the fewest pods."""
        candidates = []
        for name in self.opts.node_names():
            node = self.cache.get(NODES, None, name) or {
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}
            }
            if (node.get("spec") or {}).get("unschedulable"):
                continue
            if nodemod.node_matches(pod, node):
                candidates.append(name)
        if not candidates:
            return None
        with self._lock:
            chosen = min(candidates, key=lambda n: (self._node_load[n], n))
            self._node_load[chosen] += 1
        return chosen

    def node_ip(self, node: str) -> str | None:
        index = self.addresses.node_index(node)
        return None if index is None else nodemod.node_ip(index)

    def allocate_pod_ip(self, pod: Obj) -> str:
        return self.addresses.pod_ip((pod.get("spec") or {}).get("nodeName") or "")

    def event(
        self,
        obj: Obj,
        kind: str,
        type_: str,
        reason: str,
        message: str,
        component: str,
        host: str | None = None,
    ) -> None:
        self.recorder.record(obj, kind, type_, reason, message, component, self.clock.now(), host)

    def first_seen(self, pod: Obj, default: float, reset: bool = False) -> float:
        uid = m.uid_of(pod)
        with self._lock:
            seen = None if reset else self._first_seen.get(uid)
            if reset:
                seen = default
                self._first_seen[uid] = seen
            elif seen is None:
                seen = m.parse_time((pod.get("status") or {}).get("startTime")) or default
                self._first_seen[uid] = seen
            return seen

    def allocate_lb_ip(self, key: str) -> str:
        return self.addresses.lb_ip(key)

    # -- events ------------------------------------------------------------------------------

    def _on_event(self, event_type: str, resource: str, obj: Obj) -> None:
        if resource not in self._served or not self._running:
            return
        deleted = event_type == "DELETED"
        self.cache.apply(resource, obj, deleted=deleted)
        if deleted:
            self._forget_pod(resource, obj)
        for key in self._route(resource, obj, deleted):
            self.queue.add(key)

    def _forget_pod(self, resource: str, obj: Obj) -> None:
        if resource == PODS:
            self.addresses.release_pod_ip((obj.get("status") or {}).get("podIP"))
            with self._lock:
                self._first_seen.pop(m.uid_of(obj), None)
            node = (obj.get("spec") or {}).get("nodeName")
            if node:
                with self._lock:
                    if self._node_load[node] > 0:
                        self._node_load[node] -= 1
        elif resource == SERVICES:
            self.addresses.release_lb_ip(f"{m.ns_of(obj)}/{m.name_of(obj)}")

    def _route(self, resource: str, obj: Obj, deleted: bool) -> list[Key]:
        ns, name = m.ns_of(obj), m.name_of(obj)
        keys: list[Key] = []
        own = _SELF_CONTROLLER.get(resource)
        if own and not (deleted and own in ("pod", "node")):
            keys.append((own, ns, name))
        ref = m.controller_of(obj)
        if ref is not None and ref.get("kind") in OWNER_CONTROLLERS:
            keys.append((OWNER_CONTROLLERS[ref["kind"]], ns, ref.get("name", "")))
        if resource == PODS:
            labels = m.labels_of(obj)
            for svc in self.cache.selecting(SERVICES, ns, labels):
                keys.append(("service", ns, m.name_of(svc)))
            for pdb in self.cache.list(PDBS, ns):
                if m.selector_matches((pdb.get("spec") or {}).get("selector"), labels):
                    keys.append(("pdb", ns, m.name_of(pdb)))
        if resource in (DEPLOYMENTS, STATEFULSETS, REPLICASETS):
            kind = (
                obj.get("kind")
                or {DEPLOYMENTS: "Deployment", STATEFULSETS: "StatefulSet", REPLICASETS: "ReplicaSet"}[
                    resource
                ]
            )
            for hpa in self.cache.list(HPAS, ns):
                target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
                if target.get("kind") == kind and target.get("name") == name:
                    keys.append(("hpa", ns, m.name_of(hpa)))
        if resource == ENDPOINTS:
            keys.append(("service", ns, name))
        elif resource == ENDPOINTSLICES:
            svc = m.labels_of(obj).get("kubernetes.io/service-name")
            if svc:
                keys.append(("service", ns, svc))
        elif resource == NODES:
            for ds in self.cache.list(DAEMONSETS, "*"):
                keys.append(("daemonset", m.ns_of(ds), m.name_of(ds)))
        elif resource == PVCS and deleted:
            volume = (obj.get("spec") or {}).get("volumeName")
            if volume:
                keys.append(("pv", None, volume))
            for sts in self.cache.list(STATEFULSETS, ns):
                keys.append(("statefulset", ns, m.name_of(sts)))
        elif resource == PVS:
            ref = (obj.get("spec") or {}).get("claimRef") or {}
            if ref.get("name"):
                keys.append(("pvc", ref.get("namespace"), ref["name"]))
            else:
                for pvc in self.cache.list(PVCS, "*"):
                    if (pvc.get("spec") or {}).get("volumeName") == name:
                        keys.append(("pvc", m.ns_of(pvc), m.name_of(pvc)))
        return keys

    def _enqueue_all(self, include_pods: bool = True) -> None:
        for resource, controller in _SELF_CONTROLLER.items():
            if resource not in self._served or controller in ("pv", "node"):
                continue
            if controller == "pod" and not include_pods:
                continue
            for obj in self.cache.list(resource, "*"):
                self.queue.add((controller, m.ns_of(obj), m.name_of(obj)))

    def _resync(self, namespace: str | None, name: str) -> None:
        """The periodic safety net: every controller's objects (pods are driven by their owners'
        events and their own timers, so the most numerous objects are left out)."""
        self._enqueue_all(include_pods=False)
        if self.opts.resync_period > 0 and self._running:
            self.retry_timers.add_at(("resync", None, ""), time.time() + self.opts.resync_period)

    def _on_timer(self, key: Hashable) -> None:
        self.queue.add(key)

    # -- workers -----------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            key = self.queue.get()
            if key is None:
                return
            try:
                self._process(key)  # type: ignore[arg-type]
            finally:
                self.queue.done(key)

    def _process(self, key: Key) -> None:
        controller, namespace, name = key
        fn = self._syncs.get(controller)
        if fn is None:
            return
        try:
            with self._lock:
                self.syncs += 1
            if controller in ("node", "resync"):
                fn(namespace, name)  # type: ignore[call-arg]
            else:
                fn(self, namespace, name)
            self._retries.pop(key, None)
        except StoreError as err:
            self._retry(key, err, quiet=isinstance(err, ConflictError | NotFoundError) or err.code == 409)
        except Exception as err:  # a bug in one sync must not stop the simulator
            log.exception("simulator: %s %s/%s failed", controller, namespace, name)
            self._retry(key, err, quiet=True)

    def _retry(self, key: Key, err: Exception, quiet: bool) -> None:
        with self._lock:
            self.errors += 1
            attempt = self._retries.get(key, 0) + 1
            if attempt > self.opts.max_retries:
                self._retries.pop(key, None)
                give_up = True
            else:
                self._retries[key] = attempt
                give_up = False
        if give_up:
            log.warning("simulator: giving up on %s after %d attempts: %s", key, self.opts.max_retries, err)
            return
        if not quiet:
            log.info("simulator: %s: %s (retry %d)", key, err, attempt)
        self.retry_timers.add_at(key, time.time() + min(0.005 * 2**attempt, 2.0))

    # -- nodes -------------------------------------------------------------------------------

    def _sync_node(self, namespace: str | None, name: str) -> None:
        index = self.addresses.node_index(name)
        if index is None:
            return
        now = self.clock.now()
        node = self.cache.get(NODES, None, name)
        if node is None:
            node = self.create(NODES, nodemod.node_object(name, index, self.opts, now), manager=KUBELET)
        status = nodemod.node_status(name, index, self.opts, now, node.get("status"))
        if status != node.get("status"):
            body = m.with_status(node, status)
            self.update_status(NODES, body, manager=KUBELET)
