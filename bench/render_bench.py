"""Renderer benchmarks: time per render for each tool, and Kedge's overhead over the bare tool.

Run: python bench/render_bench.py        (prints a table; not a test)

* directory: a plain directory of 10 resources (target <= 50 ms, ambition 10 ms)
* helm: the test chart (tests/fixtures/repos/helm/app), full render() vs the SDK's bare
  Chart.load + render
* kustomize: render() with overrides vs bare `kubectl kustomize DIR`
* jsonnet: a .jsonnet file producing 10 objects, render() vs bare gojsonnet evaluate_file
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "repos"


def timeit(fn: Callable[[], object], n: int) -> float:
    """Median wall time of ``fn`` in milliseconds over ``n`` runs (after one warm-up)."""
    fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def deployment(i: int) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{i}
  labels: {{app: web-{i}, tier: frontend}}
  annotations: {{argocd.argoproj.io/sync-wave: "{i % 3}"}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web-{i}}}
  template:
    metadata:
      labels: {{app: web-{i}}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          ports: [{{containerPort: 80}}]
          env: [{{name: A, value: "1"}}, {{name: B, value: "2"}}]
          resources: {{requests: {{cpu: 100m, memory: 64Mi}}, limits: {{memory: 128Mi}}}}
"""


def main() -> None:
    from kedge.builtin.renderers.kustomize import find_build_command
    from kedge.repo.render import render
    from kedge.repo.types import RenderRequest

    rows: list[tuple[str, float, float | None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        # -- directory -------------------------------------------------------------------------
        app = root / "plain"
        app.mkdir(parents=True)
        for i in range(10):
            (app / f"deploy-{i}.yaml").write_text(deployment(i))
        req = RenderRequest(
            root=root, path=app, source={"path": "plain"}, app_name="bench", revision="a" * 40
        )
        assert len(render(req)) == 10
        rows.append(("directory, 10 resources: render()", timeit(lambda: render(req), 200), None))

        # -- jsonnet ---------------------------------------------------------------------------
        jdir = root / "jsonnet"
        jdir.mkdir()
        (jdir / "main.jsonnet").write_text(
            "[{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm-' + i}, data: {i: std.toString(i)}}"
            " for i in std.range(1, 10)]"
        )
        jreq = RenderRequest(root=root, path=jdir, source={"path": "jsonnet"}, app_name="bench")
        assert len(render(jreq)) == 10
        import _gojsonnet

        bare_j = timeit(lambda: _gojsonnet.evaluate_file(str(jdir / "main.jsonnet")), 200)
        rows.append(("jsonnet, 10 objects: render()", timeit(lambda: render(jreq), 200), bare_j))

        # -- helm ------------------------------------------------------------------------------
        shutil.copytree(FIXTURES / "helm", root / "helm")
        hreq = RenderRequest(
            root=root,
            path=root / "helm" / "app",
            source={"path": "helm/app", "helm": {"valueFiles": ["values-prod.yaml"]}},
            app_name="bench",
            dest_namespace="prod",
            kube_version="1.29.3",
        )
        assert len(render(hreq)) >= 6
        import helm_python

        def bare_helm() -> None:
            with helm_python.Chart.load(root / "helm" / "app") as chart:
                chart.render({"replicaCount": 3}, name="bench", namespace="prod")

        rows.append(
            (
                "helm chart (6 templates + CRD + hooks): render()",
                timeit(lambda: render(hreq), 50),
                timeit(bare_helm, 50),
            )
        )

        # -- kustomize -------------------------------------------------------------------------
        shutil.copytree(FIXTURES / "kustomize", root / "kustomize")
        overrides = {"namePrefix": "p-", "images": ["nginx=reg/nginx:2"], "commonLabels": {"team": "a"}}
        kreq = RenderRequest(
            root=root,
            path=root / "kustomize" / "overlay",
            source={"path": "kustomize/overlay", "kustomize": overrides},
            app_name="bench",
        )
        kplain = RenderRequest(
            root=root, path=root / "kustomize" / "overlay", source={"path": "kustomize/overlay"}
        )
        assert len(render(kreq)) == 2
        cmd = find_build_command({})

        def bare_kustomize() -> None:
            subprocess.run([*cmd, str(root / "kustomize" / "overlay")], check=True, capture_output=True)

        bare_k = timeit(bare_kustomize, 30)
        rows.append(("kustomize overlay, no overrides: render()", timeit(lambda: render(kplain), 30), bare_k))
        rows.append(
            (
                "kustomize overlay + overrides (private copy): render()",
                timeit(lambda: render(kreq), 30),
                bare_k,
            )
        )

    print(f"{'case':58} {'kedge ms':>9} {'tool ms':>9} {'overhead ms':>12}")
    for name, ours, bare in rows:
        extra = f"{ours - bare:12.2f}" if bare is not None else f"{'':>12}"
        tool = f"{bare:9.2f}" if bare is not None else f"{'-':>9}"
        print(f"{name:58} {ours:9.2f} {tool} {extra}")
    print(json.dumps({name: round(ours, 3) for name, ours, _ in rows}))


if __name__ == "__main__":
    main()
