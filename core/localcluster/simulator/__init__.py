"""The local cluster's workload simulator: the controllers (Deployment, ReplicaSet,
StatefulSet, DaemonSet, Job, CronJob, Endpoints, volume binding, load balancers) and the
kubelet a real cluster runs, so that workloads applied to the embedded cluster get the status
a real cluster would give them — and fail in the ways a manifest asks them to.

Usage::

    from kedge.localcluster.simulator import Simulator
    sim = Simulator(store, pod_startup_delay=0).start()
    ...
    sim.stop()

See docs/localcluster-simulator.md for what is simulated, the failure injections and knobs.
"""

from kedge.localcluster.simulator.clock import Clock, ManualClock, SystemClock
from kedge.localcluster.simulator.context import SimulatorOptions
from kedge.localcluster.simulator.simulator import Simulator

__all__ = ["Clock", "ManualClock", "Simulator", "SimulatorOptions", "SystemClock"]
