"""The sync engine end to end: real git (git daemon), the local cluster with its workload
simulator, Applications as custom resources, operations written like the API writes them."""

from __future__ import annotations

import pytest
import yaml
from conftest import wait_for

from kedge.controller import operations as ops

API = "argoproj.io/v1alpha1"
FAST = {"kedge.dev/simulate-delay": "0s", "kedge.dev/simulate-duration": "0s"}


def deployment(name, image="nginx:1.25", wave=None, extra_ann=None):
    meta = {"name": name}
    ann = dict(extra_ann or {})
    if wave is not None:
        ann["argocd.argoproj.io/sync-wave"] = str(wave)
    if ann:
        meta["annotations"] = ann
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": dict(FAST)},
                "spec": {"containers": [{"name": "main", "image": image}]},
            },
        },
    }


def configmap(name, data=None, wave=None, annotations=None):
    meta = {"name": name}
    ann = dict(annotations or {})
    if wave is not None:
        ann["argocd.argoproj.io/sync-wave"] = str(wave)
    if ann:
        meta["annotations"] = ann
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {"k": "v"}}


def job(name, hook, fail=False, policy=None, generate=False):
    ann = {"argocd.argoproj.io/hook": hook}
    if policy:
        ann["argocd.argoproj.io/hook-delete-policy"] = policy
    pod_ann = dict(FAST)
    if fail:
        pod_ann["kedge.dev/simulate-fail"] = "true"
    meta = {"generateName": f"{name}-"} if generate else {"name": name}
    meta["annotations"] = ann
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"annotations": pod_ann},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }


def files(*objs, prefix="app"):
    return {
        f"{prefix}/{o['kind'].lower()}-{(o['metadata'].get('name') or o['metadata']['generateName'])}.yaml": yaml.safe_dump(
            o
        )
        for o in objs
    }


def application(name, ns, repo_url, dest_ns, **spec_extra):
    return {
        "apiVersion": API,
        "kind": "Application",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo_url, "targetRevision": "HEAD", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest_ns},
            **spec_extra,
        },
    }


def get_app(kube, ns, name):
    return kube.get(kube.resource_for(API, "Application"), ns, name) or {}


def op_state(kube, ns, name):
    return (get_app(kube, ns, name).get("status") or {}).get("operationState") or {}


def finished(kube, ns, name, timeout=30):
    """Wait until the app has no operation and a completed operationState; return the state."""

    def done():
        app = get_app(kube, ns, name)
        st = (app.get("status") or {}).get("operationState") or {}
        return not app.get("operation") and st.get("phase") in ("Succeeded", "Failed", "Error") and st

    return wait_for(done, timeout=timeout)


def live(kube, api_version, kind, ns, name):
    return kube.get(kube.resource_for(api_version, kind), ns, name)


def test_create_sync_healthy_history_and_wait(kube, sync_controller, control_ns, app_repo, kube_namespace):
    head = app_repo.commit(files(deployment("web"), configmap("settings")), "first")
    kube.apply(application("gb-create", control_ns, app_repo.url, kube_namespace))
    wait_for(lambda: get_app(kube, control_ns, "gb-create").get("status", {}).get("sync", {}).get("revision"))

    ops.request_sync(kube, control_ns, "gb-create", initiated_by="alice")
    with pytest.raises(ops.OperationError, match="another operation is already in progress"):
        ops.request_sync(kube, control_ns, "gb-create")
    st = finished(kube, control_ns, "gb-create")
    assert st["phase"] == "Succeeded", st
    assert st["message"] == "successfully synced (all tasks run)"
    result = st["syncResult"]
    assert result["revision"] == head
    by_name = {r["name"]: r for r in result["resources"]}
    assert by_name["web"]["status"] == "Synced" and by_name["web"]["message"] == "deployment.apps/web created"
    assert by_name["settings"]["message"] == "configmap/settings created"
    assert st["startedAt"] and st["finishedAt"]

    app = ops.wait(kube, control_ns, "gb-create", timeout=30, poll=0.1)
    assert app["status"]["health"]["status"] == "Healthy"
    history = app["status"]["history"]
    assert [h["id"] for h in history] == [0]
    assert history[0]["revision"] == head and history[0]["initiatedBy"] == {"username": "alice"}
    assert history[0]["source"]["repoURL"] == app_repo.url
    dep = live(kube, "apps/v1", "Deployment", kube_namespace, "web")
    assert (
        dep["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"]
        == f"gb-create:apps/Deployment:{kube_namespace}/web"
    )
    assert any(m["manager"] == "argocd-controller" for m in dep["metadata"]["managedFields"])
