"""Throughput of the local cluster's patch machinery (pure functions, one core).

Run: python bench/localcluster_ssa.py [--seconds 1.0]

Prints calls/s for server-side apply of a realistic Deployment (create, no-op re-apply,
re-apply with a changed image, a second manager applying a shared field), managedFields
bookkeeping of a status update, and apply_patch per media type. The API server's target is
>= 1,000 SSA objects/s over HTTP, so the pure apply should stay well above 2,000/s.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections.abc import Callable

from kedge.localcluster.defaults import apply_defaults
from kedge.localcluster.patching import apply_patch, record_update, server_side_apply

GVK = ("apps", "v1", "Deployment")
NOW = "2026-01-01T00:00:00Z"


def manifest(image: str = "registry.local/team/web:1.2.3") -> dict:
    env = [{"name": f"VAR_{i}", "value": f"value-{i}"} for i in range(10)]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "team-a",
            "labels": {
                "app.kubernetes.io/name": "web",
                "app.kubernetes.io/instance": "web-prod",
                "tier": "frontend",
            },
            "annotations": {"argocd.argoproj.io/tracking-id": "web-prod:apps/Deployment:team-a/web"},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "web", "tier": "frontend"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": image,
                            "ports": [
                                {"name": "http", "containerPort": 8080},
                                {"name": "metrics", "containerPort": 9090},
                            ],
                            "env": env,
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                            "livenessProbe": {
                                "httpGet": {"path": "/healthz", "port": "http"},
                                "initialDelaySeconds": 10,
                            },
                            "volumeMounts": [{"name": "config", "mountPath": "/etc/web"}],
                        },
                        {
                            "name": "proxy",
                            "image": "envoyproxy/envoy:v1.30",
                            "args": ["--config", "/etc/envoy.yaml"],
                        },
                    ],
                    "volumes": [{"name": "config", "configMap": {"name": "web-config"}}],
                },
            },
        },
    }


def rate(fn: Callable[[], object], seconds: float) -> float:
    for _ in range(20):
        fn()
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn()
        n += 50
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()

    applied = manifest()
    created = server_side_apply(None, applied, "argocd-controller", False, GVK, NOW)
    apply_defaults(created)
    status = copy.deepcopy(created)
    status["status"] = {
        "observedGeneration": 1,
        "replicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "updatedReplicas": 3,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    }
    live = record_update(created, status, "kube-controller-manager", "Update", GVK, NOW, subresource="status")
    changed_a = manifest("registry.local/team/web:1.2.4")
    changed_b = manifest("registry.local/team/web:1.2.5")
    toggle = [changed_a, changed_b]
    state = {"i": 0, "live": live}

    def reapply_changed() -> None:
        state["i"] ^= 1
        state["live"] = server_side_apply(
            state["live"], toggle[state["i"]], "argocd-controller", False, GVK, NOW
        )

    shared = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 3},
    }
    status2 = copy.deepcopy(live)
    status2["status"]["readyReplicas"] = 2
    body_json = json.dumps([{"op": "replace", "path": "/spec/replicas", "value": 4}]).encode()
    body_merge = json.dumps({"metadata": {"labels": {"tier": "backend"}}, "spec": {"replicas": 4}}).encode()
    body_smp = json.dumps(
        {
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "web", "image": "registry.local/team/web:2.0.0"}]}
                }
            }
        }
    ).encode()

    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "ssa create (live=None)",
            lambda: server_side_apply(None, applied, "argocd-controller", False, GVK, NOW),
        ),
        (
            "ssa re-apply, no change",
            lambda: server_side_apply(live, applied, "argocd-controller", False, GVK, NOW),
        ),
        ("ssa re-apply, image changed", reapply_changed),
        ("ssa second manager, shared field", lambda: server_side_apply(live, shared, "hpa", False, GVK, NOW)),
        (
            "record_update status (controller)",
            lambda: record_update(live, status2, "kcm", "Update", GVK, NOW, "status"),
        ),
        ("apply_patch json-patch", lambda: apply_patch(live, body_json, "application/json-patch+json", GVK)),
        (
            "apply_patch merge-patch",
            lambda: apply_patch(live, body_merge, "application/merge-patch+json", GVK),
        ),
        (
            "apply_patch strategic-merge-patch",
            lambda: apply_patch(live, body_smp, "application/strategic-merge-patch+json", GVK),
        ),
        ("apply_defaults deployment", lambda: apply_defaults(copy.deepcopy(applied))),
        ("(baseline) copy.deepcopy of live", lambda: copy.deepcopy(live)),
    ]
    target = 2000.0
    print(f"{'operation':40s} {'calls/s':>10s} {'us/call':>9s}")
    results = {}
    for name, fn in cases:
        r = rate(fn, args.seconds)
        results[name] = r
        print(f"{name:40s} {r:10,.0f} {1e6 / r:9.1f}")
    worst = min(results[n] for n in results if n.startswith("ssa"))
    print(f"\nslowest SSA case: {worst:,.0f}/s = {worst / target:.1f}x the 2,000/s target")
    print(
        f"live object: {len(json.dumps(live))} bytes JSON, {len(live['metadata']['managedFields'])} managedFields entries"
    )


if __name__ == "__main__":
    main()
