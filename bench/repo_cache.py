"""Repo server cache benchmark: ``python bench/repo_cache.py [--quick]``.

Measures, against a real ``git daemon`` on loopback (and a real ``redis-server`` if installed):

1. cache-hit latency of ``generate_manifests`` for a 10-resource app, in-process and via Redis;
2. cache-miss latency for a plain directory of 10 resources;
3. 1,000 apps on the same repo/commit/path -> number of renders (expect exactly 1);
4. 500 apps in a monorepo, one commit touching one app's path (manifest-generate-paths)
   -> number of renders (expect exactly 1);
5. RSS with 1,000 cached apps of 10 resources, then after 10,000 more renders (expect no growth).
"""

from __future__ import annotations

import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from gitservers import GitDaemon, WorkRepo, free_port  # noqa: E402

from kedge.repo.cache import make_cache  # noqa: E402
from kedge.repo.config import RepoServerConfig  # noqa: E402
from kedge.repo.server import RepoServer  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def resources(prefix: str, n: int = 10) -> dict[str, str]:
    files = {}
    for i in range(n):
        files[f"{prefix}/cm-{i}.yaml"] = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {prefix.replace('/', '-')}-{i}\n"
            f"  labels:\n    app: demo\ndata:\n  key: value-{i}\n  other: '{i * 7}'\n"
        )
    return files


def app(url: str, path: str, name: str, rev: str = "main", annotations: dict | None = None) -> dict:
    return {
        "metadata": {"name": name, "namespace": "argocd", "annotations": annotations or {}},
        "spec": {
            "source": {"repoURL": url, "path": path, "targetRevision": rev},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
        },
    }


def timeit(fn, n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(len(samples) * 0.99) - 1] * 1000


def start_redis(tmp: Path):
    exe = shutil.which("redis-server")
    if not exe:
        return None, None
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(200):
        try:
            client.ping()
            return proc, f"127.0.0.1:{port}"
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    return None, None


def main() -> None:
    quick = "--quick" in sys.argv
    tmp = Path(tempfile.mkdtemp(prefix="kedge-bench-"))
    os.environ.update(
        {
            "GIT_AUTHOR_NAME": "b",
            "GIT_AUTHOR_EMAIL": "b@b",
            "GIT_COMMITTER_NAME": "b",
            "GIT_COMMITTER_EMAIL": "b@b",
        }
    )
    (tmp / "srv").mkdir()
    daemon = GitDaemon(tmp / "srv")
    redis_proc, redis_addr = start_redis(tmp)
    try:
        # -- 1/2: hit and miss latency ----------------------------------------------------------
        small = WorkRepo(tmp, "small")
        small.commit(resources("app"))
        url = daemon.url("small")
        server = RepoServer(RepoServerConfig(cache_dir=tmp / "cache"))
        a = app(url, "app", "guestbook")
        server.generate_manifests(a)  # warm: mirror, checkout, ls-remote
        head = small.head()
        miss_med, miss_p99 = timeit(
            lambda: server.generate_manifests(a, revision=head, hard_refresh=True), 50
        )
        hit_med, hit_p99 = timeit(lambda: server.generate_manifests(a), 2000)
        print(
            f"cache hit, in-process, 10 resources:   median {hit_med:.3f} ms  p99 {hit_p99:.3f} ms  (target <= 5 ms)"
        )
        print(
            f"cache miss, directory of 10 resources: median {miss_med:.2f} ms  p99 {miss_p99:.2f} ms  (target <= 50 ms)"
        )
        # Helm: the repo server's overhead on top of the renderer itself
        chart = WorkRepo(tmp, "chart")
        tpl = "".join(
            f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ .Release.Name }}}}-{i}\ndata:\n  v: {{{{ .Values.v | quote }}}}\n"
            for i in range(10)
        )
        csha = chart.commit(
            {
                "c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
                "c/values.yaml": "v: x\n",
                "c/templates/all.yaml": tpl,
            }
        )
        ca = app(daemon.url("chart"), "c", "helm-app")
        server.generate_manifests(ca, revision=csha)
        from kedge.repo import git as gitmod
        from kedge.repo import render as render_mod
        from kedge.repo.types import RenderRequest

        with gitmod.shared(server.config).checkout(daemon.url("chart"), csha, None) as root:
            req = RenderRequest(
                root=root,
                path=root / "c",
                source=ca["spec"]["source"],
                repo_url=daemon.url("chart"),
                revision=csha,
                app_name="helm-app",
                dest_namespace="default",
            )
            direct, _ = timeit(lambda: render_mod.render(req), 50)
        via, _ = timeit(lambda: server.generate_manifests(ca, revision=csha, hard_refresh=True), 50)
        print(
            f"cache miss, Helm chart of 10 resources: {via:.2f} ms via the repo server vs {direct:.2f} ms renderer alone "
            f"(overhead {via - direct:.2f} ms, target <= 100 ms)"
        )
        if redis_addr:
            rserver = RepoServer(RepoServerConfig(cache_dir=tmp / "cache"), cache=make_cache(redis_addr))
            rserver.generate_manifests(a)
            r_med, r_p99 = timeit(lambda: rserver.generate_manifests(a), 2000)
            print(
                f"cache hit, Redis, 10 resources:        median {r_med:.3f} ms  p99 {r_p99:.3f} ms  (target <= 10 ms)"
            )
        else:
            print("cache hit, Redis: skipped (redis-server not installed)")

        # -- 3: 1,000 apps, same repo/commit/path -----------------------------------------------
        server = RepoServer(RepoServerConfig(cache_dir=tmp / "cache3"))
        threads = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(50)

        def worker(k: int) -> None:
            barrier.wait()
            for j in range(20):
                try:
                    server.generate_manifests(app(url, "app", f"app-{k}-{j}"))
                except BaseException as exc:  # noqa: BLE001
                    errors.append(exc)

        t0 = time.perf_counter()
        for k in range(50):
            threads.append(threading.Thread(target=worker, args=(k,)))
            threads[-1].start()
        for t in threads:
            t.join()
        print(
            f"1,000 apps (50 threads) on the same repo/commit/path: {server.stats['renders']} render(s), "
            f"{len(errors)} errors{(' (first: ' + repr(errors[0]) + ')') if errors else ''}, {time.perf_counter() - t0:.2f} s total"
        )

        # -- 4: monorepo with 500 apps, one commit touches one app --------------------------------
        n_apps = 100 if quick else 500
        mono = WorkRepo(tmp, "mono")
        files: dict[str, str] = {}
        for i in range(n_apps):
            files.update(resources(f"apps/app{i}", 2))
        mono.commit(files, "500 apps")
        murl = daemon.url("mono")
        server = RepoServer(RepoServerConfig(cache_dir=tmp / "cache4"))
        ann = {"argocd.argoproj.io/manifest-generate-paths": "."}
        t0 = time.perf_counter()
        for i in range(n_apps):
            server.generate_manifests(app(murl, f"apps/app{i}", f"app{i}", annotations=ann))
        first = server.stats["renders"]
        t_first = time.perf_counter() - t0
        c2 = mono.commit(
            {
                "apps/app7/cm-0.yaml": resources("apps/app7", 1)["apps/app7/cm-0.yaml"].replace(
                    "value-0", "changed"
                )
            }
        )
        t0 = time.perf_counter()
        for i in range(n_apps):
            server.generate_manifests(app(murl, f"apps/app{i}", f"app{i}", annotations=ann), revision=c2)
        print(
            f"monorepo, {n_apps} apps: first pass {first} renders in {t_first:.2f} s; after a commit touching one "
            f"app: {server.stats['renders'] - first} render(s), {server.stats['generate_paths_reuse']} reused "
            f"without rendering, {time.perf_counter() - t0:.2f} s"
        )

        # -- 5: memory ----------------------------------------------------------------------------
        n_mem = 200 if quick else 1000
        memrepo = WorkRepo(tmp, "mem")
        files = {}
        for i in range(n_mem):
            files.update(resources(f"apps/a{i}"))
        sha = memrepo.commit(files, "1000 apps")
        mu = daemon.url("mem")
        server = RepoServer(RepoServerConfig(cache_dir=tmp / "cache5"))
        apps = [app(mu, f"apps/a{i}", f"a{i}") for i in range(n_mem)]
        for a_ in apps:
            server.generate_manifests(a_, revision=sha)
        gc.collect()
        rss_cached = rss_mb()
        print(
            f"RSS with {n_mem} cached apps x 10 resources: {rss_cached:.1f} MiB "
            f"(manifest cache {server.cache.backend.size_bytes / 2**20:.1f} MiB of JSON)"
        )
        total = 2000 if quick else 10_000
        t0 = time.perf_counter()
        checkpoints = []
        for k in range(total):
            server.generate_manifests(apps[k % n_mem], revision=sha, hard_refresh=True)
            if (k + 1) % (total // 5) == 0:
                gc.collect()
                checkpoints.append(rss_mb())
        dt = time.perf_counter() - t0
        print(
            f"RSS during {total} more renders: {', '.join(f'{c:.1f}' for c in checkpoints)} MiB "
            f"(growth {checkpoints[-1] - checkpoints[0]:+.1f} MiB after the first fifth); "
            f"{total / dt:.0f} renders/s"
        )
    finally:
        daemon.stop()
        if redis_proc:
            redis_proc.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
