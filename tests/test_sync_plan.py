from kedge.sync import annotations as ann
from kedge.sync.plan import key_of, plan


def obj(kind, name, ns="default", api="v1", **annotations):
    meta = {"name": name}
    if ns:
        meta["namespace"] = ns
    if annotations:
        meta["annotations"] = {k.replace("__", "/").replace("_", "-"): v for k, v in annotations.items()}
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def wave(n):
    return {"argocd.argoproj.io/sync-wave": str(n)}


def with_ann(o, **a):
    o["metadata"].setdefault("annotations", {}).update(a)
    return o


def names(tasks):
    return [
        f"{t.phase}/{t.wave}:{'prune ' if t.is_prune else ''}{t.obj['kind']}/{t.obj['metadata']['name']}"
        for t in tasks
    ]


def test_kind_order_then_name_within_a_wave():
    targets = [
        obj("Deployment", "web", api="apps/v1"),
        obj("Service", "web"),
        obj("ConfigMap", "b"),
        obj("ConfigMap", "a"),
        obj("Widget", "w", api="example.com/v1"),
        obj("ServiceAccount", "sa"),
        obj("Namespace", "default", ns=""),
    ]
    assert names(plan(targets, {})) == [
        "Sync/0:Namespace/default",
        "Sync/0:ServiceAccount/sa",
        "Sync/0:ConfigMap/a",
        "Sync/0:ConfigMap/b",
        "Sync/0:Service/web",
        "Sync/0:Deployment/web",
        "Sync/0:Widget/w",
    ]


def test_waves_and_phases():
    targets = [
        with_ann(obj("Deployment", "db", api="apps/v1"), **wave(-1)),
        obj("Deployment", "web", api="apps/v1"),
        with_ann(obj("Job", "migrate", api="batch/v1"), **{"argocd.argoproj.io/hook": "PreSync"}),
        with_ann(obj("Job", "smoke", api="batch/v1"), **{"argocd.argoproj.io/hook": "PostSync"}),
        with_ann(obj("Job", "cleanup", api="batch/v1"), **{"argocd.argoproj.io/hook": "SyncFail"}),
        with_ann(obj("ConfigMap", "late"), **wave(5)),
        with_ann(obj("ConfigMap", "ignored"), **{"argocd.argoproj.io/hook": "Skip"}),
    ]
    assert names(plan(targets, {})) == [
        "PreSync/0:Job/migrate",
        "Sync/-1:Deployment/db",
        "Sync/0:Deployment/web",
        "Sync/5:ConfigMap/late",
        "PostSync/0:Job/smoke",
        "SyncFail/0:Job/cleanup",
    ]


def test_namespace_and_crd_move_before_their_users():
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com", "annotations": wave(3)},
        "spec": {"group": "example.com", "names": {"kind": "Widget"}},
    }
    targets = [
        with_ann(obj("ConfigMap", "cfg", ns="team"), **wave(-2)),
        with_ann(obj("Namespace", "team", ns=""), **wave(4)),
        crd,
        with_ann(obj("Widget", "w", api="example.com/v1"), **wave(1)),
    ]
    assert names(plan(targets, {})) == [
        "Sync/-2:Namespace/team",
        "Sync/-2:ConfigMap/cfg",
        "Sync/1:CustomResourceDefinition/widgets.example.com",
        "Sync/1:Widget/w",
    ]


def test_prune_tasks_run_in_reverse_wave_order_and_prune_last():
    live_objs = [with_ann(obj("ConfigMap", f"old{w}"), **wave(w)) for w in (1, 2, 3)]
    live = {key_of(o): o for o in live_objs}
    tasks = plan(
        [with_ann(obj("ConfigMap", "keep"), **wave(2))],
        live | {key_of(o): o for o in [obj("ConfigMap", "keep")]},
    )
    assert names(tasks) == [
        "Sync/1:prune ConfigMap/old3",
        "Sync/2:ConfigMap/keep",
        "Sync/2:prune ConfigMap/old2",
        "Sync/3:prune ConfigMap/old1",
    ]
    last = plan([with_ann(obj("ConfigMap", "keep"), **wave(2))], live, app_options={"PruneLast": "true"})
    assert names(last) == [
        "Sync/2:ConfigMap/keep",
        "Sync/3:prune ConfigMap/old1",
        "Sync/3:prune ConfigMap/old2",
        "Sync/3:prune ConfigMap/old3",
    ]


def test_helm_hooks_map_onto_argo_phases():
    pre = obj("Job", "pre", api="batch/v1")
    pre["metadata"]["annotations"] = {
        "helm.sh/hook": "pre-install,pre-upgrade",
        "helm.sh/hook-weight": "-5",
        "helm.sh/hook-delete-policy": "hook-succeeded",
    }
    test_hook = obj("Pod", "test")
    test_hook["metadata"]["annotations"] = {"helm.sh/hook": "test"}
    argo_wins = obj("Job", "both", api="batch/v1")
    argo_wins["metadata"]["annotations"] = {"helm.sh/hook": "post-install", "argocd.argoproj.io/hook": "Sync"}
    tasks = plan([pre, test_hook, argo_wins], {})
    assert names(tasks) == ["PreSync/-5:Job/pre", "PreSync/-5:Job/pre", "Sync/0:Job/both"]
    assert tasks[0].delete_policies == [ann.HOOK_SUCCEEDED]
    assert tasks[-1].delete_policies == [ann.BEFORE_HOOK_CREATION]


def test_selective_sync_skips_hooks_and_unselected_resources():
    a, b = obj("ConfigMap", "a"), obj("ConfigMap", "b")
    hook = with_ann(obj("Job", "h", api="batch/v1"), **{"argocd.argoproj.io/hook": "PreSync"})
    stale = obj("ConfigMap", "stale")
    tasks = plan([a, b, hook], {key_of(stale): stale}, selected={key_of(a), key_of(stale)})
    assert names(tasks) == ["Sync/0:ConfigMap/a", "Sync/0:prune ConfigMap/stale"]


def test_apply_out_of_sync_only_and_per_resource_options():
    a, b = (
        obj("ConfigMap", "a"),
        with_ann(obj("ConfigMap", "b"), **{"argocd.argoproj.io/sync-options": "Replace=true, Prune=false"}),
    )
    live = {key_of(a): a, key_of(b): b}
    tasks = plan([a, b], live, app_options={"ApplyOutOfSyncOnly": "true"}, out_of_sync={key_of(b)})
    assert names(tasks) == ["Sync/0:ConfigMap/b"]
    assert tasks[0].options == {"ApplyOutOfSyncOnly": "true", "Replace": "true", "Prune": "false"}


def test_annotation_parsing_edge_cases():
    o = with_ann(obj("ConfigMap", "x"), **{"argocd.argoproj.io/sync-wave": "not-a-number"})
    assert ann.wave(o) == 0
    assert ann.parse_options(["Prune=false", "Validate=false", "garbage"]) == {
        "Prune": "false",
        "Validate": "false",
    }
    multi = with_ann(
        obj("Job", "j"),
        **{
            "argocd.argoproj.io/hook": "PreSync,PostSync",
            "argocd.argoproj.io/hook-delete-policy": "HookSucceeded,HookFailed",
        },
    )
    assert ann.hook_types(multi) == ["PreSync", "PostSync"]
    assert ann.delete_policies(multi) == ["HookSucceeded", "HookFailed"]
