"""The local cluster's store used in-process, as the simulator and `kedge up` use it."""

from __future__ import annotations

import time

import pytest

from kedge.localcluster.contract import AlreadyExistsError, ConflictError, InvalidError, NotFoundError
from kedge.localcluster.store import Store


@pytest.fixture
def store():
    s = Store()
    yield s
    s.close()


def _wait(cond, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def deploy(name="web", **spec):
    return {
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {"replicas": 1, **spec},
    }


def test_create_sets_server_fields_and_rejects_duplicates(store):
    d = store.create("apps/v1/deployments", deploy())
    meta = d["metadata"]
    assert d["apiVersion"] == "apps/v1" and d["kind"] == "Deployment"
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z") and meta["generation"] == 1
    assert int(meta["resourceVersion"]) == store.resource_version
    with pytest.raises(AlreadyExistsError):
        store.create("apps/v1/deployments", deploy())


def test_generation_bumps_on_spec_change_only_and_stale_update_conflicts(store):
    d = store.create("apps/v1/deployments", deploy())
    d["spec"]["replicas"] = 3
    d2 = store.update("apps/v1/deployments", d)
    assert d2["metadata"]["generation"] == 2
    with pytest.raises(ConflictError):
        store.update("apps/v1/deployments", d)  # stale resourceVersion
    d2["status"] = {"replicas": 3}
    d3 = store.update("apps/v1/deployments", d2, subresource="status")
    assert d3["status"] == {"replicas": 3} and d3["metadata"]["generation"] == 2
    # a main-resource update cannot change status
    d3["status"] = {"replicas": 9}
    d4 = store.update("apps/v1/deployments", d3)
    assert d4["status"] == {"replicas": 3}
    # an update that changes nothing keeps the resourceVersion
    assert (
        store.update("apps/v1/deployments", d4)["metadata"]["resourceVersion"]
        == d4["metadata"]["resourceVersion"]
    )


def test_generate_name_labels_and_owner_garbage_collection(store):
    events = []
    store.subscribe(lambda t, k, o: events.append((t, k, o["metadata"]["name"])))
    d = store.create("apps/v1/deployments", deploy())
    ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": d["metadata"]["uid"]}
    rs = store.create(
        "apps/v1/replicasets",
        {"metadata": {"generateName": "web-", "namespace": "default", "ownerReferences": [ref]}, "spec": {}},
    )
    assert rs["metadata"]["name"].startswith("web-") and len(rs["metadata"]["name"]) == 9
    assert [
        o["metadata"]["name"] for o in store.list("apps/v1/deployments", label_selector="app in (web,x)")
    ] == ["web"]
    assert store.list("apps/v1/deployments", label_selector="app!=web") == []
    store.delete("apps/v1/deployments", "default", "web")
    assert _wait(lambda: store.list("apps/v1/replicasets") == [])
    assert _wait(lambda: ("DELETED", "apps/v1/replicasets", rs["metadata"]["name"]) in events)
    assert events[0] == ("ADDED", "apps/v1/deployments", "web")


def test_finalizers_hold_deletion_until_removed(store):
    cm = store.create(
        "/v1/configmaps", {"metadata": {"name": "c", "finalizers": ["example.com/hold"]}, "data": {}}
    )
    store.delete("/v1/configmaps", "default", "c")
    held = store.get("/v1/configmaps", "default", "c")
    assert held["metadata"]["deletionTimestamp"]
    held["metadata"]["finalizers"] = []
    store.update("/v1/configmaps", held)
    assert store.get("/v1/configmaps", "default", "c") is None
    assert cm["metadata"]["uid"]


def test_invalid_names_and_missing_namespace(store):
    with pytest.raises(InvalidError) as e:
        store.create("/v1/configmaps", {"metadata": {"name": "Bad_Name"}})
    assert e.value.details["causes"][0]["field"] == "metadata.name"
    with pytest.raises(NotFoundError):
        store.create("/v1/configmaps", {"metadata": {"name": "x", "namespace": "nope"}})
    assert store.resource_for("apps/v1", "Deployment") == "apps/v1/deployments"
    assert store.resource_for("v1", "Nope") is None


def test_persistence_keeps_objects_and_resource_versions(tmp_path):
    path = str(tmp_path / "db.sqlite")
    s = Store(path)
    created = s.create("/v1/configmaps", {"metadata": {"name": "keep"}, "data": {"a": "1"}})
    s.create("/v1/configmaps", {"metadata": {"name": "gone"}})
    s.delete("/v1/configmaps", "default", "gone")
    rv = s.resource_version
    s.close()
    s2 = Store(path)
    try:
        assert s2.resource_version == rv
        assert s2.get("/v1/configmaps", "default", "keep") == created
        assert s2.get("/v1/configmaps", "default", "gone") is None
        again = s2.create("/v1/configmaps", {"metadata": {"name": "new"}})
        assert int(again["metadata"]["resourceVersion"]) == rv + 1
    finally:
        s2.close()


def test_immutable_fields_are_refused_like_the_api_server(store):
    d = store.create("apps/v1/deployments", deploy(selector={"matchLabels": {"app": "web"}}))
    d["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    with pytest.raises(InvalidError) as e:
        store.update("apps/v1/deployments", d)
    assert e.value.details["causes"][0]["field"] == "spec.selector"
    assert "field is immutable" in e.value.message
    svc = store.create("/v1/services", {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}})
    svc["spec"]["clusterIP"] = svc["spec"]["clusterIPs"] = None
    kept = store.update("/v1/services", svc)  # leaving clusterIP out keeps the allocated one
    assert kept["spec"]["clusterIP"].startswith("10.96.")
    kept["spec"]["clusterIP"] = "10.96.200.200"
    with pytest.raises(InvalidError, match="may not change once set"):
        store.update("/v1/services", kept)
    cm = store.create(
        "/v1/configmaps", {"metadata": {"name": "frozen"}, "data": {"a": "1"}, "immutable": True}
    )
    cm["data"] = {"a": "2"}
    with pytest.raises(InvalidError, match="immutable"):
        store.update("/v1/configmaps", cm)
    pod = store.create(
        "/v1/pods", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "a:1"}]}}
    )
    pod["spec"]["containers"][0]["image"] = "a:2"  # allowed
    pod = store.update("/v1/pods", pod)
    pod["spec"]["containers"][0]["command"] = ["sh"]
    with pytest.raises(InvalidError, match="pod updates may not change fields"):
        store.update("/v1/pods", pod)


def test_secret_string_data_is_folded_into_data(store):
    s = store.create(
        "/v1/secrets",
        {"metadata": {"name": "s"}, "data": {"a": "eA=="}, "stringData": {"b": "hello", "a": "y"}},
    )
    assert "stringData" not in s and s["data"] == {"a": "eQ==", "b": "aGVsbG8="} and s["type"] == "Opaque"
    s["stringData"] = {"c": "z"}
    s2 = store.update("/v1/secrets", s)
    assert s2["data"]["c"] == "eg==" and "stringData" not in s2


def test_event_window_is_bounded_and_old_watches_expire():
    from kedge.localcluster.contract import GoneError

    s = Store(event_window=5)
    try:
        info = s.info("/v1/configmaps")
        start = s.resource_version
        for i in range(10):
            s.create("/v1/configmaps", {"metadata": {"name": f"c{i}"}})
        with pytest.raises(GoneError):
            s.watch(info, "default", start, [], [], lambda *a: None)
        seen = []
        w = s.watch(info, "default", s.resource_version - 3, [], [], lambda t, raw, rv: seen.append(rv))
        w.close()
        assert seen == [s.resource_version - 2, s.resource_version - 1, s.resource_version]
    finally:
        s.close()


def test_old_events_expire(store):
    import time as _time

    store.create(
        "/v1/events",
        {
            "metadata": {"name": "old"},
            "involvedObject": {"kind": "Pod", "name": "p"},
            "lastTimestamp": "2020-01-01T00:00:00Z",
        },
    )
    store.create("/v1/events", {"metadata": {"name": "new"}, "involvedObject": {"kind": "Pod", "name": "p"}})
    assert store.expire_events(now=_time.time()) == 1
    assert [e["metadata"]["name"] for e in store.list("/v1/events")] == ["new"]
