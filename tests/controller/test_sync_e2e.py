"""The sync engine end to end: real git (git daemon), the local cluster with its workload
simulator, Applications as custom resources, operations written like the API writes them."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

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


def image_of(kube, ns, name):
    dep = live(kube, "apps/v1", "Deployment", ns, name) or {}
    return dep.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [{}])[0].get("image")


def test_auto_sync_new_commit_rolls_out_and_self_heal(
    kube, sync_controller, control_ns, app_repo, kube_namespace
):
    app_repo.commit(files(deployment("web", "nginx:1.25")), "v1")
    auto = {"automated": {"prune": True, "selfHeal": True}}
    kube.apply(application("auto", control_ns, app_repo.url, kube_namespace, syncPolicy=auto))
    app = ops.wait(kube, control_ns, "auto", timeout=30, poll=0.1)
    assert app["status"]["history"][0]["initiatedBy"] == {"automated": True}
    assert image_of(kube, kube_namespace, "web") == "nginx:1.25"

    second = app_repo.commit(files(deployment("web", "nginx:1.26")), "v2")
    sync_controller.refresh("auto", hard=True)
    wait_for(lambda: image_of(kube, kube_namespace, "web") == "nginx:1.26")
    app = wait_for(
        lambda: (
            (a := ops.wait(kube, control_ns, "auto", timeout=30, poll=0.1))["status"]["history"][-1][
                "revision"
            ]
            == second
            and a
        )
    )
    assert len(app["status"]["history"]) == 2
    rs_res = kube.resource_for("apps/v1", "ReplicaSet")
    replica_sets = wait_for(
        lambda: (
            (
                rs := [
                    r
                    for r in kube.list(rs_res, kube_namespace)[0]
                    if r["metadata"]["name"].startswith("web-")
                ]
            )
            and len(rs) == 2
            and rs
        )
    )
    images = {r["spec"]["template"]["spec"]["containers"][0]["image"]: r for r in replica_sets}
    assert set(images) == {"nginx:1.25", "nginx:1.26"}
    wait_for(
        lambda: (
            (kube.get(rs_res, kube_namespace, images["nginx:1.26"]["metadata"]["name"]) or {})
            .get("status", {})
            .get("readyReplicas")
            == 1
        )
    )

    # someone edits the live object: OutOfSync, then self-heal puts Git's image back
    drifted = copy.deepcopy(live(kube, "apps/v1", "Deployment", kube_namespace, "web"))
    for k in ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation"):
        drifted["metadata"].pop(k, None)
    drifted.pop("status", None)
    drifted["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:evil"
    kube.apply(drifted, field_manager="kubectl-edit")
    assert image_of(kube, kube_namespace, "web") == "nginx:evil"
    wait_for(lambda: image_of(kube, kube_namespace, "web") == "nginx:1.26", timeout=20)
    st = finished(kube, control_ns, "auto")
    assert st["operation"]["sync"]["selfHealAttemptsCount"] >= 1
    assert st["operation"]["initiatedBy"] == {"automated": True}
    assert {r["name"] for r in st["syncResult"]["resources"]} == {"web"}  # only the drifted resource


def test_prune_only_with_prune(kube, sync_controller, control_ns, app_repo, kube_namespace):
    app_repo.commit(
        files(
            configmap("keep"),
            configmap("gone"),
            configmap("protected", annotations={"argocd.argoproj.io/sync-options": "Prune=false"}),
        ),
        "three",
    )
    kube.apply(application("pruner", control_ns, app_repo.url, kube_namespace))
    wait_for(lambda: get_app(kube, control_ns, "pruner").get("status", {}).get("sync", {}).get("revision"))
    ops.request_sync(kube, control_ns, "pruner")
    assert finished(kube, control_ns, "pruner")["phase"] == "Succeeded"
    ops.wait(kube, control_ns, "pruner", timeout=20, poll=0.1)

    app_repo.commit({"app/configmap-gone.yaml": None, "app/configmap-protected.yaml": None}, "remove")
    sync_controller.refresh("pruner", hard=True)
    wait_for(lambda: get_app(kube, control_ns, "pruner")["status"]["sync"]["status"] == "OutOfSync")

    ops.request_sync(kube, control_ns, "pruner")
    st = finished(kube, control_ns, "pruner")
    assert st["phase"] == "Succeeded"
    by_name = {r["name"]: r for r in st["syncResult"]["resources"]}
    assert (
        by_name["gone"]["status"] == "PruneSkipped"
        and by_name["gone"]["message"] == "ignored (requires pruning)"
    )
    assert live(kube, "v1", "ConfigMap", kube_namespace, "gone") is not None

    ops.request_sync(kube, control_ns, "pruner", prune=True)
    st = finished(kube, control_ns, "pruner")
    by_name = {r["name"]: r for r in st["syncResult"]["resources"]}
    assert by_name["gone"]["status"] == "Pruned"
    assert (
        by_name["protected"]["status"] == "PruneSkipped"
        and by_name["protected"]["message"] == "ignored (no prune)"
    )
    wait_for(lambda: live(kube, "v1", "ConfigMap", kube_namespace, "gone") is None)
    assert live(kube, "v1", "ConfigMap", kube_namespace, "protected") is not None
    assert live(kube, "v1", "ConfigMap", kube_namespace, "keep") is not None


def test_hooks_order_and_postsync_after_healthy(kube, sync_controller, control_ns, app_repo, kube_namespace):
    app_repo.commit(
        files(
            job("migrate", "PreSync"),
            deployment("api"),
            job("smoke", "PostSync", policy="HookSucceeded"),
            job("notify", "SyncFail"),
        ),
        "hooks",
    )
    kube.apply(application("hooked", control_ns, app_repo.url, kube_namespace))
    wait_for(lambda: get_app(kube, control_ns, "hooked").get("status", {}).get("sync", {}).get("revision"))
    ops.request_sync(kube, control_ns, "hooked")
    st = finished(kube, control_ns, "hooked")
    assert st["phase"] == "Succeeded", st["message"]
    res = st["syncResult"]["resources"]
    assert [(r["name"], r["syncPhase"]) for r in res] == [
        ("migrate", "PreSync"),
        ("api", "Sync"),
        ("smoke", "PostSync"),
    ]
    migrate, api, smoke = res
    assert migrate["hookType"] == "PreSync" and migrate["hookPhase"] == "Succeeded"
    assert smoke["hookType"] == "PostSync" and smoke["hookPhase"] == "Succeeded"
    job_res = kube.resource_for("batch/v1", "Job")
    mig = kube.get(job_res, kube_namespace, "migrate")
    dep = live(kube, "apps/v1", "Deployment", kube_namespace, "api")
    # the PreSync Job completed before the Deployment was created
    assert mig["status"]["completionTime"] <= dep["metadata"]["creationTimestamp"]
    # the PostSync hook ran (it is deleted on success: HookSucceeded); the SyncFail hook did not
    wait_for(lambda: kube.get(job_res, kube_namespace, "smoke") is None)
    assert kube.get(job_res, kube_namespace, "notify") is None
    assert (
        dep["status"].get("readyReplicas") == 1
        or live(kube, "apps/v1", "Deployment", kube_namespace, "api")["status"]["readyReplicas"] == 1
    )


def test_failing_presync_stops_sync_and_runs_syncfail(
    kube, sync_controller, control_ns, app_repo, kube_namespace
):
    app_repo.commit(
        files(
            job("migrate", "PreSync", fail=True), deployment("api"), job("cleanup", "SyncFail", generate=True)
        ),
        "failing hook",
    )
    kube.apply(application("failhook", control_ns, app_repo.url, kube_namespace))
    wait_for(lambda: get_app(kube, control_ns, "failhook").get("status", {}).get("sync", {}).get("revision"))
    ops.request_sync(kube, control_ns, "failhook")
    st = finished(kube, control_ns, "failhook")
    assert st["phase"] == "Failed"
    assert st["message"].startswith("one or more synchronization tasks completed unsuccessfully")
    assert "batch/Job/migrate" in st["message"]
    res = {(r["syncPhase"], r["kind"]): r for r in st["syncResult"]["resources"]}
    assert (
        res[("PreSync", "Job")]["hookPhase"] == "Failed" and res[("PreSync", "Job")]["status"] == "SyncFailed"
    )
    cleanup = res[("SyncFail", "Job")]
    assert cleanup["hookPhase"] == "Succeeded"
    # a generateName hook is named as Argo CD names it: <generateName><rev[:7]>-<phase>-<start>
    started = int(datetime.strptime(st["startedAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    revision = st["syncResult"]["revision"]
    assert cleanup["name"] == f"cleanup-{revision[:7]}-syncfail-{started}"
    hook = live(kube, "batch/v1", "Job", kube_namespace, cleanup["name"])
    assert hook["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
        f"failhook:batch/Job:{kube_namespace}/{cleanup['name']}"
    )
    assert live(kube, "apps/v1", "Deployment", kube_namespace, "api") is None  # the sync stopped before it
    assert not get_app(kube, control_ns, "failhook").get("status", {}).get("history")


def test_waves_apply_in_order_and_wait_for_health(
    kube, sync_controller, control_ns, app_repo, kube_namespace
):
    slow = deployment("backend", wave=-1)
    slow["spec"]["template"]["metadata"]["annotations"]["kedge.dev/simulate-delay"] = "1s"
    app_repo.commit(files(slow, configmap("middle", wave=0), configmap("last", wave=1)), "waves")
    kube.apply(application("waves", control_ns, app_repo.url, kube_namespace))
    wait_for(lambda: get_app(kube, control_ns, "waves").get("status", {}).get("sync", {}).get("revision"))
    ops.request_sync(kube, control_ns, "waves")
    st = finished(kube, control_ns, "waves")
    assert st["phase"] == "Succeeded", st["message"]
    assert [r["name"] for r in st["syncResult"]["resources"]] == ["backend", "middle", "last"]
    backend = live(kube, "apps/v1", "Deployment", kube_namespace, "backend")
    middle = live(kube, "v1", "ConfigMap", kube_namespace, "middle")
    last = live(kube, "v1", "ConfigMap", kube_namespace, "last")
    ready_at = max(
        c["lastTransitionTime"] for c in backend["status"]["conditions"] if c["type"] == "Available"
    )
    # wave 0 started only after wave -1 was healthy (Available), wave 1 after wave 0
    assert middle["metadata"]["creationTimestamp"] >= ready_at
    assert last["metadata"]["creationTimestamp"] >= middle["metadata"]["creationTimestamp"]


def test_dry_run_failure_applies_nothing(kube, sync_controller, control_ns, app_repo, kube_namespace):
    bad = configmap("bad")
    bad["spec"] = {"replicas": 1}  # a ConfigMap has no spec: strict field validation rejects it
    app_repo.commit(files(configmap("good"), deployment("app"), bad), "invalid")
    kube.apply(application("dryfail", control_ns, app_repo.url, kube_namespace))
    wait_for(lambda: get_app(kube, control_ns, "dryfail").get("status", {}).get("sync", {}).get("revision"))
    ops.request_sync(kube, control_ns, "dryfail")
    st = finished(kube, control_ns, "dryfail")
    assert st["phase"] == "Failed"
    assert st["message"].startswith("one or more objects failed to apply (dry run)")
    assert "configmap/bad" in st["message"]
    assert live(kube, "v1", "ConfigMap", kube_namespace, "good") is None
    assert live(kube, "apps/v1", "Deployment", kube_namespace, "app") is None
    failed = [r for r in st["syncResult"]["resources"] if r["status"] == "SyncFailed"]
    assert [r["name"] for r in failed] == ["bad"] and "unknown field" in failed[0]["message"]

    # Validate=false: the same object passes (the unknown field is dropped)
    bad["metadata"]["annotations"] = {"argocd.argoproj.io/sync-options": "Validate=false"}
    fixed = app_repo.commit(files(configmap("good"), deployment("app"), bad), "skip validation")
    ops.request_sync(kube, control_ns, "dryfail", revision=fixed)
    st = finished(kube, control_ns, "dryfail")
    assert st["phase"] == "Succeeded", st["message"]
    assert live(kube, "v1", "ConfigMap", kube_namespace, "bad") is not None


def test_rollback_to_previous_revision(kube, sync_controller, control_ns, app_repo, kube_namespace):
    first = app_repo.commit(files(deployment("web", "nginx:1.0")), "v1")
    kube.apply(application("rb", control_ns, app_repo.url, kube_namespace))
    wait_for(lambda: get_app(kube, control_ns, "rb").get("status", {}).get("sync", {}).get("revision"))
    ops.request_sync(kube, control_ns, "rb")
    assert finished(kube, control_ns, "rb")["phase"] == "Succeeded"
    second = app_repo.commit(files(deployment("web", "nginx:2.0")), "v2")
    ops.request_sync(kube, control_ns, "rb", revision=second)
    assert finished(kube, control_ns, "rb")["syncResult"]["revision"] == second
    assert image_of(kube, kube_namespace, "web") == "nginx:2.0"

    with pytest.raises(ops.OperationError, match="does not have deployment with id 7"):
        ops.rollback(kube, control_ns, "rb", 7)
    ops.rollback(kube, control_ns, "rb", 0)
    st = finished(kube, control_ns, "rb")
    assert st["phase"] == "Succeeded" and st["syncResult"]["revision"] == first
    assert image_of(kube, kube_namespace, "web") == "nginx:1.0"
    history = get_app(kube, control_ns, "rb")["status"]["history"]
    assert [h["id"] for h in history] == [0, 1, 2] and history[-1]["revision"] == first

    res = kube.resource_for(API, "Application")
    kube.patch(res, control_ns, "rb", {"spec": {"syncPolicy": {"automated": {"prune": False}}}})
    with pytest.raises(ops.OperationError, match="rollback cannot be initiated when auto-sync is enabled"):
        ops.rollback(kube, control_ns, "rb", 1)


def test_delete_app_with_finalizer_removes_resources(
    kube, sync_controller, control_ns, app_repo, kube_namespace
):
    app_repo.commit(
        files(
            deployment("web"),
            configmap("cfg"),
            configmap("stay", annotations={"argocd.argoproj.io/sync-options": "Delete=false"}),
        ),
        "app",
    )
    app = application("doomed", control_ns, app_repo.url, kube_namespace)
    app["metadata"]["finalizers"] = ["resources-finalizer.argocd.argoproj.io"]
    kube.apply(app)
    wait_for(lambda: get_app(kube, control_ns, "doomed").get("status", {}).get("sync", {}).get("revision"))
    ops.request_sync(kube, control_ns, "doomed")
    assert finished(kube, control_ns, "doomed")["phase"] == "Succeeded"
    wait_for(lambda: live(kube, "apps/v1", "Deployment", kube_namespace, "web"))

    kube.delete(kube.resource_for(API, "Application"), control_ns, "doomed")
    wait_for(lambda: not get_app(kube, control_ns, "doomed"), timeout=30)
    assert live(kube, "apps/v1", "Deployment", kube_namespace, "web") is None
    assert live(kube, "v1", "ConfigMap", kube_namespace, "cfg") is None
    assert live(kube, "v1", "ConfigMap", kube_namespace, "stay") is not None
