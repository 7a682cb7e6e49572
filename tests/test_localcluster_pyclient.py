"""The calls Kedge's controller makes, through the official ``kubernetes`` client's DynamicClient."""

from __future__ import annotations

import threading

import pytest


@pytest.fixture(scope="module")
def dyn(local_cluster):
    from kubernetes import config, dynamic

    api_client = config.new_client_from_config(config_file=local_cluster.kubeconfig_path)
    yield dynamic.DynamicClient(api_client)
    api_client.close()


def deployment(name, image="nginx:1.25", replicas=1):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/instance": "demo"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]},
            },
        },
    }


def test_create_get_list_patch_replace_delete(dyn, kube_namespace):
    from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

    deploys = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    created = deploys.create(body=deployment("api"), namespace=kube_namespace)
    assert created.metadata.generation == 1
    got = deploys.get(name="api", namespace=kube_namespace)
    assert got.spec.template.spec.containers[0].image == "nginx:1.25"
    # defaulting is visible, as on a real cluster
    assert got.spec.strategy.type == "RollingUpdate"
    listed = deploys.get(namespace=kube_namespace, label_selector="app.kubernetes.io/instance=demo")
    assert [i.metadata.name for i in listed.items] == ["api"]
    patched = deploys.patch(
        name="api",
        namespace=kube_namespace,
        body={"spec": {"replicas": 3}},
        content_type="application/merge-patch+json",
    )
    assert patched.spec.replicas == 3 and patched.metadata.generation == 2
    smp = deploys.patch(
        name="api",
        namespace=kube_namespace,
        body={"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.26"}]}}}},
        content_type="application/strategic-merge-patch+json",
    )
    assert smp.spec.template.spec.containers[0].image == "nginx:1.26"
    # replace with optimistic concurrency (a ConfigMap: no simulated controller writes to it)
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cm = cms.create(
        body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "r"}, "data": {"a": "1"}},
        namespace=kube_namespace,
    )
    body = cm.to_dict()
    body["data"]["a"] = "2"
    assert cms.replace(body=body, namespace=kube_namespace).data.a == "2"
    with pytest.raises(ConflictError):
        cms.replace(body=body, namespace=kube_namespace)  # stale resourceVersion
    deploys.delete(name="api", namespace=kube_namespace)
    with pytest.raises(NotFoundError):
        deploys.get(name="api", namespace=kube_namespace)


def test_server_side_apply_as_argocd_controller_and_dry_run(dyn, kube_namespace):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    desired = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ssa", "namespace": kube_namespace},
        "data": {"a": "1"},
    }
    out = cms.server_side_apply(
        body=desired,
        name="ssa",
        namespace=kube_namespace,
        field_manager="argocd-controller",
        force_conflicts=True,
    )
    managers = {m.manager: m.operation for m in out.metadata.managedFields}
    assert managers == {"argocd-controller": "Apply"}
    rv = out.metadata.resourceVersion
    # applying the same thing again changes nothing
    again = cms.server_side_apply(
        body=desired,
        name="ssa",
        namespace=kube_namespace,
        field_manager="argocd-controller",
        force_conflicts=True,
    )
    assert again.metadata.resourceVersion == rv
    # a dry run shows the result without persisting it
    desired["data"] = {"a": "2"}
    dry = cms.server_side_apply(
        body=desired,
        name="ssa",
        namespace=kube_namespace,
        field_manager="argocd-controller",
        force_conflicts=True,
        dry_run="All",
    )
    assert dry.data.a == "2"
    assert cms.get(name="ssa", namespace=kube_namespace).data.a == "1"
    # another manager owning a field conflicts unless forced
    from kubernetes.dynamic.exceptions import ConflictError

    cms.patch(
        name="ssa",
        namespace=kube_namespace,
        body={"data": {"a": "x"}},
        content_type="application/merge-patch+json",
        field_manager="someone-else",
    )
    with pytest.raises(ConflictError):
        cms.server_side_apply(
            body=desired, name="ssa", namespace=kube_namespace, field_manager="argocd-controller"
        )
    forced = cms.server_side_apply(
        body=desired,
        name="ssa",
        namespace=kube_namespace,
        field_manager="argocd-controller",
        force_conflicts=True,
    )
    assert forced.data.a == "2"


def test_watch_delivers_events(dyn, local_cluster, kube_namespace):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    rv = cms.get(namespace=kube_namespace).metadata.resourceVersion
    seen = []

    def watch():
        for ev in cms.watch(namespace=kube_namespace, resource_version=rv, timeout=5):
            seen.append((ev["type"], ev["object"].metadata.name))
            if len(seen) == 3:
                return

    t = threading.Thread(target=watch)
    t.start()
    cms.create(
        body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w"}}, namespace=kube_namespace
    )
    cms.patch(
        name="w",
        namespace=kube_namespace,
        body={"data": {"k": "v"}},
        content_type="application/merge-patch+json",
    )
    cms.delete(name="w", namespace=kube_namespace)
    t.join(timeout=10)
    assert seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_custom_resources_through_discovery(dyn, local_cluster):
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    crds.create(
        body={
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "gizmos.kedge.test"},
            "spec": {
                "group": "kedge.test",
                "scope": "Namespaced",
                "names": {"plural": "gizmos", "kind": "Gizmo"},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            }
                        },
                    }
                ],
            },
        }
    )
    dyn.resources.invalidate_cache()
    gizmos = dyn.resources.get(api_version="kedge.test/v1", kind="Gizmo")
    gizmos.create(
        body={
            "apiVersion": "kedge.test/v1",
            "kind": "Gizmo",
            "metadata": {"name": "g"},
            "spec": {"free": {"form": 1}},
        },
        namespace="default",
    )
    assert gizmos.get(name="g", namespace="default").spec.free.form == 1
    crds.delete(name="gizmos.kedge.test")
    assert local_cluster.store.registry.lookup("kedge.test", "v1", "gizmos") is None
