"""The write path's shortcuts keep the semantics they replace: the once-a-second timestamp, the
remembered label/annotation verdicts, and the store's copy of what callers hand it."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

from kedge.localcluster.store import Store, now_rfc3339
from kedge.localcluster.validation import validate_metadata


def test_now_rfc3339_is_the_current_second() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    text = now_rfc3339()
    after = datetime.now(UTC).replace(microsecond=0)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)
    assert before <= datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) <= after
    first = now_rfc3339()
    time.sleep(1.05)
    assert now_rfc3339() > first


def _meta(labels: dict, annotations: dict | None = None) -> dict:
    meta = {"name": "x", "namespace": "default", "labels": labels}
    if annotations is not None:
        meta["annotations"] = annotations
    return {"metadata": meta}


def test_label_verdicts_are_the_same_every_time() -> None:
    for _ in range(3):
        causes = validate_metadata(_meta({"app": "-bad-"}), "/v1/configmaps", False, True)
        assert [c["field"] for c in causes] == ["metadata.labels"]
        assert '"-bad-"' in causes[0]["message"]
        assert validate_metadata(_meta({"app": "good"}), "/v1/configmaps", False, True) == []
    long_value = "a" * 64
    causes = validate_metadata(_meta({"app": long_value}), "/v1/configmaps", False, True)
    assert "must be no more than 63 characters" in causes[0]["message"]
    long_key = "a" * 254 + "/name"
    causes = validate_metadata(_meta({}, {long_key: "v"}), "/v1/configmaps", False, True)
    assert "prefix part must be no more than 253 characters" in causes[0]["message"]
    causes = validate_metadata(_meta({"app": 5}), "/v1/configmaps", False, True)
    assert "must be a string" in causes[0]["message"]
    bad_ns = {"metadata": {"name": "x", "namespace": "Bad_NS"}}
    for _ in range(2):
        assert validate_metadata(bad_ns, "/v1/configmaps", False, True)[0]["field"] == "metadata.namespace"


def test_store_copies_what_callers_keep_unless_told_otherwise() -> None:
    store = Store(None)
    try:
        info = store.info("/v1/configmaps")
        mine = {"metadata": {"name": "kept", "labels": {"a": "b"}}, "data": {"k": "v"}}
        created = store.create_info(info, mine, "test", namespace="default")
        assert mine == {"metadata": {"name": "kept", "labels": {"a": "b"}}, "data": {"k": "v"}}
        assert created["metadata"]["uid"]
        mine = {"metadata": {"name": "kept", "labels": {"a": "c"}}, "data": {"k": "w"}}
        updated = store.update_info(info, mine, "", "test", namespace="default")
        assert "uid" not in mine["metadata"]
        assert updated["metadata"]["labels"] == {"a": "c"}
        given = {"metadata": {"name": "given"}, "data": {"k": "v"}}
        out = store.create_info(info, given, "test", namespace="default", copy=False)
        assert store.get("/v1/configmaps", "default", "given") == out
        given = {"metadata": {"name": "given"}, "data": {"k": "changed"}}
        out = store.update_info(info, given, "", "test", namespace="default", copy=False)
        assert store.get("/v1/configmaps", "default", "given")["data"] == {"k": "changed"}
    finally:
        store.close()


def test_list_item_keys_that_compare_equal_but_print_differently_stay_apart() -> None:
    from kedge.localcluster.patching.typed import _item_element
    from kedge.localcluster.typeinfo import root_type

    spec = root_type(("apps", "v1", "Deployment")).fields["spec"]
    pod = spec.fields["template"].fields["spec"]
    containers = pod.fields["containers"]
    ports = containers.elem.fields["ports"]  # keys containerPort + protocol
    env = containers.elem.fields["env"]  # key name
    assert _item_element(ports, {"containerPort": 80, "protocol": "TCP"}, 0, False) == (
        'k:{"containerPort":80,"protocol":"TCP"}'
    )
    assert _item_element(ports, {"containerPort": 80.0, "protocol": "TCP"}, 0, False) == (
        'k:{"containerPort":80.0,"protocol":"TCP"}'
    )
    assert _item_element(ports, {"containerPort": 80}, 0, False) == 'k:{"containerPort":80,"protocol":"TCP"}'
    assert _item_element(env, {"name": 1}, 0, False) == 'k:{"name":1}'
    assert _item_element(env, {"name": True}, 0, False) == 'k:{"name":true}'
    assert _item_element(env, {"name": 1.0}, 0, False) == 'k:{"name":1.0}'


def test_reapplying_unchanged_configuration_writes_nothing(local_cluster, kube_namespace) -> None:
    import ssl

    import httpx

    def apply(body: dict, manager: str, **params: str) -> httpx.Response:
        return client.patch(
            f"/api/v1/namespaces/{kube_namespace}/configmaps/app-config",
            params={"fieldManager": manager, **params},
            content=json.dumps(body),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )

    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "app-config", "labels": {"app": "web"}},
        "data": {"mode": "fast"},
    }
    with httpx.Client(
        base_url=local_cluster.url,
        verify=ssl.create_default_context(cafile=local_cluster.ca_path),
        headers={"Authorization": f"Bearer {local_cluster.token}"},
        timeout=10,
    ) as client:
        created = apply(config, "deployer")
        assert created.status_code == 201
        again = apply(config, "deployer")
        assert again.status_code == 200
        assert again.json() == created.json()
        rv = created.json()["metadata"]["resourceVersion"]
        assert (
            local_cluster.store.get("/v1/configmaps", kube_namespace, "app-config")["metadata"][
                "resourceVersion"
            ]
            == rv
        )
        # the same values from a second manager are a change: it becomes a co-owner
        shared = apply(config, "other")
        assert shared.status_code == 200
        assert shared.json()["metadata"]["resourceVersion"] != rv
        assert {e["manager"] for e in shared.json()["metadata"]["managedFields"]} == {"deployer", "other"}
        assert apply(config, "deployer", dryRun="All").json() == shared.json()
        changed = apply({**config, "data": {"mode": "slow"}}, "deployer", force="true")
        assert changed.json()["data"] == {"mode": "slow"}
        assert int(changed.json()["metadata"]["resourceVersion"]) > int(
            shared.json()["metadata"]["resourceVersion"]
        )
