"""API server benchmark: list latency and SSE fan-out.

* ``GET /api/v1/applications`` with 10,000 apps for a user in 50 groups (an Argo CD-sized
  policy: 4,000+ lines), whole list and a page of 100: server time measured in process
  (ASGI, no network), median of several runs. Targets (issue 8): <= 1 s (ambition 100 ms),
  a page of 100 <= 20 ms.
* SSE fan-out: 200 watchers on loopback (uvicorn), 10,000 apps, a stream of updates; latency
  from the informer event to each watcher receiving it (p50 / p99 / max).

The backend is the real one (settings, auth, RBAC, routes, serialisation) over an in-memory
stand-in of the controller's informers, so the numbers are the API server's own.

Run: python bench/api_bench.py [--apps 10000] [--groups 50] [--watchers 200] [--updates 500]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import threading
import time
import types
from typing import Any

import httpx


class MemoryInformer:
    def __init__(self, objs: list[dict[str, Any]]) -> None:
        self._objs = {o["metadata"]["name"]: o for o in objs}
        self._handlers: list[Any] = []

    def add_handler(self, h: Any) -> None:
        self._handlers.append(h)

    def list(self) -> list[dict[str, Any]]:
        return list(self._objs.values())

    def get(self, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        return self._objs.get(name)

    def emit(self, etype: str, obj: dict[str, Any]) -> None:
        old = self._objs.get(obj["metadata"]["name"])
        self._objs[obj["metadata"]["name"]] = obj
        for h in self._handlers:
            h(etype, obj, old)


def make_app(i: int, projects: int) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": f"app-{i:05d}",
            "namespace": "argocd",
            "labels": {"team": f"t{i % 20}"},
            "resourceVersion": "1",
        },
        "spec": {
            "project": f"proj-{i % projects}",
            "source": {
                "repoURL": f"https://git.example.com/org/repo-{i % 300}.git",
                "path": f"apps/{i}",
                "targetRevision": "HEAD",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": f"ns-{i % 50}"},
            "syncPolicy": {"automated": {"prune": True}},
        },
        "status": {
            "sync": {"status": "Synced", "revision": "a" * 40},
            "health": {"status": "Healthy"},
            "resources": [
                {
                    "group": "apps",
                    "version": "v1",
                    "kind": "Deployment",
                    "namespace": f"ns-{i % 50}",
                    "name": f"web-{i}",
                    "status": "Synced",
                    "health": {"status": "Healthy"},
                },
                {
                    "group": "",
                    "version": "v1",
                    "kind": "Service",
                    "namespace": f"ns-{i % 50}",
                    "name": f"web-{i}",
                    "status": "Synced",
                },
            ],
            "reconciledAt": "2026-01-01T00:00:00Z",
        },
    }


def build(apps: int, groups: int, projects: int, lines: int):
    from kedge.auth import LocalAuth, LoginRateLimiter, TokenIssuer
    from kedge.server.authz import Authorizer
    from kedge.server.backend import Backend
    from kedge.settings import SettingsManager

    policy = []
    for g in range(groups * 2):  # 100 groups with rules; the user is in 50 of them
        policy.append(f"p, group-{g}, applications, get, proj-{g % projects}/*, allow")
        policy.append(f"p, group-{g}, applications, sync, proj-{g % projects}/*, allow")
    n = 0
    while len(policy) < lines:
        policy.append(f"p, other-{n}, applications, get, proj-{n % projects}/app-{n:05d}, allow")
        policy.append(f"g, user-{n}, other-{n}")
        n += 1
    docs = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm"},
            "data": {"accounts.bench": "login"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm"},
            "data": {"policy.csv": "\n".join(policy), "scopes": "[groups]"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "argocd-secret"},
            "stringData": {"server.secretkey": "k" * 32},
        },
    ]
    manager = SettingsManager()
    manager.update(docs)
    app_inf = MemoryInformer([make_app(i, projects) for i in range(apps)])
    proj_inf = MemoryInformer([])
    controller = types.SimpleNamespace(
        apps=app_inf, projects=proj_inf, states={}, start=lambda *a: None, stop=lambda: None
    )
    issuer = TokenIssuer("k" * 32)
    auth = LocalAuth(lambda: manager.current, issuer, LoginRateLimiter())
    backend = Backend(
        client=None,
        namespace="argocd",
        settings=manager,
        controller=controller,
        repo=None,
        auth=auth,
        authz=Authorizer(manager, proj_inf),
    )
    user_groups = [f"group-{2 * g}" for g in range(groups)]
    token, _ = issuer.issue_session("bench", 3600, groups=user_groups)
    admin_token, _ = issuer.issue_session("admin", 3600)
    return backend, app_inf, token, admin_token, len(policy)


def bench_list(backend, token: str, runs: int = 5) -> dict[str, float]:
    from kedge.server.app import create_app

    app = create_app(backend)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    out: dict[str, float] = {}

    async def main() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
            for label, path in (
                ("full list", "/api/v1/applications"),
                ("page of 100", "/api/v1/applications?limit=100"),
                ("project filter", "/api/v1/applications?projects=proj-0"),
            ):
                times, count = [], 0
                for _ in range(runs):
                    t0 = time.perf_counter()
                    r = await c.get(path, headers=headers)
                    times.append(time.perf_counter() - t0)
                    assert r.status_code == 200, r.text
                    count = len(r.json()["items"])
                out[label] = statistics.median(times)
                out[label + " items"] = count

    asyncio.run(main())
    return out


def bench_sse(backend, app_inf: MemoryInformer, token: str, watchers: int, updates: int) -> dict[str, float]:
    import uvicorn

    from kedge.server.app import create_app

    app = create_app(backend)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    t = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.05)
    sent: dict[str, float] = {}
    latencies: list[float] = []
    ready = threading.Event()
    connected = 0
    done = threading.Event()

    async def watcher(client: httpx.AsyncClient, idx: int) -> None:
        nonlocal connected
        # each watcher follows one project (100 apps of 10,000): a small snapshot, then changes
        url = f"/api/v1/stream/applications?projects=proj-{idx % 100}"
        async with client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as r:
            connected += 1
            if connected == watchers:
                ready.set()
            async for line in r.aiter_lines():
                if not line.startswith("data: ") or '"MODIFIED"' not in line[:40]:
                    continue
                marker = line.split('"bench-seq":"', 1)
                if len(marker) == 2:
                    seq = marker[1].split('"', 1)[0]
                    if seq in sent:
                        latencies.append(time.perf_counter() - sent[seq])
                if done.is_set():
                    return

    async def clients() -> None:
        limits = httpx.Limits(max_connections=watchers + 10)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=None, limits=limits) as c:
            tasks = [asyncio.create_task(watcher(c, i)) for i in range(watchers)]
            await asyncio.sleep(0)
            while not done.is_set():
                await asyncio.sleep(0.2)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    loop_thread = threading.Thread(target=lambda: asyncio.run(clients()), daemon=True)
    loop_thread.start()
    ready.wait(120)
    time.sleep(0.5)
    apps = app_inf.list()
    t0 = time.perf_counter()
    for k in range(updates):
        app = dict(apps[(k * 37) % len(apps)])
        app["metadata"] = {**app["metadata"], "annotations": {"bench-seq": str(k)}}
        sent[str(k)] = time.perf_counter()
        app_inf.emit("MODIFIED", app)
        time.sleep(0.002)
    emit_time = time.perf_counter() - t0
    expected = sum(
        1
        for k in range(updates)
        for i in range(watchers)
        if apps[(k * 37) % len(apps)]["spec"]["project"] == f"proj-{i % 100}"
    )
    deadline = time.time() + 60
    while len(latencies) < expected and time.time() < deadline:
        time.sleep(0.1)
    done.set()
    server.should_exit = True
    lat = sorted(latencies)
    return {
        "watchers": watchers,
        "updates": updates,
        "deliveries": len(lat),
        "expected deliveries": expected,
        "emit seconds": emit_time,
        "p50": lat[len(lat) // 2] if lat else float("nan"),
        "p99": lat[int(len(lat) * 0.99)] if lat else float("nan"),
        "max": lat[-1] if lat else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--apps", type=int, default=10_000)
    ap.add_argument("--groups", type=int, default=50)
    ap.add_argument("--projects", type=int, default=100)
    ap.add_argument("--policy-lines", type=int, default=4_000)
    ap.add_argument("--watchers", type=int, default=200)
    ap.add_argument("--updates", type=int, default=500)
    args = ap.parse_args()
    backend, app_inf, token, admin_token, lines = build(
        args.apps, args.groups, args.projects, args.policy_lines
    )
    print(
        f"{args.apps} apps, {args.projects} projects, user in {args.groups} groups, policy of {lines} lines"
    )
    res = bench_list(backend, token)
    print(
        f"list (user in {args.groups} groups): {res['full list'] * 1000:.1f} ms for {res['full list items']} visible apps "
        f"(target <= 1000 ms, ambition 100 ms; ratio {res['full list'] / 1.0:.2f} of target)"
    )
    print(
        f"page of 100: {res['page of 100'] * 1000:.1f} ms (target <= 20 ms; ratio {res['page of 100'] / 0.02:.2f})"
    )
    print(f"one project: {res['project filter'] * 1000:.1f} ms for {res['project filter items']} apps")
    adm = bench_list(backend, admin_token)
    print(f"list as admin (all {adm['full list items']} apps): {adm['full list'] * 1000:.1f} ms")
    sse = bench_sse(backend, app_inf, admin_token, args.watchers, args.updates)
    print(
        f"SSE: {sse['watchers']} watchers, {sse['updates']} updates over {sse['emit seconds']:.2f} s, "
        f"{sse['deliveries']}/{sse['expected deliveries']} deliveries; latency p50 {sse['p50'] * 1000:.1f} ms, "
        f"p99 {sse['p99'] * 1000:.1f} ms, max {sse['max'] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
