"""Cluster cache memory: bytes per managed (kept whole) and unmanaged (compact) object.

The local cluster runs in a separate process; this process only holds the cache. Managed
objects are ConfigMaps carrying a tracking id, unmanaged ones are Secrets, so each can be
measured alone with ``resource.inclusions``. Memory is live Python allocations (tracemalloc)
after a full list+index. Targets (issue 6): <= 12 MiB per 1,000 managed objects, <= 1 MiB per
1,000 unmanaged objects.

Run: python bench/cache_memory.py [--managed 5000] [--unmanaged 20000]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import gc
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from kedge.kube.cache import ClusterCache
from kedge.kube.client import KubeClient


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def obj(i: int, managed: bool) -> dict:
    meta: dict = {"name": f"o{i}", "namespace": "bench", "labels": {"app": f"a{i % 50}", "tier": "web"}}
    if managed:
        meta["annotations"] = {"argocd.argoproj.io/tracking-id": f"app{i % 500}:/ConfigMap:bench/o{i}"}
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta,
            "data": {"config.yaml": "key: value\n" * 20, "mode": "production"},
        }
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "stringData": {"password": "x" * 32}}


def measure(client: KubeClient, kind: str) -> tuple[int, int, float]:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    cache = ClusterCache(client, inclusions=[{"apiGroups": [""], "kinds": [kind]}])
    t = time.monotonic()
    cache.start()
    cache.wait_synced(300)
    took = time.monotonic() - t
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    count = cache.stats()["objects"]
    cache.stop()
    return used, count, took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--managed", type=int, default=5000)
    ap.add_argument("--unmanaged", type=int, default=20000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kedge-cache-bench-"))
    kc = tmp / "kubeconfig"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kedge",
            "localcluster",
            "serve",
            "--in-memory",
            "--no-simulate",
            "--port",
            str(free_port()),
            "--kubeconfig-out",
            str(kc),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            if kc.exists():
                break
            time.sleep(0.1)
        client = KubeClient.from_kubeconfig(str(kc))
        for _ in range(100):
            try:
                client.version()
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.1)
        client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})
        objs = [obj(i, True) for i in range(args.managed)] + [obj(i, False) for i in range(args.unmanaged)]
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda o: client.create(o), objs))
        print(f"created {len(objs)} objects over HTTP in {time.monotonic() - t0:.1f}s")
        for kind, label, target in (("ConfigMap", "managed", 12.0), ("Secret", "unmanaged", 1.0)):
            used, count, took = measure(client, kind)
            per_k = used / max(1, count) * 1000 / 2**20
            print(
                f"{label:>9}: {count} objects, list+index {took:.1f}s, {used / 2**20:.1f} MiB live "
                f"= {used / max(1, count):.0f} B/object = {per_k:.2f} MiB per 1,000 (target <= {target:g}) "
                f"{'OK' if per_k <= target else 'OVER'}"
            )
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
