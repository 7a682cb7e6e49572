"""Controller steady state: N apps x 10 resources on the local cluster, nothing changing.

Reports CPU per app-reconcile (worker thread CPU, rendering from the manifest cache included),
reconcile wall time and queue latency, status writes during a steady resync (should be 0),
propagation of one live change to its app's status, resource-tree time, and RSS.

Run: python bench/controller_bench.py [--apps 300]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gitservers import GitDaemon, WorkRepo  # noqa: E402

from kedge.controller.controller import AppController  # noqa: E402
from kedge.kube.client import KubeClient  # noqa: E402
from kedge.localcluster.cluster import LocalCluster  # noqa: E402
from kedge.manifests import crds  # noqa: E402
from kedge.repo.config import RepoServerConfig  # noqa: E402
from kedge.repo.server import RepoServer  # noqa: E402
from kedge.settings import SettingsManager  # noqa: E402

NS = "argocd"
DEST = "bench"


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def configmaps(app: int) -> list[dict]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"app{app}-cm{i}", "namespace": DEST},
            "data": {"key": f"value-{app}-{i}", "other": "x" * 64},
        }
        for i in range(10)
    ]


def wait(cond, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--apps", type=int, default=300)
    args = ap.parse_args()
    n = args.apps
    tmp = Path(tempfile.mkdtemp(prefix="kedge-bench-"))
    (tmp / "srv").mkdir()
    cluster = LocalCluster(in_memory=True, kubeconfig_path=tmp / "kubeconfig", simulate=False)
    cluster.start()
    daemon = GitDaemon(tmp / "srv")
    repo = WorkRepo(tmp, "apps")
    files = {
        f"apps/app{a}/cms.yaml": "---\n".join(yaml.safe_dump(c) for c in configmaps(a)) for a in range(n)
    }
    repo.commit(files, "apps")
    url = daemon.url("apps")
    client = KubeClient.from_kubeconfig(str(tmp / "kubeconfig"))
    for c in crds():
        client.apply(c)
    wait(lambda: client.resource_for("argoproj.io/v1alpha1", "Application"), 30)
    store = cluster.store
    for ns in (NS, DEST):
        store.create("/v1/namespaces", {"metadata": {"name": ns}})
    t0 = time.monotonic()
    for a in range(n):
        for c in configmaps(a):
            c["metadata"]["annotations"] = {
                "argocd.argoproj.io/tracking-id": f"app{a}:/ConfigMap:{DEST}/{c['metadata']['name']}"
            }
            store.create("/v1/configmaps", c)
        store.create(
            "argoproj.io/v1alpha1/applications",
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": f"app{a}", "namespace": NS},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": url, "path": f"apps/app{a}", "targetRevision": "HEAD"},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": DEST},
                },
            },
        )
    print(f"created {n} apps and {n * 10} ConfigMaps in {time.monotonic() - t0:.1f}s")

    repo_server = RepoServer(RepoServerConfig(cache_dir=tmp / "repo-cache", exec_timeout=60))
    ctl = AppController(client, repo_server, SettingsManager(), namespace=NS, processors=8, resync=3600)
    t0 = time.monotonic()
    ctl.start()

    def all_synced() -> bool:
        return (
            all((a.get("status") or {}).get("sync", {}).get("status") == "Synced" for a in ctl.apps.list())
            and len(ctl.apps.list()) == n
        )

    ok = wait(all_synced, 600)
    first = time.monotonic() - t0
    print(
        f"initial reconcile of {n} apps: {first:.1f}s ({'all Synced' if ok else 'NOT all synced'}); "
        f"renders={repo_server.stats['renders']}"
    )

    # steady state: every app refreshed once, nothing changed
    writes0, rec0 = ctl.stats["status_writes"], ctl.stats["reconciles"]
    t0 = time.monotonic()
    cpu0 = time.process_time()
    for a in range(n):
        ctl.queue.add(f"app{a}")
    wait(lambda: ctl.stats["reconciles"] - rec0 >= n and len(ctl.queue) == 0, 600)
    wall = time.monotonic() - t0
    cpu_total = time.process_time() - cpu0
    cpus = [s.cpu for s in ctl.states.values()]
    durs = [s.duration for s in ctl.states.values()]
    print(
        f"steady resync of {n} apps: wall {wall:.2f}s, process CPU {cpu_total:.2f}s "
        f"({cpu_total / n * 1000:.1f} ms/app incl. API server), worker CPU per reconcile "
        f"median {statistics.median(cpus) * 1000:.2f} ms p99 {sorted(cpus)[int(len(cpus) * 0.99) - 1] * 1000:.2f} ms; "
        f"reconcile wall p99 {sorted(durs)[int(len(durs) * 0.99) - 1] * 1000:.1f} ms; "
        f"status writes {ctl.stats['status_writes'] - writes0}"
    )

    # one live change -> app status
    lat = []
    for a in range(0, min(n, 20)):
        name = f"app{a}-cm0"
        obj = store.get("/v1/configmaps", DEST, name)
        obj["data"]["key"] = f"drift-{time.time()}"
        t1 = time.monotonic()
        store.update("/v1/configmaps", obj)
        wait(
            lambda a=a: (
                (ctl.apps.get(f"app{a}") or {}).get("status", {}).get("sync", {}).get("status") == "OutOfSync"
            ),
            30,
        )
        lat.append(time.monotonic() - t1)
    print(
        f"live change -> OutOfSync status: median {statistics.median(lat) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms"
    )

    view = ctl.clusters.views()[0]
    t1 = time.perf_counter()
    for _ in range(100):
        view.cache.tree("app0")
    print(f"resource tree (10 objects): {(time.perf_counter() - t1) * 10:.3f} ms; cache {view.cache.stats()}")
    print(f"max RSS (local cluster + controller + repo server in one process): {rss_mib():.0f} MiB")
    ctl.stop()
    daemon.stop()
    cluster.stop()
    subprocess.run(["rm", "-rf", str(tmp)], check=False)
    os._exit(0)


if __name__ == "__main__":
    main()
