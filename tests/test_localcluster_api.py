"""The local cluster's REST API over real HTTP: errors, selectors, pagination, watch, dry-run, CRDs."""

from __future__ import annotations

import json
import ssl
import threading
import time

import httpx
import pytest


@pytest.fixture
def api(local_cluster):
    with httpx.Client(
        base_url=local_cluster.url,
        verify=ssl.create_default_context(cafile=local_cluster.ca_path),
        headers={"Authorization": f"Bearer {local_cluster.token}"},
        timeout=10,
    ) as client:
        yield client


def cm(name, **labels):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"k": name},
    }


def test_bad_token_is_unauthorized_and_health_is_public(local_cluster, api):
    r = httpx.get(
        local_cluster.url + "/api/v1/namespaces",
        verify=ssl.create_default_context(cafile=local_cluster.ca_path),
        headers={"Authorization": "Bearer nope"},
    )
    assert r.status_code == 401 and r.json()["reason"] == "Unauthorized" and r.json()["kind"] == "Status"
    assert (
        httpx.get(
            local_cluster.url + "/healthz", verify=ssl.create_default_context(cafile=local_cluster.ca_path)
        ).text
        == "ok"
    )
    assert api.get("/version").json()["major"] == "1"


@pytest.mark.parametrize(
    "body, ctype, code, reason",
    [
        (b"{not json", "application/json", 400, "BadRequest"),
        (b"a: [unclosed", "application/yaml", 400, "BadRequest"),
        (b"[1, 2]", "application/json", 400, "BadRequest"),
        (
            json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}).encode(),
            "application/json",
            400,
            "BadRequest",
        ),
        (
            json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}).encode(),
            "application/json",
            422,
            "Invalid",
        ),
        (
            json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "UPPER"}}).encode(),
            "application/json",
            422,
            "Invalid",
        ),
        (
            json.dumps(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok", "labels": {"a": "b c"}}}
            ).encode(),
            "application/json",
            422,
            "Invalid",
        ),
        (b"x" * (1536 * 1024 + 10), "application/json", 413, "RequestEntityTooLarge"),
        (b"{}", "text/plain", 415, "UnsupportedMediaType"),
    ],
)
def test_bad_input_gets_a_status_never_a_500(api, kube_namespace, body, ctype, code, reason):
    r = api.post(
        f"/api/v1/namespaces/{kube_namespace}/configmaps", content=body, headers={"Content-Type": ctype}
    )
    assert r.status_code == code, r.text
    st = r.json()
    assert st["kind"] == "Status" and st["reason"] == reason and st["code"] == code


def test_not_found_already_exists_conflict_and_method_not_allowed(api, kube_namespace):
    base = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    r = api.get(base + "/missing")
    assert r.status_code == 404 and r.json()["details"] == {
        "name": "missing",
        "group": "",
        "kind": "configmaps",
    }
    assert api.post(base, json=cm("a")).status_code == 201
    exists = api.post(base, json=cm("a")).json()
    assert exists["reason"] == "AlreadyExists" and exists["details"]["name"] == "a"
    obj = api.get(base + "/a").json()
    obj["data"] = {"k": "new"}
    assert api.put(base + "/a", json=obj).status_code == 200
    r = api.put(base + "/a", json=obj)  # stale resourceVersion
    assert r.status_code == 409 and r.json()["reason"] == "Conflict"
    assert api.post(base + "/a", json=cm("a")).status_code == 405
    assert api.get("/apis/nope.example.com/v1/things").status_code == 404


def test_selectors_and_pagination(api, kube_namespace):
    base = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    for i in range(7):
        assert api.post(base, json=cm(f"c{i}", tier="a" if i % 2 else "b", idx=str(i))).status_code == 201
    names = lambda r: [o["metadata"]["name"] for o in r.json()["items"]]  # noqa: E731
    assert names(api.get(base, params={"labelSelector": "tier=a"})) == ["c1", "c3", "c5"]
    assert names(api.get(base, params={"labelSelector": "tier!=a,idx notin (0,2)"})) == ["c4", "c6"]
    assert names(api.get(base, params={"labelSelector": "idx in (1,2),tier"})) == ["c1", "c2"]
    assert names(api.get(base, params={"labelSelector": "!tier"})) == []
    assert names(api.get(base, params={"fieldSelector": "metadata.name=c3"})) == ["c3"]
    assert names(api.get(base, params={"fieldSelector": "metadata.name!=c3", "labelSelector": "tier=a"})) == [
        "c1",
        "c5",
    ]
    assert api.get(base, params={"labelSelector": "a in (b"}).status_code == 400
    assert api.get(base, params={"fieldSelector": "spec.bogus=1"}).status_code == 400
    seen, token = [], None
    while True:
        r = api.get(base, params={"limit": 3, **({"continue": token} if token else {})}).json()
        seen += [o["metadata"]["name"] for o in r["items"]]
        token = r["metadata"].get("continue")
        if not token:
            break
        assert r["metadata"]["remainingItemCount"] == 7 - len(seen)
    assert seen == [f"c{i}" for i in range(7)]


def test_dry_run_persists_nothing(api, kube_namespace):
    base = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    r = api.post(base, params={"dryRun": "All"}, json=cm("dry"))
    assert r.status_code == 201 and r.json()["metadata"]["uid"]
    assert api.get(base + "/dry").status_code == 404
    api.post(base, json=cm("real"))
    obj = api.get(base + "/real").json()
    obj["data"] = {"k": "changed"}
    assert api.put(base + "/real", params={"dryRun": "All"}, json=obj).json()["data"] == {"k": "changed"}
    assert api.get(base + "/real").json()["data"] == {"k": "real"}
    assert api.delete(base + "/real", params={"dryRun": "All"}).status_code == 200
    assert api.get(base + "/real").status_code == 200
    assert api.post(base, params={"dryRun": "Some"}, json=cm("x")).status_code == 400


def test_watch_from_resource_version_bookmarks_and_gone(api, local_cluster, kube_namespace):
    base = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    rv = api.get(base).json()["metadata"]["resourceVersion"]
    events = []

    def reader():
        with api.stream(
            "GET",
            base,
            params={"watch": "1", "resourceVersion": rv, "labelSelector": "w=yes", "timeoutSeconds": "3"},
        ) as r:
            for line in r.iter_lines():
                if line:
                    events.append(json.loads(line))
                    if len(events) >= 2:
                        return

    t = threading.Thread(target=reader)
    t.start()
    api.post(base, json=cm("w1", w="yes"))
    api.post(base, json=cm("w2", w="no"))
    obj = api.get(base + "/w1").json()
    obj["metadata"]["labels"]["w"] = "no"  # leaves the selector: seen as DELETED
    api.put(base + "/w1", json=obj)
    api.delete(base + "/w2")
    t.join(timeout=10)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events[:2]] == [
        ("ADDED", "w1"),
        ("DELETED", "w1"),
    ]
    # a resourceVersion older than the event window answers 410 Expired inside the stream
    store = local_cluster.store
    store._window_start, saved = store.resource_version, store._window_start
    try:
        r = api.get(base, params={"watch": "true", "resourceVersion": "1"})
        ev = json.loads(r.text.splitlines()[0])
        assert ev["type"] == "ERROR" and ev["object"]["code"] == 410 and ev["object"]["reason"] == "Expired"
    finally:
        store._window_start = saved
    # sendInitialEvents ends the initial state with a bookmark
    r = api.get(
        base,
        params={
            "watch": "1",
            "sendInitialEvents": "true",
            "allowWatchBookmarks": "true",
            "resourceVersionMatch": "NotOlderThan",
            "resourceVersion": "",
            "timeoutSeconds": "1",
        },
    )
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert lines[-1]["type"] == "BOOKMARK"
    assert lines[-1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert {x["object"]["metadata"]["name"] for x in lines[:-1]} == {"w1"}


def test_scale_subresource_and_status(api, kube_namespace):
    base = f"/apis/apps/v1/namespaces/{kube_namespace}/deployments"
    d = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "s"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "s"}},
            "template": {
                "metadata": {"labels": {"app": "s"}},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        },
    }
    assert api.post(base, json=d).status_code == 201
    scale = api.get(base + "/s/scale").json()
    assert (
        scale["kind"] == "Scale" and scale["spec"]["replicas"] == 1 and scale["status"]["selector"] == "app=s"
    )
    scale["spec"]["replicas"] = 4
    del scale["metadata"]["resourceVersion"]  # unconditional: the simulator writes status meanwhile
    assert api.put(base + "/s/scale", json=scale).json()["spec"]["replicas"] == 4
    got = api.get(base + "/s").json()
    assert got["spec"]["replicas"] == 4 and got["metadata"]["generation"] == 2


def test_crd_serves_and_removes_custom_resources(api, local_cluster):
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {
                                        "size": {"type": "integer"},
                                        "extra": {
                                            "type": "object",
                                            "x-kubernetes-preserve-unknown-fields": True,
                                        },
                                    },
                                },
                                "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
                            },
                        }
                    },
                }
            ],
        },
    }
    assert api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd).status_code == 201
    got = api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").json()
    assert {c["type"] for c in got["status"]["conditions"]} == {"NamesAccepted", "Established"}
    base = "/apis/example.com/v1/namespaces/default/widgets"
    w = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 1, "unknown": 1, "extra": {"any": {"thing": 1}}},
    }
    r = api.post(base, json=w)
    assert r.status_code == 201, r.text
    assert r.json()["spec"] == {"size": 1, "extra": {"any": {"thing": 1}}}  # pruned, preserved
    assert 'unknown field \\"spec.unknown\\"' in r.headers.get("warning", "")
    obj = r.json()
    obj["status"] = {"ready": True}
    obj["spec"]["size"] = 2
    updated = api.put(base + "/w", json=obj).json()
    assert updated["metadata"]["generation"] == 2 and "status" not in updated
    obj = api.put(base + "/w/status", json={**updated, "status": {"ready": True}}).json()
    assert obj["status"] == {"ready": True} and obj["metadata"]["generation"] == 2
    disc = api.get(
        "/apis", headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}
    )
    assert "example.com" in [g["metadata"]["name"] for g in disc.json()["items"]]
    assert (
        api.delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").status_code
        == 200
    )
    assert api.get(base).status_code == 404
    assert local_cluster.store.registry.lookup("example.com", "v1", "widgets") is None


def test_table_output_for_kubectl(api, kube_namespace):
    api.post(f"/api/v1/namespaces/{kube_namespace}/configmaps", json=cm("t"))
    r = api.get(
        f"/api/v1/namespaces/{kube_namespace}/configmaps",
        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"},
    )
    t = r.json()
    assert t["kind"] == "Table" and [c["name"] for c in t["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert t["rows"][0]["cells"][:2] == ["t", 1] and t["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_delete_collection_and_finalizers(api, local_cluster, kube_namespace):
    base = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    for i in range(3):
        api.post(base, json=cm(f"d{i}", group="x"))
    held = cm("held", group="x")
    held["metadata"]["finalizers"] = ["example.com/keep"]
    api.post(base, json=held)
    r = api.delete(base, params={"labelSelector": "group=x"})
    assert r.status_code == 200 and len(r.json()["items"]) == 4
    left = api.get(base).json()["items"]
    assert [o["metadata"]["name"] for o in left] == ["held"] and left[0]["metadata"]["deletionTimestamp"]
    obj = left[0]
    obj["metadata"]["finalizers"] = []
    assert api.put(base + "/held", json=obj).status_code == 200
    assert api.get(base + "/held").status_code == 404


def test_patch_errors_are_statuses(api, kube_namespace):
    base = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    api.post(base, json=cm("p"))
    r = api.patch(base + "/p", content=b"{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and r.json()["reason"] == "UnsupportedMediaType"
    r = api.patch(
        base + "/p",
        content=b'[{"op": "replace", "path": "/data/missing/deeper", "value": 1}]',
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert r.status_code in (400, 422) and r.json()["kind"] == "Status"
    r = api.patch(base + "/p", content=b"{not json", headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code in (400, 422) and r.json()["kind"] == "Status"
    r = api.patch(
        base + "/p",
        content=json.dumps(cm("p")).encode(),
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    assert r.status_code == 400 and "fieldManager" in r.json()["message"]
    r = api.patch(
        base + "/nope", content=b'{"data": {}}', headers={"Content-Type": "application/merge-patch+json"}
    )
    assert r.status_code == 404
    r = api.patch(
        base + "/p",
        params={"fieldManager": "me"},
        content=b"kind: [",
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    assert r.status_code == 400 and r.json()["reason"] == "BadRequest"


@pytest.fixture(scope="module")
def bare_cluster():
    """A cluster without the simulator, for pod states no kubelet may change."""
    from kedge.localcluster.cluster import LocalCluster

    with LocalCluster(in_memory=True) as lc:
        yield lc


def test_field_selectors_on_pods_and_events(bare_cluster):
    store = bare_cluster.store
    kube_namespace = "default"
    api = httpx.Client(
        base_url=bare_cluster.url,
        verify=ssl.create_default_context(cafile=bare_cluster.ca_path),
        headers={"Authorization": f"Bearer {bare_cluster.token}"},
        timeout=10,
    )
    for name, phase in (("a", "Running"), ("b", "Pending")):
        pod = store.create(
            "/v1/pods",
            {
                "metadata": {"name": name, "namespace": kube_namespace},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        )
        pod["status"] = {"phase": phase}
        store.update("/v1/pods", pod, subresource="status")
    r = api.get(
        f"/api/v1/namespaces/{kube_namespace}/pods",
        params={"fieldSelector": "status.phase=Running,metadata.name!=x"},
    )
    assert [p["metadata"]["name"] for p in r.json()["items"]] == ["a"]
    store.create(
        "/v1/events",
        {
            "metadata": {"name": "e1", "namespace": kube_namespace},
            "involvedObject": {"kind": "Pod", "name": "a", "namespace": kube_namespace},
            "reason": "Test",
            "type": "Normal",
        },
    )
    r = api.get(
        f"/api/v1/namespaces/{kube_namespace}/events",
        params={"fieldSelector": "involvedObject.kind=Pod,involvedObject.name=a,reason=Test"},
    )
    assert [e["metadata"]["name"] for e in r.json()["items"]] == ["e1"]
    api.close()


def test_orphan_propagation_keeps_dependents(api, local_cluster, kube_namespace):
    store = local_cluster.store
    owner = store.create("/v1/configmaps", {"metadata": {"name": "o", "namespace": kube_namespace}})
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": owner["metadata"]["uid"]}
    store.create(
        "/v1/configmaps", {"metadata": {"name": "d", "namespace": kube_namespace, "ownerReferences": [ref]}}
    )
    r = api.request(
        "DELETE", f"/api/v1/namespaces/{kube_namespace}/configmaps/o", json={"propagationPolicy": "Orphan"}
    )
    assert r.status_code in (200, 202)
    deadline = time.monotonic() + 5
    while store.get("/v1/configmaps", kube_namespace, "o") is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.get("/v1/configmaps", kube_namespace, "o") is None
    dep = store.get("/v1/configmaps", kube_namespace, "d")
    assert dep is not None and "ownerReferences" not in dep["metadata"]
    r = api.request(
        "DELETE", f"/api/v1/namespaces/{kube_namespace}/configmaps/d", json={"propagationPolicy": "Sideways"}
    )
    assert r.status_code == 400


def test_kind_and_api_version_default_from_the_url(api, kube_namespace):
    r = api.post(
        f"/api/v1/namespaces/{kube_namespace}/configmaps",
        json={"metadata": {"name": "bare"}, "data": {"a": "b"}},
    )
    assert r.status_code == 201 and r.json()["kind"] == "ConfigMap" and r.json()["apiVersion"] == "v1"
    r = api.post(
        f"/api/v1/namespaces/{kube_namespace}/configmaps",
        json={"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
    )
    assert r.status_code == 400


def test_unknown_fields_warn_and_are_dropped_by_default(api, kube_namespace):
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "extra", "bogus": 1},
        "data": {"a": "b"},
        "extra": {"x": 1},
    }
    r = api.post(f"/api/v1/namespaces/{kube_namespace}/configmaps", json=body)
    assert r.status_code == 201
    assert 'unknown field \\"extra\\"' in r.headers["warning"] and "metadata.bogus" in r.headers["warning"]
    got = api.get(f"/api/v1/namespaces/{kube_namespace}/configmaps/extra").json()
    assert "extra" not in got and "bogus" not in got["metadata"] and got["data"] == {"a": "b"}
    r = api.post(
        f"/api/v1/namespaces/{kube_namespace}/configmaps",
        params={"fieldValidation": "Strict"},
        json={**body, "metadata": {"name": "strict"}},
    )
    assert r.status_code == 400 and 'unknown field "extra"' in r.json()["message"]


def test_deeply_nested_objects_get_a_bad_request(api, kube_namespace):
    deep = '"x"'
    for _ in range(600):
        deep = '{"a":' + deep + "}"
    body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep","annotations":' + deep + "}}"
    r = api.post(
        f"/api/v1/namespaces/{kube_namespace}/configmaps",
        content=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422) and r.json()["kind"] == "Status"
    r = api.patch(
        f"/api/v1/namespaces/{kube_namespace}/configmaps/deep",
        params={"fieldManager": "m"},
        content=body.encode(),
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    assert r.status_code in (400, 422) and r.json()["kind"] == "Status"


def test_partial_object_metadata_for_metadata_clients(api, kube_namespace):
    base = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    api.post(base, json=cm("m", app="x"))
    accept = {"Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"}
    lst = api.get(base, headers=accept).json()
    assert lst["kind"] == "PartialObjectMetadataList" and lst["items"][0]["metadata"]["labels"] == {
        "app": "x"
    }
    assert "data" not in lst["items"][0]
    one = api.get(
        base + "/m", headers={"Accept": "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"}
    ).json()
    assert one["kind"] == "PartialObjectMetadata" and one["metadata"]["name"] == "m"


def test_custom_resources_are_validated_against_their_schema(api):
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "pumps.example.org"},
        "spec": {
            "group": "example.org",
            "scope": "Namespaced",
            "names": {"plural": "pumps", "kind": "Pump"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "required": ["spec"],
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "required": ["mode"],
                                    "properties": {
                                        "mode": {"type": "string", "enum": ["fast", "slow"]},
                                        "rate": {"type": "integer", "minimum": 1, "maximum": 10},
                                        "label": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8},
                                    },
                                }
                            },
                        }
                    },
                }
            ],
        },
    }
    assert api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd).status_code == 201
    base = "/apis/example.org/v1/namespaces/default/pumps"
    bad = {
        "apiVersion": "example.org/v1",
        "kind": "Pump",
        "metadata": {"name": "p"},
        "spec": {"mode": "turbo", "rate": 0, "label": "Bad1"},
    }
    r = api.post(base, json=bad)
    assert r.status_code == 422 and r.json()["reason"] == "Invalid"
    fields = {c["field"]: c["message"] for c in r.json()["details"]["causes"]}
    assert fields["spec.mode"] == 'Unsupported value: "turbo": supported values: "fast", "slow"'
    assert fields["spec.rate"] == "Invalid value: 0: spec.rate in body should be greater than or equal to 1"
    assert "should match '^[a-z]+$'" in fields["spec.label"]
    r = api.post(
        base, json={"apiVersion": "example.org/v1", "kind": "Pump", "metadata": {"name": "p"}, "spec": {}}
    )
    assert r.status_code == 422 and r.json()["details"]["causes"][0] == {
        "reason": "FieldValueRequired",
        "message": "Required value",
        "field": "spec.mode",
    }
    good = {
        "apiVersion": "example.org/v1",
        "kind": "Pump",
        "metadata": {"name": "p"},
        "spec": {"mode": "fast", "rate": 3},
    }
    assert api.post(base, json=good).status_code == 201
    # a partial apply is checked as the merged object: "mode" stays from the first manager
    r = api.patch(
        base + "/p",
        params={"fieldManager": "other", "force": "true"},
        json={"apiVersion": "example.org/v1", "kind": "Pump", "metadata": {"name": "p"}, "spec": {"rate": 5}},
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    assert r.status_code == 200 and r.json()["spec"] == {"mode": "fast", "rate": 5}
    r = api.patch(
        base + "/p",
        content=b'{"spec": {"rate": 11}}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert r.status_code == 422
    assert (
        api.delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/pumps.example.org").status_code
        == 200
    )
