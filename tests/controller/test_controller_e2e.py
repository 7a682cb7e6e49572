"""The controller end to end: a git daemon, Kedge's local cluster, Applications as custom
resources, status written back."""

import copy

import yaml
from conftest import wait_for

GUESTBOOK = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "guestbook-ui"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "guestbook-ui"}},
        "template": {
            "metadata": {"labels": {"app": "guestbook-ui"}},
            "spec": {
                "containers": [
                    {
                        "name": "guestbook-ui",
                        "image": "gcr.io/heptio-images/ks-guestbook-demo:0.2",
                        "ports": [{"containerPort": 80}],
                    }
                ]
            },
        },
    },
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "guestbook-ui"},
    "spec": {"ports": [{"port": 80, "targetPort": 80}], "selector": {"app": "guestbook-ui"}},
}


def application(name, ns, repo_url, dest_ns, **spec_extra):
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo_url, "targetRevision": "HEAD", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest_ns},
            **spec_extra,
        },
    }


def app_status(kube, ns, name):
    res = kube.resource_for("argoproj.io/v1alpha1", "Application")
    obj = kube.get(res, ns, name) or {}
    return obj.get("status") or {}


def tracked(obj, app, ns):
    o = copy.deepcopy(obj)
    o["metadata"]["namespace"] = ns
    group = o["apiVersion"].rsplit("/", 1)[0] if "/" in o["apiVersion"] else ""
    o["metadata"]["annotations"] = {
        "argocd.argoproj.io/tracking-id": f"{app}:{group}/{o['kind']}:{ns}/{o['metadata']['name']}"
    }
    return o


def test_missing_then_synced_then_drift(kube, controller, control_ns, app_repo, kube_namespace):
    head = app_repo.commit(
        {"guestbook/deploy.yaml": yaml.safe_dump(GUESTBOOK), "guestbook/svc.yaml": yaml.safe_dump(SERVICE)},
        "guestbook",
    )
    kube.apply(application("ctl-guestbook", control_ns, app_repo.url, kube_namespace))

    status = wait_for(
        lambda: (s := app_status(kube, control_ns, "ctl-guestbook")).get("sync", {}).get("revision") and s
    )
    assert status["sync"]["status"] == "OutOfSync"
    assert status["sync"]["revision"] == head
    assert status["health"]["status"] == "Missing"
    assert status["sourceType"] == "Directory"
    kinds = {(r["kind"], r["name"], r["status"], r["health"]["status"]) for r in status["resources"]}
    assert kinds == {
        ("Deployment", "guestbook-ui", "OutOfSync", "Missing"),
        ("Service", "guestbook-ui", "OutOfSync", "Missing"),
    }
    assert status["sync"]["comparedTo"]["destination"]["namespace"] == kube_namespace

    # apply what Git says (the sync engine's job later): the app becomes Synced and, once the
    # simulated rollout finishes, Healthy
    kube.apply(tracked(GUESTBOOK, "ctl-guestbook", kube_namespace))
    kube.apply(tracked(SERVICE, "ctl-guestbook", kube_namespace))
    status = wait_for(
        lambda: (
            (s := app_status(kube, control_ns, "ctl-guestbook"))["sync"]["status"] == "Synced"
            and s["health"]["status"] == "Healthy"
            and s
        )
    )
    assert all(r["status"] == "Synced" for r in status["resources"])
    assert status["summary"]["images"] == ["gcr.io/heptio-images/ks-guestbook-demo:0.2"]
    state = controller.states["ctl-guestbook"]
    assert state.commit and state.commit.get("message", "").startswith("guestbook")

    # live drift: someone edits the image -> OutOfSync, with the diff recorded
    drifted = tracked(GUESTBOOK, "ctl-guestbook", kube_namespace)
    drifted["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:evil"
    kube.apply(drifted, field_manager="kubectl-edit")
    wait_for(
        lambda: app_status(kube, control_ns, "ctl-guestbook")["sync"]["status"] == "OutOfSync", timeout=5
    )
    diff = next(
        r.diff for r in controller.states["ctl-guestbook"].result.resources if r.key.kind == "Deployment"
    )
    assert [c.path for c in diff.changes] == ["/spec/template/spec/containers/0/image"]


def test_new_commit_and_hard_refresh(kube, controller, control_ns, app_repo, kube_namespace):
    app_repo.commit({"guestbook/svc.yaml": yaml.safe_dump(SERVICE)}, "one")
    kube.apply(application("rev", control_ns, app_repo.url, kube_namespace))
    first = wait_for(lambda: app_status(kube, control_ns, "rev").get("sync", {}).get("revision"))
    second = app_repo.commit(
        {
            "guestbook/cm.yaml": yaml.safe_dump(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra"}, "data": {"a": "1"}}
            )
        },
        "two",
    )
    assert first != second
    controller.refresh("rev", hard=True)
    status = wait_for(
        lambda: (s := app_status(kube, control_ns, "rev"))["sync"].get("revision") == second and s
    )
    assert {r["name"] for r in status["resources"]} == {"guestbook-ui", "extra"}
    res = kube.resource_for("argoproj.io/v1alpha1", "Application")
    wait_for(
        lambda: (
            "argocd.argoproj.io/refresh"
            not in ((kube.get(res, control_ns, "rev")["metadata"].get("annotations")) or {})
        )
    )


def test_errors_become_conditions(kube, controller, control_ns, app_repo, kube_namespace):
    app_repo.commit(
        {"guestbook/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n"},
        "broken yaml",
    )
    kube.apply(application("broken", control_ns, app_repo.url, kube_namespace))
    status = wait_for(lambda: (s := app_status(kube, control_ns, "broken")).get("conditions") and s)
    assert status["sync"]["status"] == "Unknown"
    cond = status["conditions"][0]
    assert cond["type"] == "ComparisonError" and "bad.yaml" in cond["message"] and cond["lastTransitionTime"]

    missing_project = application("orphan", control_ns, app_repo.url, kube_namespace)
    missing_project["spec"]["project"] = "nope"
    kube.apply(missing_project)
    status = wait_for(lambda: (s := app_status(kube, control_ns, "orphan")).get("conditions") and s)
    assert status["conditions"][0]["type"] == "InvalidSpecError"
    assert "project nope which does not exist" in status["conditions"][0]["message"]

    bad_cluster = application("elsewhere", control_ns, app_repo.url, kube_namespace)
    bad_cluster["spec"]["destination"] = {"server": "https://10.9.9.9:6443", "namespace": "x"}
    kube.apply(bad_cluster)
    status = wait_for(lambda: (s := app_status(kube, control_ns, "elsewhere")).get("conditions") and s)
    assert "has not been configured" in status["conditions"][0]["message"]


def test_project_restrictions(kube, controller, control_ns, app_repo, kube_namespace):
    app_repo.commit(
        {
            "guestbook/svc.yaml": yaml.safe_dump(SERVICE),
            "guestbook/ns.yaml": yaml.safe_dump(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "extra-ns"}}
            ),
        },
        "p",
    )
    kube.apply(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "team", "namespace": control_ns},
            "spec": {
                "sourceRepos": [app_repo.url],
                "destinations": [{"server": "https://kubernetes.default.svc", "namespace": kube_namespace}],
            },
        }
    )
    app = application("restricted", control_ns, app_repo.url, kube_namespace)
    app["spec"]["project"] = "team"
    kube.apply(app)
    status = wait_for(lambda: (s := app_status(kube, control_ns, "restricted")).get("conditions") and s)
    assert any(
        "resource :Namespace is not permitted in project team" in c["message"] for c in status["conditions"]
    )

    other = application("wrong-repo", control_ns, "git://127.0.0.1:1/other.git", kube_namespace)
    other["spec"]["project"] = "team"
    kube.apply(other)
    status = wait_for(lambda: (s := app_status(kube, control_ns, "wrong-repo")).get("conditions") and s)
    assert "is not permitted in project 'team'" in status["conditions"][0]["message"]


def test_core_view_compares_without_a_running_controller(
    kube, control_ns, app_repo, kube_namespace, tmp_path
):
    """The CLI's core mode: the same comparison from GETs, settings read from the namespace."""
    from kedge.controller.inspect import CoreView
    from kedge.repo.config import RepoServerConfig
    from kedge.repo.server import RepoServer

    app_repo.commit({"guestbook/svc.yaml": yaml.safe_dump(SERVICE)}, "svc")
    kube.apply(application("inspect", control_ns, app_repo.url, kube_namespace))
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": control_ns},
            "data": {
                "resource.customizations.ignoreDifferences._Service": "jsonPointers:\n- /spec/selector\n"
            },
        }
    )
    view = CoreView(
        kube, control_ns, repo=RepoServer(RepoServerConfig(cache_dir=tmp_path / "c", exec_timeout=30))
    )
    _, result = view.compare("inspect")
    assert [(r.key.kind, r.status, r.health["status"]) for r in result.resources] == [
        ("Service", "OutOfSync", "Missing")
    ]

    live = tracked(SERVICE, "inspect", kube_namespace)
    live["spec"]["selector"] = {"app": "something-else"}  # ignored by argocd-cm
    kube.apply(live)
    _, result = view.compare("inspect")
    assert [(r.key.kind, r.status) for r in result.resources] == [("Service", "Synced")]

    local = tmp_path / "local"
    local.mkdir()
    changed = copy.deepcopy(SERVICE)
    changed["spec"]["ports"][0]["port"] = 8080
    (local / "svc.yaml").write_text(yaml.safe_dump(changed))
    _, result = view.compare("inspect", local=str(local))
    diff = result.resources[0].diff
    assert result.resources[0].status == "OutOfSync" and "+  - port: 8080" in diff.unified()


def test_shared_and_orphaned_resource_warnings(kube, controller, control_ns, app_repo, kube_namespace):
    app_repo.commit({"guestbook/svc.yaml": yaml.safe_dump(SERVICE)}, "svc")
    kube.apply(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "watchful", "namespace": control_ns},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"server": "*", "namespace": "*"}],
                "orphanedResources": {"warn": True, "ignore": [{"kind": "Secret"}]},
            },
        }
    )
    # the Service is already managed by another app
    kube.apply(tracked(SERVICE, "first-owner", kube_namespace))
    # two stray objects in the namespace: one counted, one ignored by the project
    kube.apply(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stray", "namespace": kube_namespace}}
    )
    kube.apply(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "stray", "namespace": kube_namespace}}
    )
    app = application("second-owner", control_ns, app_repo.url, kube_namespace)
    app["spec"]["project"] = "watchful"
    kube.apply(app)
    status = wait_for(
        lambda: (
            (s := app_status(kube, control_ns, "second-owner")).get("conditions")
            and len(s["conditions"]) >= 2
            and s
        )
    )
    messages = {c["type"]: c["message"] for c in status["conditions"]}
    assert (
        messages["SharedResourceWarning"]
        == "Service/guestbook-ui is part of applications first-owner and second-owner"
    )
    assert messages["OrphanedResourceWarning"] == "Application has 1 orphaned resources"
