"""Benchmark of the embedded local cluster (``python bench/localcluster_bench.py [--objects N]``).

Measures, and prints with the issue's targets:
- memory per stored object and startup time from disk with N objects (default 100,000), in-process;
- list of 10,000 objects in one namespace over HTTP, with and without a label selector;
- create / merge-patch / server-side-apply throughput over HTTPS from one keep-alive client, against
  a server running in its own process (``kedge localcluster serve``, in memory; SSA also against
  a server persisting to SQLite);
- watch fan-out: 50 concurrent watchers, time until every one has seen every event.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def configmap(i: int, ns: str = "bench") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"cm-{i:06d}",
            "namespace": ns,
            "labels": {
                "app.kubernetes.io/instance": f"app-{i % 100}",
                "tier": "even" if i % 2 == 0 else "odd",
            },
            "annotations": {"argocd.argoproj.io/tracking-id": f"app-{i % 100}:/ConfigMap:{ns}/cm-{i:06d}"},
        },
        "data": {"key": "value-" * 20, "index": str(i)},
    }


def deployment(i: int, image: str = "nginx:1.25") -> dict:
    name = f"web-{i:05d}"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "apply", "labels": {"app.kubernetes.io/instance": "bench"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": image,
                            "ports": [{"containerPort": 80}],
                            "env": [{"name": "MODE", "value": "bench"}],
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                        }
                    ]
                },
            },
        },
    }


# ---------------------------------------------------------------------- in-process: memory, restart
def bench_store(n: int) -> dict[str, float]:
    from kedge.localcluster.store import Store

    tmp = tempfile.mkdtemp(prefix="kedge-lc-bench-")
    try:
        path = os.path.join(tmp, "cluster.db")
        gc.collect()
        before = rss_mb()
        store = Store(path)
        for ns in ("bench", "other"):
            store.create("/v1/namespaces", {"metadata": {"name": ns}})
        t0 = time.perf_counter()
        for i in range(n):
            store.create("/v1/configmaps", configmap(i, "bench" if i < 10_000 else "other"), manager="bench")
        create_s = time.perf_counter() - t0
        gc.collect()
        after = rss_mb()
        raw_total = sum(len(e.raw) for b in store._data["/configmaps"].values() for e in b.values())
        store.close()
        del store
        gc.collect()
        t0 = time.perf_counter()
        store = Store(path)
        startup = time.perf_counter() - t0
        count = sum(len(b) for b in store._data["/configmaps"].values())
        store.close()
        return {
            "objects": n,
            "in-process create/s (SQLite, WAL)": n / create_s,
            "memory per object (KiB)": (after - before) * 1024 / n,
            "JSON bytes per object (KiB)": raw_total / n / 1024,
            "startup from disk (s)": startup,
            "objects after restart": count,
            "database size (MiB)": os.path.getsize(path) / 2**20,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------- HTTP against a server process
class Server:
    def __init__(self, persistent: bool = False) -> None:
        self.tmp = tempfile.mkdtemp(prefix="kedge-lc-bench-http-")
        kc_path = os.path.join(self.tmp, "kubeconfig")
        storage = ["--data-dir", os.path.join(self.tmp, "data")] if persistent else ["--in-memory"]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kedge",
                "localcluster",
                "serve",
                *storage,
                "--port",
                "0",
                "--no-simulate",
                "--kubeconfig-out",
                kc_path,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not os.path.exists(kc_path) or not Path(kc_path).read_text().strip():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit(
                    "server did not start: " + (self.proc.stdout.read() if self.proc.stdout else "")
                )
            time.sleep(0.05)
        time.sleep(0.2)
        kc = yaml.safe_load(Path(kc_path).read_text())
        cluster = kc["clusters"][0]["cluster"]
        self.host, self.port = cluster["server"].removeprefix("https://").rsplit(":", 1)
        self.token = kc["users"][0]["user"]["token"]
        import base64

        ca = os.path.join(self.tmp, "ca.crt")
        Path(ca).write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
        self.ctx = ssl.create_default_context(cafile=ca)

    def conn(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.host, int(self.port), context=self.ctx, timeout=120)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def request(
    c: http.client.HTTPSConnection,
    token: str,
    method: str,
    path: str,
    body: bytes | None = None,
    ctype: str = "application/json",
    accept: str = "application/json",
) -> tuple[int, bytes]:
    c.request(
        method,
        path,
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": ctype, "Accept": accept},
    )
    r = c.getresponse()
    return r.status, r.read()


def bench_ssa_persistent(n_write: int) -> dict[str, float]:
    """Server-side apply against a server that commits every write to SQLite."""
    srv = Server(persistent=True)
    out: dict[str, float] = {}
    try:
        c = srv.conn()
        request(
            c,
            srv.token,
            "POST",
            "/api/v1/namespaces",
            json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apply"}}).encode(),
        )
        for label, image in (
            ("SSA create Deployment, SQLite (objects/s)", "nginx:1.25"),
            ("SSA update Deployment, SQLite (objects/s)", "nginx:1.26"),
        ):
            bodies = [json.dumps(deployment(i, image)).encode() for i in range(n_write)]
            t0 = time.perf_counter()
            for i, b in enumerate(bodies):
                st, resp = request(
                    c,
                    srv.token,
                    "PATCH",
                    f"/apis/apps/v1/namespaces/apply/deployments/web-{i:05d}?fieldManager=argocd-controller&force=true",
                    b,
                    "application/apply-patch+yaml",
                )
                assert st in (200, 201), resp[:300]
            out[label] = n_write / (time.perf_counter() - t0)
    finally:
        srv.stop()
    return out


def bench_http(n_list: int, n_write: int, watchers: int, n_watch_events: int) -> dict[str, float]:
    srv = Server()
    out: dict[str, float] = {}
    try:
        c = srv.conn()
        tok = srv.token
        for ns in ("bench", "apply", "watch"):
            request(
                c,
                tok,
                "POST",
                "/api/v1/namespaces",
                json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}).encode(),
            )
        # create throughput (ConfigMaps) doubles as the list fixture
        bodies = [json.dumps(configmap(i)).encode() for i in range(n_list)]
        t0 = time.perf_counter()
        for b in bodies:
            st, _ = request(c, tok, "POST", "/api/v1/namespaces/bench/configmaps", b)
            assert st == 201, st
        out["create ConfigMap over HTTP (req/s)"] = n_list / (time.perf_counter() - t0)
        # list
        for label, qs in (
            ("list 10k, no selector (s)", ""),
            ("list 10k, label selector tier=even (s)", "?labelSelector=tier%3Deven"),
        ):
            best = 1e9
            for _ in range(3):
                t0 = time.perf_counter()
                st, body = request(c, tok, "GET", "/api/v1/namespaces/bench/configmaps" + qs)
                json.loads(body)
                best = min(best, time.perf_counter() - t0)
            out[label] = best
        t0 = time.perf_counter()
        st, body = request(
            c,
            tok,
            "GET",
            "/api/v1/namespaces/bench/configmaps",
            accept="application/json;as=Table;v=v1;g=meta.k8s.io",
        )
        out["list 10k as Table (kubectl get) (s)"] = time.perf_counter() - t0
        # merge patch
        t0 = time.perf_counter()
        for i in range(n_write):
            st, _ = request(
                c,
                tok,
                "PATCH",
                f"/api/v1/namespaces/bench/configmaps/cm-{i:06d}",
                json.dumps({"data": {"patched": str(i)}}).encode(),
                "application/merge-patch+json",
            )
            assert st == 200, st
        out["merge-patch over HTTP (req/s)"] = n_write / (time.perf_counter() - t0)
        # server-side apply: create, change, no-op
        for label, image in (
            ("SSA create Deployment (objects/s)", "nginx:1.25"),
            ("SSA update Deployment (objects/s)", "nginx:1.26"),
            ("SSA unchanged Deployment (objects/s)", "nginx:1.26"),
        ):
            bodies = [json.dumps(deployment(i, image)).encode() for i in range(n_write)]
            t0 = time.perf_counter()
            for i, b in enumerate(bodies):
                st, resp = request(
                    c,
                    tok,
                    "PATCH",
                    f"/apis/apps/v1/namespaces/apply/deployments/web-{i:05d}?fieldManager=argocd-controller&force=true",
                    b,
                    "application/apply-patch+yaml",
                )
                assert st in (200, 201), resp[:300]
            out[label] = n_write / (time.perf_counter() - t0)
        out.update(bench_watch(srv, watchers, n_watch_events))
    finally:
        srv.stop()
    return out


def bench_watch(srv: Server, watchers: int, n_events: int) -> dict[str, float]:
    c = srv.conn()
    st, body = request(c, srv.token, "GET", "/api/v1/namespaces/watch/configmaps")
    rv = json.loads(body)["metadata"]["resourceVersion"]
    done = threading.Barrier(watchers + 1)
    ready = threading.Barrier(watchers + 1)
    finish_times: list[float] = []
    lock = threading.Lock()

    def watcher() -> None:
        wc = srv.conn()
        wc.request(
            "GET",
            f"/api/v1/namespaces/watch/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=120",
            headers={"Authorization": f"Bearer {srv.token}"},
        )
        r = wc.getresponse()
        ready.wait()
        seen = 0
        while seen < n_events:
            line = r.readline()
            if not line:
                break
            seen += 1
        with lock:
            finish_times.append(time.perf_counter())
        wc.close()
        done.wait()

    threads = [threading.Thread(target=watcher, daemon=True) for _ in range(watchers)]
    for t in threads:
        t.start()
    ready.wait()
    time.sleep(0.3)
    t0 = time.perf_counter()
    for i in range(n_events):
        request(
            c,
            srv.token,
            "POST",
            "/api/v1/namespaces/watch/configmaps",
            json.dumps(configmap(i, "watch")).encode(),
        )
    writes = time.perf_counter() - t0
    done.wait()
    total = max(finish_times) - t0
    return {
        "watchers": watchers,
        "watch events written": n_events,
        "writes/s while watched": n_events / writes,
        "time until all watchers saw all events (s)": total,
        "events delivered/s (all watchers)": watchers * n_events / total,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--list", type=int, default=10_000)
    ap.add_argument("--writes", type=int, default=2_000)
    ap.add_argument("--watchers", type=int, default=50)
    ap.add_argument("--watch-events", type=int, default=500)
    args = ap.parse_args()
    results: dict[str, float] = {}
    results.update(bench_store(args.objects))
    results.update(bench_http(args.list, args.writes, args.watchers, args.watch_events))
    results.update(bench_ssa_persistent(args.writes))
    targets = {
        "SSA create Deployment (objects/s)": (">=", 1000),
        "SSA update Deployment (objects/s)": (">=", 1000),
        "SSA create Deployment, SQLite (objects/s)": (">=", 1000),
        "SSA update Deployment, SQLite (objects/s)": (">=", 1000),
        "list 10k, no selector (s)": ("<", 0.5),
        "list 10k, label selector tier=even (s)": ("<", 0.5),
        "startup from disk (s)": ("<", 10),
    }
    width = max(len(k) for k in results)
    for k, v in results.items():
        line = f"{k:<{width}}  {v:>12,.3f}" if isinstance(v, float) else f"{k:<{width}}  {v:>12,}"
        if k in targets:
            op, target = targets[k]
            ok = v >= target if op == ">=" else v < target
            line += f"   target {op} {target}: {'ok' if ok else 'MISSED'} ({v / target:.2f}x)"
        print(line)


if __name__ == "__main__":
    main()
