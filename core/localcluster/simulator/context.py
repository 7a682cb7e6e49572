"""What a simulated controller may use: the :class:`SimContext` protocol (implemented by
:class:`kedge.localcluster.simulator.Simulator`) and the tunable :class:`SimulatorOptions`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from kedge.localcluster.simulator.cache import ObjectCache
from kedge.localcluster.simulator.clock import Clock, SystemClock

Obj = dict[str, Any]

CONTROLLER_MANAGER = "kube-controller-manager"
KUBELET = "kubelet"
SCHEDULER = "kube-scheduler"


@dataclass
class SimulatorOptions:
    """Knobs of the workload simulator (see docs/localcluster-simulator.md).

    ``pod_startup_delay``: seconds a pod stays Pending (ContainerCreating) before it runs and
    becomes Ready; 0 makes pods Ready on the first kubelet pass.
    ``job_duration``: seconds a pod with restartPolicy Never/OnFailure runs before it exits.
    ``backoff``: the kubelet's first back-off (CrashLoopBackOff, ImagePullBackOff) and the Job
    controller's first pod-failure back-off, doubling up to ``backoff_cap``.
    ``nodes``: how many simulated Nodes (named ``kedge-node-1``...), or their names.
    ``workers``: reconcile worker threads. ``resync_period``: seconds between full resyncs
    (0: none). ``events``: record core/v1 Events as the real components do. ``max_retries``: attempts per key after errors/conflicts before giving up until
    the next event. ``clock``: time source (a ManualClock in tests).
    """

    pod_startup_delay: float = 0.5
    job_duration: float = 1.0
    backoff: float = 10.0
    backoff_cap: float = 300.0
    nodes: int | list[str] = 1
    node_cpu: str = "4"
    node_memory: str = "16Gi"
    node_max_pods: str = "110"
    #: record core/v1 Events (ScalingReplicaSet, SuccessfulCreate, Scheduled, Started, BackOff ...)
    events: bool = True
    workers: int = 2
    resync_period: float = 300.0
    max_retries: int = 8
    clock: Clock = field(default_factory=SystemClock)
    #: addresses handed to LoadBalancer Services (and Ingresses): 172.18.255.1 and up
    load_balancer_prefix: str = "172.18.255."
    #: Ingress address; default: the first load-balancer address pool entry .200
    ingress_address: str = "172.18.255.200"
    kubelet_version: str = "v1.31.0"

    def node_names(self) -> list[str]:
        if isinstance(self.nodes, int):
            return [f"kedge-node-{i}" for i in range(1, max(self.nodes, 0) + 1)]
        return list(self.nodes)


class SimContext(Protocol):
    cache: ObjectCache
    opts: SimulatorOptions

    def now(self) -> float: ...

    def served(self, resource: str) -> bool: ...

    def create(self, resource: str, obj: Obj, manager: str = CONTROLLER_MANAGER) -> Obj: ...

    def update(self, resource: str, obj: Obj, manager: str = CONTROLLER_MANAGER) -> Obj: ...

    def update_status(self, resource: str, obj: Obj, manager: str = CONTROLLER_MANAGER) -> Obj: ...

    def delete(self, resource: str, namespace: str | None, name: str) -> None: ...

    def requeue_at(self, controller: str, namespace: str | None, name: str, when: float) -> None: ...

    def pick_node(self, pod: Obj) -> str | None: ...

    def node_ip(self, node: str) -> str | None: ...

    def allocate_pod_ip(self, pod: Obj) -> str: ...

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
        """Record a core/v1 Event about ``obj`` (best effort)."""
        ...

    def first_seen(self, pod: Obj, default: float, reset: bool = False) -> float:
        """When the kubelet first saw this pod (remembered per uid, sub-second): its
        ``status.startTime`` if set, else ``default`` the first time it is asked (or always,
        with ``reset``)."""
        ...

    def allocate_lb_ip(self, key: str) -> str: ...
