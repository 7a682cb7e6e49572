"""The cluster cache against Kedge's local cluster (real HTTP, real watch streams)."""

import time

import pytest

from kedge.health import ResourceOverrides, assess
from kedge.kube.cache import ClusterCache, is_excluded
from kedge.kube.client import KubeClient, KubeError
from kedge.kube.keys import ResourceKey


def wait_for(cond, timeout=15.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


@pytest.fixture
def client(local_cluster):
    c = KubeClient.from_kubeconfig(str(local_cluster.kubeconfig_path))
    yield c
    c.close()


@pytest.fixture
def cache(client):
    overrides = ResourceOverrides.from_configmap({})
    events = []
    c = ClusterCache(
        client,
        on_change=lambda key, entry, app: events.append((key, app)),
        health=lambda obj: assess(obj, overrides),
    )
    c.events = events
    c.start()
    assert c.wait_synced(30)
    yield c
    c.stop()


def tracked(name, ns, app, replicas=2, image="nginx:1.25"):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": ns,
            "annotations": {"argocd.argoproj.io/tracking-id": f"{app}:apps/Deployment:{ns}/{name}"},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]},
            },
        },
    }


def test_discovery_and_client_errors(client):
    kinds = {(r.group, r.kind) for r in client.preferred_resources()}
    assert ("apps", "Deployment") in kinds and ("", "Pod") in kinds
    with pytest.raises(KubeError) as err:
        client.resource_of({"apiVersion": "example.com/v1", "kind": "Widget"})
    assert err.value.status == 404 and "CustomResourceDefinition" in str(err.value)


def test_managed_objects_children_tree_and_health(client, cache, kube_namespace):
    client.apply(tracked("web", kube_namespace, "cache-gb"))
    key = ResourceKey("apps", "Deployment", kube_namespace, "web")
    wait_for(lambda: key in cache.managed("cache-gb"))
    entry = cache.get(key)
    assert entry.obj is not None and entry.obj["spec"]["replicas"] == 2
    # children arrive through the watch and are linked by ownerReferences
    nodes = wait_for(
        lambda: (lambda t: t if sum(n["kind"] == "Pod" for n in t) == 2 else None)(cache.tree("cache-gb"))
    )
    by_kind = {n["kind"] for n in nodes}
    assert by_kind == {"Deployment", "ReplicaSet", "Pod"}
    rs = next(n for n in nodes if n["kind"] == "ReplicaSet")
    assert rs["parentRefs"][0]["name"] == "web"
    wait_for(
        lambda: all(
            n.get("health", {}).get("status") == "Healthy"
            for n in cache.tree("cache-gb")
            if n["kind"] == "Pod"
        )
    )
    pod = next(n for n in cache.tree("cache-gb") if n["kind"] == "Pod")
    assert pod["images"] == ["nginx:1.25"]
    # unmanaged children are kept compact
    pod_entry = cache.get(ResourceKey("", "Pod", kube_namespace, pod["name"]))
    assert pod_entry.obj is None and pod_entry.app is None and cache.app_of(pod_entry) == "cache-gb"
    # changes to children notify the owning app
    assert any(app == "cache-gb" and k.kind == "Pod" for k, app in cache.events)


def test_deletion_and_untracking(client, cache, kube_namespace):
    client.apply(tracked("api", kube_namespace, "shop", replicas=1))
    key = ResourceKey("apps", "Deployment", kube_namespace, "api")
    wait_for(lambda: key in cache.managed("shop"))
    res = client.resource_for("apps/v1", "Deployment")
    client.delete(res, kube_namespace, "api")
    wait_for(lambda: key not in cache.managed("shop"))
    assert any(k == key and app == "shop" for k, app in cache.events)


def test_crd_appearing_starts_a_watch(client, cache, kube_namespace):
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.cache.example.com"},
        "spec": {
            "group": "cache.example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
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
    client.apply(crd)
    wait_for(
        lambda: (
            cache.get(
                ResourceKey(
                    "apiextensions.k8s.io", "CustomResourceDefinition", "", "widgets.cache.example.com"
                )
            )
            is not None
        )
    )
    widget = {
        "apiVersion": "cache.example.com/v1",
        "kind": "Widget",
        "metadata": {
            "name": "w1",
            "namespace": kube_namespace,
            "annotations": {
                "argocd.argoproj.io/tracking-id": f"gadgets:cache.example.com/Widget:{kube_namespace}/w1"
            },
        },
        "spec": {"size": 3},
    }
    wait_for(lambda: client.resource_for("cache.example.com/v1", "Widget") is not None)
    client.apply(widget)
    wait_for(
        lambda: ResourceKey("cache.example.com", "Widget", kube_namespace, "w1") in cache.managed("gadgets")
    )


def test_exclusions():
    assert is_excluded("", "Event", "https://x", [], [])
    assert is_excluded(
        "cilium.io", "CiliumIdentity", "https://x", [{"apiGroups": ["cilium.io"], "kinds": ["*"]}], []
    )
    assert not is_excluded("apps", "Deployment", "https://x", [{"apiGroups": ["cilium.io"]}], [])
    assert is_excluded("apps", "Deployment", "https://x", [], [{"apiGroups": [""], "kinds": ["ConfigMap"]}])
    assert is_excluded(
        "apps", "Deployment", "https://prod", [{"apiGroups": ["*"], "clusters": ["https://prod"]}], []
    )
