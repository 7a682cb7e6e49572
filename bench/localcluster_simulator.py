"""Benchmark: how fast the workload simulator brings N Deployments (2 replicas each) to
Available on the local cluster's real store, how many writes it spends per Deployment, and
how much CPU the whole process (store + simulator) burns.

    python bench/localcluster_simulator.py [--deployments 1000] [--replicas 2] [--sqlite]
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import threading
import time

from kedge.localcluster.simulator import Simulator
from kedge.localcluster.store import Store


def deployment(i: int, replicas: int) -> dict:
    name = f"app-{i:05d}"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [{"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]
                },
            },
        },
    }


def run(count: int, replicas: int, path: str | None, workers: int, events: bool = True) -> dict[str, float]:
    store = Store(path)
    available: set[str] = set()
    done = threading.Event()

    def watch(event: str, resource: str, obj: dict) -> None:
        if resource != "apps/v1/deployments":
            return
        for cond in (obj.get("status") or {}).get("conditions") or []:
            if cond.get("type") == "Available" and cond.get("status") == "True":
                if (obj.get("status") or {}).get("availableReplicas") == replicas:
                    available.add(obj["metadata"]["name"])
                    if len(available) == count:
                        done.set()

    store.subscribe(watch)
    sim = Simulator(store, pod_startup_delay=0, workers=workers, events=events).start()
    rv0 = store.resource_version
    cpu0, t0 = time.process_time(), time.perf_counter()
    for i in range(count):
        store.create("apps/v1/deployments", deployment(i, replicas))
    created = time.perf_counter() - t0
    finished = done.wait(timeout=600)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    sim.wait_idle(timeout=60)
    settled = time.perf_counter() - t0
    stats = sim.stats()
    store_writes = store.resource_version - rv0 - count
    sim.stop()
    store.close()
    return {
        "finished": float(finished),
        "available": float(len(available)),
        "create_s": created,
        "available_s": elapsed,
        "settled_s": settled,
        "cpu_s": cpu,
        "sim_writes": float(stats["total_writes"]),
        "event_writes": float(stats["event_writes"]),
        "store_changes": float(store_writes),
        "syncs": float(stats["syncs"]),
        "errors": float(stats["errors"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sqlite", action="store_true", help="also run on a SQLite-backed store")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("kedge.localcluster.store").setLevel(logging.CRITICAL)
    runs: list[tuple[str, str | None, bool]] = [
        ("in-memory store, Events on", None, True),
        ("in-memory store, Events off", None, False),
    ]
    tmp = None
    if args.sqlite:
        tmp = tempfile.TemporaryDirectory()
        runs.append(("SQLite store, Events on", os.path.join(tmp.name, "cluster.db"), True))
    n = args.deployments
    for label, path, events in runs:
        r = run(n, args.replicas, path, args.workers, events)
        pods = n * args.replicas
        print(f"== {label}: {n} Deployments x {args.replicas} replicas ({pods} pods), {args.workers} workers")
        print(
            f"  all Available            {r['available_s']:8.2f} s  ({r['available']:.0f}/{n}; creates took {r['create_s']:.2f} s)"
        )
        print(f"  quiet (queue drained)    {r['settled_s']:8.2f} s")
        print(
            f"  throughput               {n / r['available_s']:8.1f} Deployments/s, {pods / r['available_s']:.1f} pods/s"
        )
        print(
            f"  simulator writes         {r['sim_writes']:8.0f}  = {r['sim_writes'] / n:.1f} per Deployment"
            f" ({r['event_writes'] / n:.1f} of them Events)"
        )
        print(
            f"  store changes            {r['store_changes']:8.0f}  = {r['store_changes'] / n:.1f} per Deployment"
        )
        print(
            f"  syncs                    {r['syncs']:8.0f}  = {r['syncs'] / n:.1f} per Deployment; errors/retries {r['errors']:.0f}"
        )
        print(
            f"  CPU (store+simulator)    {r['cpu_s']:8.2f} s  = {1000 * r['cpu_s'] / n:.2f} ms per Deployment, "
            f"{r['cpu_s'] / r['available_s']:.2f} cores"
        )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
