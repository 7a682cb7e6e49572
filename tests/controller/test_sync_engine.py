"""The sync engine on its own (SyncRun against the local cluster), for failures that are hard
to provoke end to end: an API server that fails in the middle of a sync."""

from __future__ import annotations

import time

from kedge.health import ResourceOverrides, assess
from kedge.kube.client import KubeClient, KubeError
from kedge.sync.engine import SyncRequest, SyncRun

OVERRIDES = ResourceOverrides.from_configmap({})


def health(obj):
    return assess(obj, OVERRIDES)


class FailingApply(KubeClient):
    """The real client, except that applying (not dry-running) one named object fails like
    an overloaded API server would."""

    def __init__(self, real: KubeClient, name: str) -> None:
        super().__init__(real.api, real.timeout, real.name)
        self.fail_name = name

    def request(self, method, path, query=None, body=None, content_type=None, timeout=None, stream=False):
        if method == "PATCH" and path.endswith("/" + self.fail_name) and not (query or {}).get("dryRun"):
            raise KubeError(500, "InternalError", "etcdserver: request timed out")
        return super().request(method, path, query, body, content_type, timeout, stream)


def cm(name, wave):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "annotations": {"argocd.argoproj.io/sync-wave": str(wave)}},
        "data": {"n": name},
    }


def test_api_failure_mid_sync_lists_what_was_applied_and_next_sync_proceeds(kube, kube_namespace):
    targets = [cm("c1", 0), cm("c2", 1), cm("c3", 2)]
    run = SyncRun(
        FailingApply(kube, "c2"),
        "engine-app",
        targets,
        {},
        SyncRequest(),
        dest_namespace=kube_namespace,
        wave_delay=0,
    )
    out = run.run()
    assert out.phase == "Failed"
    assert (
        out.message
        == "one or more objects failed to apply, reason: configmap/c2: etcdserver: request timed out"
    )
    assert [(r.key.name, r.status) for r in out.resources] == [("c1", "Synced"), ("c2", "SyncFailed")]
    cm_res = kube.resource_for("v1", "ConfigMap")
    assert kube.get(cm_res, kube_namespace, "c1") is not None
    assert kube.get(cm_res, kube_namespace, "c3") is None

    time.sleep(1.1)  # creationTimestamps have one-second resolution
    again = SyncRun(
        kube, "engine-app", targets, {}, SyncRequest(), dest_namespace=kube_namespace, wave_delay=0
    ).run()
    assert again.phase == "Succeeded"
    assert [r.message for r in again.resources] == [
        "configmap/c1 configured",  # it existed (live unknown to this run: adopted)
        "configmap/c2 created",
        "configmap/c3 created",
    ]


def test_hook_timeout_is_bounded(kube, kube_namespace):
    hook = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "forever", "annotations": {"argocd.argoproj.io/hook": "PreSync"}},
        "spec": {
            "template": {
                "metadata": {"annotations": {"kedge.dev/simulate-duration": "1h"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]},
            }
        },
    }
    run = SyncRun(
        kube, "engine-hook", [hook, cm("never", 0)], {}, SyncRequest(), dest_namespace=kube_namespace,
        wave_delay=0, poll=0.05, timeout=3.0, health=health,
    )  # fmt: skip
    out = run.run()
    assert out.phase == "Failed"
    assert out.message == "operation timed out after 3s waiting for completion of hook batch/Job/forever"
    assert kube.get(kube.resource_for("v1", "ConfigMap"), kube_namespace, "never") is None
