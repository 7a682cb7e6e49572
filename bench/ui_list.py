"""Web UI with 10,000 applications, measured in Debian's headless Chromium.

Starts the local cluster (in memory), the API server with its UI, creates N Applications
in-process through the cluster's store (with generated sync/health/operation status, labels,
projects, destinations and repositories; the controller's status processors are off so the
status stays as generated), then measures in Chromium:

- first render: navigation start -> the list shows all N applications (counters and the first
  screen of tiles painted), for the tiles and the table view;
- filter change: click on a health filter, a project filter, type a search, clear -> the next
  frame with the new result (the page's own timing, performance.now());
- the server's list answer (GET /api/v1/applications) on its own.

Run: python bench/ui_list.py [--apps 10000]. Targets (issue 9): first render <= 1 s, filter <= 200 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ui"))

HEALTH = ["Healthy"] * 14 + ["Progressing", "Degraded", "Suspended", "Missing", "Unknown"]
SYNC = ["Synced"] * 8 + ["OutOfSync", "Unknown"]
NS = "argocd"
MARKS = """new Promise(r => requestAnimationFrame(() => {
    const m = (n) => performance.getEntriesByName(n)[0]?.startTime || 0;
    r({start: m("kedge:list-start"), first: m("kedge:list-first-page"), loaded: m("kedge:list-loaded"),
       painted: m("kedge:list-painted"), all: m("kedge:list-complete-painted")});
}))"""


def generated_app(i: int, rnd: random.Random) -> dict:
    name = f"app-{i:05d}"
    health, sync = rnd.choice(HEALTH), rnd.choice(SYNC)
    rev = f"{rnd.getrandbits(160):040x}"
    resources = [
        {
            "group": g,
            "version": "v1",
            "kind": k,
            "namespace": f"ns-{i % 50}",
            "name": name,
            "status": sync,
            "health": {"status": health},
        }
        for g, k in (("apps", "Deployment"), ("", "Service"), ("", "ConfigMap"))
    ]
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {"team": f"team-{i % 12}", "tier": rnd.choice(["web", "api", "db"])},
        },
        "spec": {
            "project": f"proj-{i % 10}",
            "source": {
                "repoURL": f"https://git.example.com/org/repo-{i % 20}.git",
                "path": f"apps/{name}",
                "targetRevision": "HEAD",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": f"ns-{i % 50}"},
            **({"syncPolicy": {"automated": {"prune": True}}} if i % 3 == 0 else {}),
        },
        "status": {
            "sync": {"status": sync, "revision": rev},
            "health": {"status": health},
            "resources": resources,
            "reconciledAt": "2026-11-27T10:00:00Z",
            "operationState": {
                "phase": "Succeeded",
                "message": "successfully synced (all tasks run)",
                "startedAt": "2026-11-27T09:59:58Z",
                "finishedAt": "2026-11-27T10:00:00Z",
                "operation": {"sync": {"revision": rev}, "initiatedBy": {"automated": True}},
                "syncResult": {"revision": rev},
            },
            "history": [{"id": 0, "revision": rev, "deployedAt": "2026-11-27T10:00:00Z"}],
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--apps", type=int, default=10_000)
    args = ap.parse_args()

    import httpx
    from playwright.sync_api import sync_playwright
    from ui_harness import launch_chromium, start_server

    from kedge.kube.client import KubeClient
    from kedge.localcluster.cluster import LocalCluster

    tmp = Path(tempfile.mkdtemp(prefix="kedge-ui-bench-"))
    cluster = LocalCluster(in_memory=True, kubeconfig_path=tmp / "kubeconfig", simulate=False)
    cluster.start()
    kube = KubeClient.from_kubeconfig(str(tmp / "kubeconfig"))
    ui = start_server(kube, NS, tmp / "cache", reconcile=False)
    try:
        store = cluster.store
        res = store.resource_for("argoproj.io/v1alpha1", "Application")
        rnd = random.Random(7)
        t0 = time.perf_counter()
        for i in range(args.apps):
            store.create(res, generated_app(i, rnd), "bench")
        print(f"created {args.apps} applications through the store in {time.perf_counter() - t0:.1f} s")
        backend = ui.backend
        deadline = time.monotonic() + 120
        while len(backend.controller.apps.list()) < args.apps and time.monotonic() < deadline:
            time.sleep(0.2)
        token = ui.token()
        with ui.client(token) as c:
            times = []
            for _ in range(3):
                t = time.perf_counter()
                r = c.get("/api/v1/applications")
                times.append(time.perf_counter() - t)
            assert len(r.json()["items"]) == args.apps
            size = len(r.content)
        print(
            f"server: GET /api/v1/applications ({args.apps} apps, {size / 1e6:.1f} MB) "
            f"median {statistics.median(times) * 1000:.0f} ms"
        )

        with sync_playwright() as p:
            browser = launch_chromium(p)
            ctx = browser.new_context(
                viewport={"width": 1600, "height": 1000}, base_url=ui.url, bypass_csp=True
            )
            host = httpx.URL(ui.url).host
            ctx.add_cookies([{"name": "argocd.token", "value": token, "domain": host, "path": "/"}])
            page = ctx.new_page()
            page.set_default_timeout(60000)
            done = (
                f"document.querySelector('#app-count')?.textContent === '{args.apps}'"
                " && document.querySelector('[data-partial=false]') !== null"
            )
            results = {}
            for view, sel in (("tiles", ".tile"), ("table", ".tr[data-app]")):
                runs = []
                for _ in range(5):
                    page.goto("/applications" + ("?view=table" if view == "table" else ""))
                    page.wait_for_selector(sel, state="attached")
                    page.wait_for_function(done)
                    page.wait_for_timeout(100)
                    runs.append(page.evaluate(MARKS))
                runs.sort(key=lambda x: x["painted"])
                mid = runs[len(runs) // 2]
                results[f"first render ({view})"] = mid["painted"]
                results[f"all {args.apps} loaded and counted ({view})"] = statistics.median(
                    r["all"] for r in runs
                )
                print(
                    f"  {view}: page+modules {mid['start']:.0f} ms, first page {mid['first'] - mid['start']:.0f} ms, "
                    f"first paint {mid['painted']:.0f} ms; whole list {mid['loaded'] - mid['start']:.0f} ms"
                )
                rendered = page.locator(sel).count()
                print(f"  {view}: {rendered} items in the DOM for {args.apps} applications (virtualised)")
            page.goto("/applications")
            page.wait_for_function(done)
            measure = """async ([sel, value]) => {
                const t0 = performance.now();
                if (value === null) document.querySelector(sel).click();
                else { const el = document.querySelector(sel); el.value = value; el.dispatchEvent(new Event('input', {bubbles: true})); }
                await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
                return [performance.now() - t0, document.querySelector('#app-count')?.textContent || '0'];
            }"""
            page.wait_for_timeout(4000)  # let the event stream's snapshot (a repeat of the list) pass
            steps = [
                ("filter health=Degraded", 'input[data-filter="health"][value="Degraded"]', None),
                ("filter project=proj-3", 'input[data-filter="proj"][value="proj-3"]', None),
                ("filter sync=OutOfSync", 'input[data-filter="sync"][value="OutOfSync"]', None),
                ("search 'app-012'", "#search", "app-012"),
            ]
            for view in ("tiles", "table"):
                page.goto("/applications" + ("?view=table" if view == "table" else ""))
                page.wait_for_function(done)
                page.wait_for_timeout(3000)
                for label, sel, value in steps:
                    on, off, count = [], [], "?"
                    for _ in range(5):
                        ms, count = page.evaluate(measure, [sel, value])
                        on.append(ms)
                        ms, _ = page.evaluate(measure, [sel, "" if value is not None else None])
                        off.append(ms)
                    results[f"{label} ({view}) -> {count} apps"] = statistics.median(on)
                    results[f"  {label}: back ({view}) -> {args.apps} apps"] = statistics.median(off)
            browser.close()
        print(f"\nChromium, {args.apps} applications:")
        for k, v in results.items():
            target = 1000 if k.startswith(("first render", "all ")) else 200
            print(f"  {k:45s} {v:7.0f} ms   ({v / target:.2f} of the {target} ms target)")
    finally:
        ui.stop()
        cluster.stop()


if __name__ == "__main__":
    main()
