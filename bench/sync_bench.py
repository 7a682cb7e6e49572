"""Benchmark of the sync engine (``python bench/sync_bench.py [--apps N] [--resources R]``).

One Git repository (served by ``git daemon``) holds N app directories of R resources each
(one Deployment, one Service, the rest ConfigMaps). N auto-synced Applications point at it.
The local cluster runs in its own process (``kedge localcluster serve``) so that the CPU
measured here is the controller's alone (reconciles, rendering, syncs, status writes).

Prints, with the issue's targets:
- the initial sync: time until every app is Synced and Healthy;
- one commit touching every app (a new image and new ConfigMap data): time from the commit
  until every app has synced the new revision and is Synced and Healthy again;
- controller CPU-seconds per app for that update.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gitservers import GitDaemon, WorkRepo  # noqa: E402

API = "argoproj.io/v1alpha1"


def app_files(i: int, resources: int, version: int) -> dict[str, str]:
    name = f"app{i:05d}"
    docs: list[dict] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": f"{name}-web"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "web", "image": f"nginx:1.{version}"}]},
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": f"{name}-svc"},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
        },
    ]
    for j in range(max(resources - 2, 0)):
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"{name}-cm{j}"},
                "data": {"version": str(version), "key": f"value-{j}"},
            }
        )
    return {f"apps/{name}/all.yaml": yaml.safe_dump_all(docs[:resources])}


def throttle(client_cls: type, latency: float, qps: float) -> None:
    """Make every API call of the controller slower (a remote API server) and rate-limited
    (a client QPS limit, a token bucket with a burst of qps). Watches are not delayed."""
    import threading

    original = client_cls.request
    lock = threading.Lock()
    bucket = {"tokens": qps, "at": time.monotonic()}

    def request(self, method, path, query=None, body=None, content_type=None, timeout=None, stream=False):
        # the benchmark's own main thread (creating apps, refreshing them like a webhook) is not
        # the controller: it is neither delayed nor counted against the controller's QPS
        if not stream and threading.current_thread() is not threading.main_thread():
            if qps:
                while True:
                    with lock:
                        now = time.monotonic()
                        bucket["tokens"] = min(qps, bucket["tokens"] + (now - bucket["at"]) * qps)
                        bucket["at"] = now
                        if bucket["tokens"] >= 1:
                            bucket["tokens"] -= 1
                            break
                        wait = (1 - bucket["tokens"]) / qps
                    time.sleep(wait)
            if latency:
                time.sleep(latency)
        return original(self, method, path, query, body, content_type, timeout, stream)

    client_cls.request = request


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's live threads, by thread-name prefix (from /proc)."""
    import threading

    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for t in threading.enumerate():
        try:
            with open(f"/proc/self/task/{t.native_id}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, TypeError):
            continue
        group = re.sub(r"[-_]?\d+$", "", re.sub(r" \(.*\)$", "", t.name)) or t.name
        out[group] = out.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


WRITES: dict[str, list] = {}  # KEDGE_BENCH_DEBUG: every Application patch, per app


def count_requests(client_cls: type) -> dict[str, int]:
    """Count the controller's API requests by method and resource (watches excluded)."""
    import collections

    counts: dict[str, int] = collections.Counter()
    original = client_cls.request

    def request(self, method, path, query=None, body=None, content_type=None, timeout=None, stream=False):
        if method == "PATCH" and "/applications/" in path and os.environ.get("KEDGE_BENCH_DEBUG"):
            import threading

            name = path.rsplit("/", 1)[-1]
            status = (body or {}).get("status") or {} if isinstance(body, dict) else {}
            entry = [
                round(time.monotonic(), 2),
                threading.current_thread().name,
                sorted(body) if isinstance(body, dict) else body,
                sorted(status),
                status.get("health"),
            ]
            WRITES.setdefault(name, []).append(entry)
            try:
                out = original(self, method, path, query, body, content_type, timeout, stream)
            except Exception as exc:
                entry.append(f"error {exc}")
                raise
            entry.append((out or {}).get("metadata", {}).get("resourceVersion"))
            return out
        if not stream:
            parts = path.split("?")[0].strip("/").split("/")
            if "namespaces" in parts[:-1] and parts.index("namespaces") + 2 < len(parts):
                parts = parts[parts.index("namespaces") + 2 :]  # plural[/name[/subresource]]
            else:
                parts = parts[2:] if parts[0] == "api" else parts[3:]
            plural = "/".join(p for i, p in enumerate(parts) if i != 1) or path
            dry = " (dry run)" if (query or {}).get("dryRun") else ""
            counts[f"{method} {plural}{dry}"] += 1
        return original(self, method, path, query, body, content_type, timeout, stream)

    client_cls.request = request
    return counts


def explain_stuck(ctl, client, name: str) -> None:
    """KEDGE_BENCH_DEBUG=1: what the cluster, the controller's cache, queue and copies say of
    an app that does not become ready."""
    from kedge.kube.keys import ResourceKey

    dep = client.get(client.resource_for("apps/v1", "Deployment"), "bench", f"{name}-web") or {}
    print("        live deployment:", (dep.get("metadata") or {}).get("resourceVersion"), dep.get("status"))
    view = ctl.clusters.view({"server": "https://kubernetes.default.svc"})
    e = view.cache.get(ResourceKey("apps", "Deployment", "bench", f"{name}-web"))
    print("        cache:", e and e.resource_version, e and e.health)
    q = ctl.queue
    print(
        "        queue: pending",
        q._pending.get(name),
        "dirty",
        name in q._dirty,
        "processing",
        name in q._processing,
    )
    w = ctl._own.pending(name)
    print(
        "        undelivered write:",
        w and ((w.get("metadata") or {}).get("resourceVersion"), (w.get("status") or {}).get("health")),
    )
    inf = ctl.apps.get(name) or {}
    print(
        "        informer:",
        (inf.get("metadata") or {}).get("resourceVersion"),
        (inf.get("status") or {}).get("health"),
    )
    srv = client.get(client.resource_for(API, "Application"), "argocd", name) or {}
    print(
        "        server:",
        (srv.get("metadata") or {}).get("resourceVersion"),
        (srv.get("status") or {}).get("health"),
    )
    print("        now:", round(time.monotonic(), 2))
    for w in WRITES.get(name, [])[-14:]:
        print("        write:", w)
    st = ctl.states.get(name)
    print(
        "        last reconcile:",
        st and (round(time.time() - st.reconciled, 1), st.result and st.result.health),
    )


def process_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_cluster(tmp: Path) -> tuple[subprocess.Popen, Path]:
    kubeconfig = tmp / "kubeconfig"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kedge", "localcluster", "serve", "--in-memory", "--port", "0",
         "--kubeconfig-out", str(kubeconfig)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline() if proc.stdout else ""
        if "kubeconfig:" in line:
            return proc, kubeconfig
        if proc.poll() is not None:
            raise SystemExit("the local cluster did not start")
    raise SystemExit("the local cluster did not start in 60 s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--apps", type=int, default=100)
    ap.add_argument("--resources", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay added to every API call of the controller"
    )
    ap.add_argument(
        "--qps", type=float, default=0.0, help="client-side limit on API calls per second (0: none)"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="print progress every second")
    args = ap.parse_args()

    from kedge.controller.controller import AppController
    from kedge.kube.client import KubeClient
    from kedge.manifests import crds
    from kedge.repo.config import RepoServerConfig
    from kedge.repo.server import RepoServer
    from kedge.settings import SettingsManager

    if args.latency_ms or args.qps:
        throttle(KubeClient, args.latency_ms / 1000.0, args.qps)
    requests = count_requests(KubeClient)
    tmp = Path(tempfile.mkdtemp(prefix="kedge-sync-bench-"))
    proc, kubeconfig = start_cluster(tmp)
    (tmp / "srv").mkdir()
    daemon = GitDaemon(tmp / "srv")
    repo = WorkRepo(tmp, "apps")
    url = daemon.url("apps")
    ctl = None
    try:
        client = KubeClient.from_kubeconfig(str(kubeconfig))
        for crd in crds():
            client.apply(crd)
        while client.resource_for(API, "Application") is None:
            time.sleep(0.1)
        for ns in ("argocd", "bench"):
            client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        files: dict[str, str] = {}
        for i in range(args.apps):
            files.update(app_files(i, args.resources, 25))
        repo.commit(files, "v1")

        settings = SettingsManager()
        settings.update(
            [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "argocd-cmd-params-cm", "namespace": "argocd"},
                    "data": {"controller.sync.wave.delay.seconds": "2"},
                }
            ]
        )
        server = RepoServer(
            RepoServerConfig(cache_dir=tmp / "repo-cache", exec_timeout=60.0, revision_cache_expiration=1.0)
        )
        ctl = AppController(client, server, settings, namespace="argocd", resync=3600)
        if os.environ.get("KEDGE_BENCH_DEBUG"):
            original_write = ctl._write_status

            def write_status(app, new_status, *a, **kw):
                name = app["metadata"]["name"]
                entry = [
                    round(time.monotonic(), 2),
                    "reconcile",
                    (app.get("metadata") or {}).get("resourceVersion"),
                    ((app.get("status") or {}).get("health") or {}).get("status"),
                    (new_status.get("health") or {}).get("status"),
                    ((ctl._own.pending(name) or {}).get("metadata") or {}).get("resourceVersion"),
                ]
                WRITES.setdefault(name, []).append(entry)
                return original_write(app, new_status, *a, **kw)

            ctl._write_status = write_status
        ctl.start()
        from kedge.controller import gcpolicy

        gcpolicy.tune()  # as the `kedge controller` process does once started
        client.resource_for(API, "Application")
        t0 = time.monotonic()
        for i in range(args.apps):
            client.apply(
                {
                    "apiVersion": API,
                    "kind": "Application",
                    "metadata": {"name": f"app{i:05d}", "namespace": "argocd"},
                    "spec": {
                        "project": "default",
                        "source": {"repoURL": url, "targetRevision": "HEAD", "path": f"apps/app{i:05d}"},
                        "destination": {"server": "https://kubernetes.default.svc", "namespace": "bench"},
                        "syncPolicy": {"automated": {"prune": True}},
                    },
                }
            )

        def wait_all(revision: str | None, label: str) -> float:
            start = time.monotonic()
            shown = [start]
            last_ready = [-1]
            while True:
                # the controller's own informer: polling over HTTP would decode every app 4x a
                # second in this process and be counted as controller CPU
                items = ctl.apps.list()
                ready = synced_rev = 0
                for a in items:
                    st = a.get("status") or {}
                    hist = st.get("history") or []
                    if hist and (revision is None or hist[-1].get("revision") == revision):
                        synced_rev += 1
                    if (
                        (st.get("sync") or {}).get("status") == "Synced"
                        and (st.get("health") or {}).get("status") == "Healthy"
                        and not a.get("operation")
                        and hist
                        and (revision is None or hist[-1].get("revision") == revision)
                    ):
                        ready += 1
                if ready == args.apps:
                    return time.monotonic() - start
                if args.verbose and time.monotonic() - shown[0] >= 1.0:
                    shown[0] = time.monotonic()
                    if ready == last_ready[0] and ready >= args.apps * 0.9:
                        for a in items[:2000]:  # a stuck tail: say why
                            st = a.get("status") or {}
                            ok = (st.get("sync") or {}).get("status") == "Synced" and (
                                st.get("health") or {}
                            ).get("status") == "Healthy"
                            if not ok or a.get("operation"):
                                print(
                                    f"      {a['metadata']['name']}: sync {(st.get('sync') or {}).get('status')} "
                                    f"health {(st.get('health') or {}).get('status')} "
                                    f"op {bool(a.get('operation'))} phase {(st.get('operationState') or {}).get('phase')} "
                                    f"reconciledAt {st.get('reconciledAt')}"
                                )
                                if os.environ.get("KEDGE_BENCH_DEBUG"):
                                    explain_stuck(ctl, client, a["metadata"]["name"])
                    last_ready[0] = ready
                    print(
                        f"    {label} {time.monotonic() - start:6.1f}s: {synced_rev} synced to the revision, "
                        f"{ready} Synced+Healthy",
                        flush=True,
                    )
                if time.monotonic() - start > args.timeout:
                    for what, count in sorted(requests.items(), key=lambda kv: -kv[1])[:12]:
                        print(f"    requests so far: {what:40s} {count}")
                    raise SystemExit(
                        f"{label}: only {ready}/{args.apps} apps ready after {args.timeout:.0f}s"
                    )
                time.sleep(0.25)

        wait_all(None, "initial sync")
        initial = time.monotonic() - t0

        files = {}
        for i in range(args.apps):
            files.update(app_files(i, args.resources, 26))
        if os.environ.get("KEDGE_BENCH_PROFILE"):
            import yappi

            yappi.set_clock_type("cpu")
            yappi.start()
        requests.clear()
        import gc

        gc_stats = {"collections": 0, "seconds": 0.0, "gen2": 0}
        gc_started: list[float] = []

        def on_gc(phase: str, info: dict) -> None:
            if phase == "start":
                gc_started.append(time.perf_counter())
            elif gc_started:
                gc_stats["collections"] += 1
                gc_stats["seconds"] += time.perf_counter() - gc_started.pop()
                gc_stats["gen2"] += info.get("generation") == 2

        gc.callbacks.append(on_gc)
        cpu0 = time.process_time()
        threads0 = thread_cpu()
        server0 = process_cpu(proc.pid)
        ops_cpu0, reconciles0 = ctl.operations.stats["cpu_seconds"], ctl.stats["reconciles"]
        t1 = time.monotonic()
        head = repo.commit(files, "v2: new image and data in every app")
        for i in range(args.apps):  # what a Git webhook does: refresh the apps
            ctl.refresh(f"app{i:05d}")
        wait_all(head, "update")
        update = time.monotonic() - t1
        cpu = time.process_time() - cpu0
        threads1 = thread_cpu()
        server_cpu = process_cpu(proc.pid) - server0
        # the main thread is this benchmark (the webhook-like refreshes, polling for readiness)
        bench_cpu = threads1.get("MainThread", 0.0) - threads0.get("MainThread", 0.0)
        process_cpu_total, cpu = cpu, cpu - bench_cpu
        ops_cpu = ctl.operations.stats["cpu_seconds"] - ops_cpu0
        reconciles = ctl.stats["reconciles"] - reconciles0
        if os.environ.get("KEDGE_BENCH_PROFILE"):
            yappi.stop()
            only = os.environ.get("KEDGE_BENCH_PROFILE_THREADS")  # a thread-name prefix
            stats = yappi.get_func_stats()
            if only:
                import threading

                names = {t.ident: t.name for t in threading.enumerate()}
                ids = {t.id for t in yappi.get_thread_stats() if names.get(t.tid, "").startswith(only)}
                stats = yappi.get_func_stats(filter_callback=lambda st: st.ctx_id in ids)
            stats.sort("tsub").print_all(
                out=open(os.environ["KEDGE_BENCH_PROFILE"], "w"),
                columns={0: ("name", 90), 1: ("ncall", 10), 2: ("tsub", 8), 3: ("ttot", 8), 4: ("tavg", 8)},
            )

        n, r = args.apps, args.resources
        extra = f", +{args.latency_ms:g} ms per API call" if args.latency_ms else ""
        extra += f", client QPS {args.qps:g}" if args.qps else ""
        print(f"sync benchmark: {n} apps x {r} resources (local cluster in its own process{extra})")
        print(f"  initial sync, all Synced+Healthy:         {initial:8.1f} s")
        print(
            f"  one commit touching every app -> synced:  {update:8.1f} s   ({update / n * 1000:.1f} ms/app)"
        )
        print(
            f"  controller CPU for the update:            {cpu:8.1f} s   ({cpu / n * 1000:.1f} ms/app; "
            "target <= 20, ambition 5)"
        )
        print(
            f"    (process CPU {process_cpu_total:.1f} s, of which the benchmark's own main thread "
            f"{bench_cpu:.1f} s: refreshing apps like a webhook, polling)"
        )
        print(
            f"    of which operation workers (sync):      {ops_cpu:8.1f} s   ({ops_cpu / n * 1000:.1f} ms/app: render, "
            "dry run + apply of every object, status writes)"
        )
        print(
            f"  local cluster (API server + simulator) CPU: {server_cpu:6.1f} s   ({server_cpu / n * 1000:.1f} ms/app)"
        )
        print(
            f"    reconciles during the update:           {reconciles:8d}     ({reconciles / n:.1f} per app)"
        )
        scaled = update / n * 1000
        print(
            f"  linear projection to 1,000 apps:          {scaled:8.1f} s   (target <= 60 s, ambition <= 10 s)"
        )
        print(f"  operations run: {ctl.operations.stats}")
        gc.callbacks.remove(on_gc)
        print(
            f"  garbage collection during the update: {gc_stats['collections']} runs "
            f"({gc_stats['gen2']} full), {gc_stats['seconds']:.1f} s"
        )
        print(f"  API requests per app during the update: {sum(requests.values()) / n:.1f}")
        for what, count in sorted(requests.items(), key=lambda kv: -kv[1]):
            print(f"    {what:40s} {count / n:6.2f}")
        print("  controller CPU by thread group (ms/app):")
        by = {g: (threads1[g] - threads0.get(g, 0.0)) / n * 1000 for g in threads1}
        for g, ms in sorted(by.items(), key=lambda kv: -kv[1]):
            if ms >= 0.1:
                print(f"    {g:40s} {ms:6.1f}")
    finally:
        if ctl is not None:
            ctl.stop()
        daemon.stop()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.system(f"rm -rf {tmp}")


if __name__ == "__main__":
    main()
