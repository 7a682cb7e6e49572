"""Sync options, operation control (terminate, resume after a restart, retry), automation
guards, sync windows and project rules, end to end on the local cluster."""

from __future__ import annotations

import time

import pytest
from conftest import make_sync_controller, wait_for
from test_sync_e2e import API, application, configmap, deployment, files, finished, get_app, job, live

from kedge.controller import operations as ops


def slow_job(name, hook, seconds):
    j = job(name, hook)
    j["spec"]["template"]["metadata"]["annotations"]["kedge.dev/simulate-duration"] = f"{seconds}s"
    return j


def compared(kube, ns, name):
    wait_for(lambda: get_app(kube, ns, name).get("status", {}).get("sync", {}).get("revision"))


def hook_running(kube, ns, name):
    st = ops.get_app(kube, ns, name).get("status", {}).get("operationState") or {}
    res = (st.get("syncResult") or {}).get("resources") or []
    return any(r.get("hookPhase") == "Running" and r.get("hookType") for r in res)


def test_terminate_stops_the_operation_and_deletes_running_hooks(
    kube, sync_controller, control_ns, app_repo, kube_namespace
):
    app_repo.commit(files(slow_job("wait", "PreSync", 60), configmap("after")), "slow hook")
    kube.apply(application("term", control_ns, app_repo.url, kube_namespace))
    compared(kube, control_ns, "term")
    with pytest.raises(ops.OperationError, match="No operation is in progress"):
        ops.terminate_operation(kube, control_ns, "term")
    ops.request_sync(kube, control_ns, "term")
    wait_for(lambda: hook_running(kube, control_ns, "term"))
    ops.terminate_operation(kube, control_ns, "term")
    st = finished(kube, control_ns, "term")
    assert st["phase"] == "Failed" and st["message"] == "Operation terminated"
    assert live(kube, "v1", "ConfigMap", kube_namespace, "after") is None
    wait_for(lambda: live(kube, "batch/v1", "Job", kube_namespace, "wait") is None)


def test_restart_mid_sync_resumes_the_operation(kube, control_ns, app_repo, kube_namespace, tmp_path):
    app_repo.commit(files(slow_job("migrate", "PreSync", 2), configmap("after")), "hook")
    first = make_sync_controller(kube, control_ns, tmp_path / "c1")
    first.start()
    try:
        kube.apply(application("resume", control_ns, app_repo.url, kube_namespace))
        compared(kube, control_ns, "resume")
        ops.request_sync(kube, control_ns, "resume")
        wait_for(lambda: hook_running(kube, control_ns, "resume"))
    finally:
        first.stop()
    uid = live(kube, "batch/v1", "Job", kube_namespace, "migrate")["metadata"]["uid"]
    assert ops.get_app(kube, control_ns, "resume")["status"]["operationState"]["phase"] == "Running"
    second = make_sync_controller(kube, control_ns, tmp_path / "c2")
    second.start()
    try:
        st = finished(kube, control_ns, "resume")
        assert st["phase"] == "Succeeded", st["message"]
        assert (
            live(kube, "batch/v1", "Job", kube_namespace, "migrate")["metadata"]["uid"] == uid
        )  # not run twice
        assert live(kube, "v1", "ConfigMap", kube_namespace, "after") is not None
    finally:
        second.stop()


def test_retry_with_backoff_then_fail(kube, sync_controller, control_ns, app_repo, kube_namespace):
    app_repo.commit(files(job("broken", "PreSync", fail=True)), "fails")
    kube.apply(application("retry", control_ns, app_repo.url, kube_namespace))
    compared(kube, control_ns, "retry")
    ops.request_sync(
        kube, control_ns, "retry", retry={"limit": 2, "backoff": {"duration": "2s", "factor": 1}}
    )
    seen: set[str] = set()

    def done():
        app = ops.get_app(kube, control_ns, "retry")
        st = app["status"].get("operationState") or {}
        seen.add(st.get("message", ""))
        return not app.get("operation") and st.get("phase") == "Failed"

    wait_for(done, timeout=40)
    assert any(
        m.startswith("one or more synchronization tasks") and "Retrying attempt #1 at" in m for m in seen
    )
    st = finished(kube, control_ns, "retry", timeout=40)
    assert st["phase"] == "Failed" and st["retryCount"] == 2
    assert "batch/Job/broken" in st["message"]


def test_failed_auto_sync_is_not_retried_and_allow_empty_guard(
    kube, sync_controller, control_ns, app_repo, kube_namespace
):
    bad = configmap("bad")
    bad["spec"] = {"x": 1}
    app_repo.commit(files(bad), "invalid")
    kube.apply(
        application(
            "noloop", control_ns, app_repo.url, kube_namespace, syncPolicy={"automated": {"prune": True}}
        )
    )
    st = finished(kube, control_ns, "noloop")
    assert st["phase"] == "Failed" and st["operation"]["initiatedBy"] == {"automated": True}
    for _ in range(3):
        sync_controller.refresh("noloop")
        time.sleep(0.3)
    assert (
        ops.get_app(kube, control_ns, "noloop")["status"]["operationState"]["finishedAt"] == st["finishedAt"]
    )
    assert sync_controller.operations.last_skip["noloop"].startswith("Failed sync attempt to")
    # ... and the app says so, as Argo CD's SyncError condition
    cond = wait_for(
        lambda: next(
            (
                c
                for c in ops.get_app(kube, control_ns, "noloop")["status"].get("conditions") or []
                if c["type"] == "SyncError"
            ),
            None,
        )
    )
    assert cond["message"].startswith("Failed sync attempt to ")

    # a new commit is attempted; then deleting every file would wipe everything: refused
    good = app_repo.commit(files(configmap("bad")), "fixed")
    sync_controller.refresh("noloop", hard=True)
    wait_for(
        lambda: (
            (ops.get_app(kube, control_ns, "noloop")["status"].get("history") or [{}])[-1].get("revision")
            == good
        )
    )
    wait_for(
        lambda: (
            not any(
                c["type"] == "SyncError"
                for c in ops.get_app(kube, control_ns, "noloop")["status"].get("conditions") or []
            )
        )
    )
    app_repo.commit({"app/configmap-bad.yaml": None, "app/keep.txt": "x"}, "empty")
    sync_controller.refresh("noloop", hard=True)
    wait_for(
        lambda: (
            "auto-sync will wipe out all resources" in sync_controller.operations.last_skip.get("noloop", "")
        )
    )
    assert live(kube, "v1", "ConfigMap", kube_namespace, "bad") is not None


def test_create_namespace_selective_sync_and_apply_modes(
    kube, sync_controller, control_ns, app_repo, kube_namespace, kubectl
):
    target_ns = f"{kube_namespace}-made"
    csa = configmap("csa", annotations={"argocd.argoproj.io/sync-options": "ServerSideApply=false"})
    rep = configmap("rep", annotations={"argocd.argoproj.io/sync-options": "Replace=true"})
    app_repo.commit(files(configmap("a"), configmap("b"), csa, rep), "options")
    spec = {
        "syncPolicy": {
            "syncOptions": ["CreateNamespace=true"],
            "managedNamespaceMetadata": {"labels": {"team": "billing"}},
        }
    }
    kube.apply(application("opts", control_ns, app_repo.url, target_ns, **spec))
    compared(kube, control_ns, "opts")
    ops.request_sync(kube, control_ns, "opts", resources=[":ConfigMap:a"])
    st = finished(kube, control_ns, "opts")
    # selective sync: only the chosen resource (and the namespace it needs)
    assert st["phase"] == "Succeeded", st["message"]
    assert [r["name"] for r in st["syncResult"]["resources"]] == [target_ns, "a"]
    assert live(kube, "v1", "ConfigMap", target_ns, "b") is None

    ops.request_sync(kube, control_ns, "opts")
    st = finished(kube, control_ns, "opts")
    assert st["phase"] == "Succeeded", st["message"]
    ns = live(kube, "v1", "Namespace", "", target_ns)
    assert ns["metadata"]["labels"]["team"] == "billing"
    first = st["syncResult"]["resources"][0]
    assert (first["kind"], first["syncPhase"]) == ("Namespace", "PreSync")
    cm_csa = live(kube, "v1", "ConfigMap", target_ns, "csa")
    assert "kubectl.kubernetes.io/last-applied-configuration" in cm_csa["metadata"]["annotations"]
    cm_rep = live(kube, "v1", "ConfigMap", target_ns, "rep")
    assert {m["operation"] for m in cm_rep["metadata"]["managedFields"]} == {"Update"}
    cm_a = live(kube, "v1", "ConfigMap", target_ns, "a")
    assert [m["operation"] for m in cm_a["metadata"]["managedFields"]] == ["Apply"]
    ops.request_sync(kube, control_ns, "opts", resources=[":ConfigMap:b"])
    st = finished(kube, control_ns, "opts")
    assert [r["name"] for r in st["syncResult"]["resources"]] == ["b"]
    assert st["syncResult"]["resources"][0]["message"] == "configmap/b unchanged"


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.kedge.dev"},
    "spec": {
        "group": "example.kedge.dev",
        "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                },
            }
        ],
    },
}


def test_crd_and_its_resources_in_one_sync_and_missing_crd(
    kube, sync_controller, control_ns, app_repo, kube_namespace
):
    gadget = {"apiVersion": "example.kedge.dev/v1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": {}}
    app_repo.commit(files(configmap("x"), gadget), "missing crd")
    kube.apply(application("crds", control_ns, app_repo.url, kube_namespace))
    compared(kube, control_ns, "crds")
    ops.request_sync(kube, control_ns, "crds")
    st = finished(kube, control_ns, "crds")
    assert (
        st["phase"] == "Failed" and "Gadget" in st["message"] and "CustomResourceDefinition" in st["message"]
    )
    assert live(kube, "v1", "ConfigMap", kube_namespace, "x") is None

    widget = {
        "apiVersion": "example.kedge.dev/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 3},
    }
    rev = app_repo.commit({"app/gadget-g.yaml": None, **files(CRD, widget)}, "crd + cr")
    ops.request_sync(kube, control_ns, "crds", revision=rev)
    st = finished(kube, control_ns, "crds")
    assert st["phase"] == "Succeeded", st["message"]
    assert [r["kind"] for r in st["syncResult"]["resources"]] == [
        "ConfigMap",
        "CustomResourceDefinition",
        "Widget",
    ]
    assert live(kube, "example.kedge.dev/v1", "Widget", kube_namespace, "w")["spec"]["size"] == 3


def test_sync_window_and_project_rules_block(kube, sync_controller, control_ns, app_repo, kube_namespace):
    app_repo.commit(
        files(
            configmap("c"),
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"{kube_namespace}-x"}},
        ),
        "p",
    )
    kube.apply(
        {
            "apiVersion": API,
            "kind": "AppProject",
            "metadata": {"name": "locked", "namespace": control_ns},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"server": "*", "namespace": "*"}],
                "syncWindows": [
                    {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["frozen"]}
                ],
            },
        }
    )
    frozen = application("frozen", control_ns, app_repo.url, kube_namespace, syncPolicy={"automated": {}})
    frozen["spec"]["project"] = "locked"
    kube.apply(frozen)
    compared(kube, control_ns, "frozen")
    with pytest.raises(
        ops.OperationError, match=r"cannot sync: blocked by sync window: deny window 0 '\* \* \* \* \*'"
    ):
        ops.request_sync(kube, control_ns, "frozen")
    wait_for(
        lambda: "Sync prevented by sync window" in sync_controller.operations.last_skip.get("frozen", "")
    )
    assert not ops.get_app(kube, control_ns, "frozen").get("operation")

    # the project does not allow cluster-scoped resources (no clusterResourceWhitelist)
    other = application("strict", control_ns, app_repo.url, kube_namespace)
    other["spec"]["project"] = "locked"
    kube.apply(other)
    compared(kube, control_ns, "strict")
    ops.request_sync(kube, control_ns, "strict")
    st = finished(kube, control_ns, "strict")
    assert st["phase"] == "Failed"
    assert "resource :Namespace is not permitted in project locked" in st["message"]
    assert live(kube, "v1", "ConfigMap", kube_namespace, "c") is None


def test_fail_on_shared_resource(kube, sync_controller, control_ns, app_repo, kube_namespace):
    app_repo.commit(files(deployment("shared")), "one")
    kube.apply(application("owner", control_ns, app_repo.url, kube_namespace))
    compared(kube, control_ns, "owner")
    ops.request_sync(kube, control_ns, "owner")
    assert finished(kube, control_ns, "owner")["phase"] == "Succeeded"
    thief = application("thief", control_ns, app_repo.url, kube_namespace)
    thief["spec"]["syncPolicy"] = {"syncOptions": ["FailOnSharedResource=true"]}
    kube.apply(thief)
    compared(kube, control_ns, "thief")
    ops.request_sync(kube, control_ns, "thief")
    st = finished(kube, control_ns, "thief")
    assert (
        st["phase"] == "Failed"
        and "Deployment/shared is part of applications owner and thief" in st["message"]
    )


def test_apply_out_of_sync_only(kube, sync_controller, control_ns, app_repo, kube_namespace):
    app_repo.commit(files(configmap("one"), configmap("two")), "two maps")
    spec = {"syncPolicy": {"syncOptions": ["ApplyOutOfSyncOnly=true"]}}
    kube.apply(application("oos", control_ns, app_repo.url, kube_namespace, **spec))
    compared(kube, control_ns, "oos")
    ops.request_sync(kube, control_ns, "oos")
    assert finished(kube, control_ns, "oos")["phase"] == "Succeeded"
    ops.wait(kube, control_ns, "oos", timeout=20, poll=0.1)
    rev = app_repo.commit(files(configmap("two", {"k": "changed"})), "change two")
    sync_controller.refresh("oos", hard=True)
    wait_for(lambda: get_app(kube, control_ns, "oos")["status"]["sync"].get("revision") == rev)
    ops.request_sync(kube, control_ns, "oos", revision=rev)
    st = finished(kube, control_ns, "oos")
    assert st["phase"] == "Succeeded"
    assert [r["name"] for r in st["syncResult"]["resources"]] == ["two"]
    assert live(kube, "v1", "ConfigMap", kube_namespace, "two")["data"] == {"k": "changed"}


def test_delete_runs_predelete_hooks_first(kube, sync_controller, control_ns, app_repo, kube_namespace):
    app_repo.commit(files(configmap("data"), job("backup", "PreDelete")), "with a pre-delete hook")
    app = application("predel", control_ns, app_repo.url, kube_namespace)
    app["metadata"]["finalizers"] = ["resources-finalizer.argocd.argoproj.io/background"]
    kube.apply(app)
    compared(kube, control_ns, "predel")
    ops.request_sync(kube, control_ns, "predel")
    st = finished(kube, control_ns, "predel")
    assert [r["name"] for r in st["syncResult"]["resources"]] == ["data"]  # the hook does not run on sync
    assert live(kube, "batch/v1", "Job", kube_namespace, "backup") is None
    wait_for(lambda: live(kube, "v1", "ConfigMap", kube_namespace, "data"))

    kube.delete(kube.resource_for(API, "Application"), control_ns, "predel")
    wait_for(lambda: not get_app(kube, control_ns, "predel"), timeout=30)
    backup = live(kube, "batch/v1", "Job", kube_namespace, "backup")
    assert backup is not None and backup["status"].get("succeeded") == 1
    assert live(kube, "v1", "ConfigMap", kube_namespace, "data") is None


def test_respect_ignore_differences(kube, sync_controller, control_ns, app_repo, kube_namespace):
    app_repo.commit(files(deployment("scaled")), "deployment with 1 replica")
    spec = {
        "ignoreDifferences": [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}],
        "syncPolicy": {"syncOptions": ["RespectIgnoreDifferences=true"]},
    }
    kube.apply(application("hpa", control_ns, app_repo.url, kube_namespace, **spec))
    compared(kube, control_ns, "hpa")
    ops.request_sync(kube, control_ns, "hpa")
    assert finished(kube, control_ns, "hpa")["phase"] == "Succeeded"
    res = kube.resource_for("apps/v1", "Deployment")
    kube.patch(res, kube_namespace, "scaled", {"spec": {"replicas": 3}}, field_manager="hpa-controller")
    from kedge.kube.keys import ResourceKey

    cache = sync_controller.clusters.views()[0].cache
    key = ResourceKey("apps", "Deployment", kube_namespace, "scaled")
    wait_for(lambda: cache.get(key).obj["spec"]["replicas"] == 3)  # the controller has seen the change
    ops.request_sync(kube, control_ns, "hpa")
    assert finished(kube, control_ns, "hpa")["phase"] == "Succeeded"
    assert live(kube, "apps/v1", "Deployment", kube_namespace, "scaled")["spec"]["replicas"] == 3
    # without the option Git's value wins
    kube.patch(
        kube.resource_for(API, "Application"),
        control_ns,
        "hpa",
        {"spec": {"syncPolicy": {"syncOptions": []}}},
    )
    wait_for(lambda: not get_app(kube, control_ns, "hpa")["spec"]["syncPolicy"].get("syncOptions"))
    ops.request_sync(kube, control_ns, "hpa")
    assert finished(kube, control_ns, "hpa")["phase"] == "Succeeded"
    assert live(kube, "apps/v1", "Deployment", kube_namespace, "scaled")["spec"]["replicas"] == 1


def test_multi_source_sync_records_revisions_and_sources(
    kube, sync_controller, control_ns, app_repo, kube_namespace
):
    head = app_repo.commit({**files(configmap("one")), **files(configmap("two"), prefix="more")}, "two dirs")
    app = application("multi", control_ns, app_repo.url, kube_namespace)
    src = app["spec"].pop("source")
    app["spec"]["sources"] = [src, {**src, "path": "more"}]
    kube.apply(app)
    wait_for(lambda: get_app(kube, control_ns, "multi").get("status", {}).get("sync", {}).get("revisions"))
    ops.request_sync(kube, control_ns, "multi")
    st = finished(kube, control_ns, "multi")
    assert st["phase"] == "Succeeded", st["message"]
    assert st["syncResult"]["revisions"] == [head, head]
    assert [s["path"] for s in st["syncResult"]["sources"]] == ["app", "more"]
    history = ops.wait(kube, control_ns, "multi", timeout=20, poll=0.1)["status"]["history"]
    assert history[0]["revisions"] == [head, head] and len(history[0]["sources"]) == 2
    assert live(kube, "v1", "ConfigMap", kube_namespace, "two") is not None


def test_sync_of_an_app_whose_project_is_missing_fails_cleanly(
    kube, sync_controller, control_ns, app_repo, kube_namespace
):
    app_repo.commit(files(configmap("c")), "one")
    app = application("orphaned", control_ns, app_repo.url, kube_namespace)
    app["spec"]["project"] = "nope"
    kube.apply(app)
    ops.request_sync(kube, control_ns, "orphaned")
    st = finished(kube, control_ns, "orphaned")
    assert st["phase"] == "Failed"
    assert st["message"] == "Application referencing project nope which does not exist"
    assert live(kube, "v1", "ConfigMap", kube_namespace, "c") is None


def test_prune_confirm_waits_for_approval(kube, sync_controller, control_ns, app_repo, kube_namespace):
    careful = configmap("careful", annotations={"argocd.argoproj.io/sync-options": "Prune=confirm"})
    app_repo.commit(files(configmap("stays"), careful), "two")
    kube.apply(application("confirm", control_ns, app_repo.url, kube_namespace))
    compared(kube, control_ns, "confirm")
    ops.request_sync(kube, control_ns, "confirm")
    assert finished(kube, control_ns, "confirm")["phase"] == "Succeeded"
    wait_for(lambda: live(kube, "v1", "ConfigMap", kube_namespace, "careful"))
    rev = app_repo.commit({"app/configmap-careful.yaml": None}, "remove careful")
    sync_controller.refresh("confirm", hard=True)
    wait_for(lambda: get_app(kube, control_ns, "confirm")["status"]["sync"].get("revision") == rev)
    ops.request_sync(kube, control_ns, "confirm", prune=True, revision=rev)
    wait_for(
        lambda: (
            "waiting for pruning confirmation of configmap/careful"
            in (ops.get_app(kube, control_ns, "confirm")["status"].get("operationState") or {}).get(
                "message", ""
            )
        )
    )
    assert live(kube, "v1", "ConfigMap", kube_namespace, "careful") is not None
    kube.patch(
        kube.resource_for(API, "Application"),
        control_ns,
        "confirm",
        {"metadata": {"annotations": {"argocd.argoproj.io/deletion-approved": "2026-01-01T00:00:00Z"}}},
    )
    st = finished(kube, control_ns, "confirm")
    assert st["phase"] == "Succeeded"
    assert {r["name"]: r["status"] for r in st["syncResult"]["resources"]}["careful"] == "Pruned"
    wait_for(lambda: live(kube, "v1", "ConfigMap", kube_namespace, "careful") is None)
