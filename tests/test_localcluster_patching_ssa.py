"""Server-side apply and managedFields (kedge.localcluster.patching.server_side_apply /
record_update), scenario by scenario as the Kubernetes server-side apply documentation
describes them."""

from __future__ import annotations

import copy

import pytest

from kedge.localcluster.patching import PatchError, record_update, server_side_apply

CM = ("", "v1", "ConfigMap")
DEPLOY = ("apps", "v1", "Deployment")
SVC = ("", "v1", "Service")
WIDGET = ("example.com", "v1", "Widget")
T0, T1, T2, T3 = (f"2026-01-01T00:00:0{i}Z" for i in range(4))


def cm(data: dict | None = None, labels: dict | None = None) -> dict:
    obj: dict = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "test-cm", "namespace": "default"},
    }
    if labels is not None:
        obj["metadata"]["labels"] = labels
    if data is not None:
        obj["data"] = data
    return obj


def deploy(image: str = "nginx:1.25", replicas: int | None = 3, containers: list | None = None) -> dict:
    spec: dict = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": containers
                or [{"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}]
            },
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": spec,
    }


def entries(obj: dict) -> dict[str, dict]:
    return {f"{e['manager']}/{e['operation']}": e for e in obj["metadata"].get("managedFields", [])}


def fields(obj: dict, manager: str, op: str = "Apply") -> dict:
    return entries(obj)[f"{manager}/{op}"]["fieldsV1"]


# --- creation and entry shape --------------------------------------------------------------


def test_apply_creates_object_with_docs_shaped_entry():
    """The ConfigMap example of the server-side apply docs."""
    out = server_side_apply(None, cm({"key": "some value"}, {"test-label": "test"}), "kubectl", False, CM, T0)
    assert out["data"] == {"key": "some value"}
    assert out["metadata"]["labels"] == {"test-label": "test"}
    assert out["metadata"]["managedFields"] == [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "apiVersion": "v1",
            "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:key": {}}, "f:metadata": {"f:labels": {"f:test-label": {}}}},
        }
    ]


def test_apply_deployment_field_set_uses_keys_and_atomic_selector():
    out = server_side_apply(None, deploy(), "kubectl", False, DEPLOY, T0)
    f = fields(out, "kubectl")
    assert f["f:spec"]["f:selector"] == {}, "LabelSelector is an atomic struct"
    c = f["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']
    assert c["."] == {} and c["f:image"] == {} and c["f:name"] == {}
    # Container ports are keyed by containerPort+protocol; protocol defaults to TCP in the key.
    assert c["f:ports"] == {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}
    assert "f:metadata" not in f, "name and namespace are never owned"
    assert list(c)[0] == ".", "the item marker is written first, as the API server does"


def test_apply_refuses_managed_fields_in_body_and_missing_manager():
    body = cm({"a": "1"})
    body["metadata"]["managedFields"] = [{"manager": "x"}]
    with pytest.raises(PatchError) as e:
        server_side_apply(None, body, "kubectl", False, CM, T0)
    assert e.value.code == 400 and "managedFields must be nil" in e.value.message
    with pytest.raises(PatchError) as e:
        server_side_apply(None, cm({"a": "1"}), "", False, CM, T0)
    assert e.value.code == 400


@pytest.mark.parametrize(
    "containers,needle",
    [
        ([{"image": "x"}], 'omits key field "name"'),
        ([{"name": "a", "image": "x"}, {"name": "a", "image": "y"}], "duplicate entries"),
        ("notalist", "expected list"),
    ],
)
def test_apply_malformed_config_is_400(containers, needle):
    body = deploy()
    body["spec"]["template"]["spec"]["containers"] = containers
    with pytest.raises(PatchError) as e:
        server_side_apply(None, body, "kubectl", False, DEPLOY, T0)
    assert e.value.code == 400 and e.value.reason == "BadRequest"
    assert needle in e.value.message
    assert ".spec.template.spec.containers" in e.value.message


# --- conflicts -------------------------------------------------------------------------


def test_conflict_between_two_appliers():
    live = server_side_apply(None, deploy(replicas=3), "alice", False, DEPLOY, T0)
    with pytest.raises(PatchError) as e:
        server_side_apply(live, deploy(replicas=5), "bob", False, DEPLOY, T1)
    err = e.value
    assert err.code == 409 and err.reason == "Conflict"
    assert err.message == 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas'
    assert err.causes == [
        {"type": "FieldManagerConflict", "message": 'conflict with "alice"', "field": ".spec.replicas"}
    ]


def test_conflict_message_lists_every_field_and_update_manager_version():
    live = record_update(None, deploy(), "kubectl-client-side-apply", "Create", DEPLOY, T0)
    with pytest.raises(PatchError) as e:
        server_side_apply(live, deploy(image="nginx:2", replicas=9), "kubectl", False, DEPLOY, T1)
    msg = e.value.message
    assert msg.startswith(
        'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:'
    )
    assert "\n- .spec.replicas" in msg
    assert '\n- .spec.template.spec.containers[name="nginx"].image' in msg
    assert {c["field"] for c in e.value.causes} == {
        ".spec.replicas",
        '.spec.template.spec.containers[name="nginx"].image',
    }


def test_force_transfers_ownership():
    live = server_side_apply(None, deploy(replicas=3), "alice", False, DEPLOY, T0)
    out = server_side_apply(live, deploy(replicas=5), "bob", True, DEPLOY, T1)
    assert out["spec"]["replicas"] == 5
    assert "f:replicas" not in fields(out, "alice")["f:spec"]
    assert "f:replicas" in fields(out, "bob")["f:spec"]
    # Shared fields with equal values stay shared.
    assert "f:selector" in fields(out, "alice")["f:spec"] and "f:selector" in fields(out, "bob")["f:spec"]


def test_shared_ownership_for_equal_values_then_conflict_on_change():
    live = server_side_apply(None, deploy(replicas=3), "alice", False, DEPLOY, T0)
    shared = server_side_apply(live, deploy(replicas=3), "bob", False, DEPLOY, T1)
    assert "f:replicas" in fields(shared, "alice")["f:spec"]
    assert "f:replicas" in fields(shared, "bob")["f:spec"]
    with pytest.raises(PatchError) as e:
        server_side_apply(shared, deploy(replicas=4), "alice", False, DEPLOY, T2)
    assert 'conflict with "bob"' in e.value.message


def test_owner_changes_its_own_field_without_conflict():
    live = server_side_apply(None, deploy(replicas=3), "alice", False, DEPLOY, T0)
    out = server_side_apply(live, deploy(replicas=7), "alice", False, DEPLOY, T1)
    assert out["spec"]["replicas"] == 7
    assert entries(out)["alice/Apply"]["time"] == T1


def test_update_never_conflicts_and_takes_ownership():
    """The docs' multi-manager example: an update by kube-controller-manager moves data.key."""
    live = server_side_apply(
        None, cm({"key": "some value"}, {"test-label": "test"}), "kubectl", False, CM, T0
    )
    changed = copy.deepcopy(live)
    changed["data"]["key"] = "new value"
    out = record_update(live, changed, "kube-controller-manager", "Update", CM, T1)
    assert out["metadata"]["managedFields"] == [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "apiVersion": "v1",
            "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:test-label": {}}}},
        },
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "apiVersion": "v1",
            "time": T1,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:key": {}}},
        },
    ]
    # "If this update has instead been attempted using Server-Side Apply, the request would have
    # failed due to conflicting ownership": kubectl re-applying its old value now conflicts.
    with pytest.raises(PatchError) as e:
        server_side_apply(out, cm({"key": "some value"}, {"test-label": "test"}), "kubectl", False, CM, T2)
    assert e.value.message == (
        'Apply failed with 1 conflict: conflict with "kube-controller-manager" using v1: .data.key'
    )


# --- removal ---------------------------------------------------------------------------


def test_reapply_without_field_removes_it():
    live = server_side_apply(None, cm({"a": "1", "b": "2"}, {"x": "1"}), "kubectl", False, CM, T0)
    out = server_side_apply(live, cm({"a": "1"}), "kubectl", False, CM, T1)
    assert out["data"] == {"a": "1"}
    assert "labels" not in out["metadata"], "a map left empty by pruning goes away"
    assert fields(out, "kubectl") == {"f:data": {"f:a": {}}}


def test_reapply_keeps_field_another_manager_owns():
    live = server_side_apply(None, cm({"a": "1", "b": "2"}), "alice", False, CM, T0)
    live = server_side_apply(live, cm({"b": "2"}), "bob", False, CM, T1)
    out = server_side_apply(live, cm({"a": "1"}), "alice", False, CM, T2)
    assert out["data"] == {"a": "1", "b": "2"}
    assert fields(out, "bob") == {"f:data": {"f:b": {}}}
    assert fields(out, "alice") == {"f:data": {"f:a": {}}}


def test_giving_up_a_shared_field_keeps_the_value():
    live = server_side_apply(None, deploy(replicas=3), "alice", False, DEPLOY, T0)
    live = server_side_apply(live, deploy(replicas=3), "bob", False, DEPLOY, T1)
    out = server_side_apply(live, deploy(replicas=None), "alice", False, DEPLOY, T2)
    assert out["spec"]["replicas"] == 3
    assert "f:replicas" not in fields(out, "alice")["f:spec"]


def test_removing_a_list_item_removes_it_whole():
    two = [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]
    live = server_side_apply(None, deploy(containers=two), "kubectl", False, DEPLOY, T0)
    # Fields nobody owns (defaults written by the server) go with the item.
    live["spec"]["template"]["spec"]["containers"][1]["terminationMessagePath"] = "/dev/termination-log"
    out = server_side_apply(live, deploy(containers=[two[0]]), "kubectl", False, DEPLOY, T1)
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["a"]


def test_fields_not_owned_by_anyone_survive_reapply():
    live = server_side_apply(None, deploy(), "kubectl", False, DEPLOY, T0)
    live["spec"]["revisionHistoryLimit"] = 10  # a server default
    out = server_side_apply(live, deploy(image="nginx:2"), "kubectl", False, DEPLOY, T1)
    assert out["spec"]["revisionHistoryLimit"] == 10
    assert out["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"


def test_update_removing_a_field_drops_it_from_every_set():
    live = server_side_apply(None, cm({"a": "1", "b": "2"}), "alice", False, CM, T0)
    changed = copy.deepcopy(live)
    del changed["data"]["b"]
    out = record_update(live, changed, "editor", "Update", CM, T1)
    assert fields(out, "alice") == {"f:data": {"f:a": {}}}
    assert "editor/Update" not in entries(out), "a pure removal gives the updater nothing"


# --- list semantics ----------------------------------------------------------------------


def test_associative_list_items_owned_separately():
    live = server_side_apply(
        None, deploy(containers=[{"name": "a", "image": "x"}]), "alice", False, DEPLOY, T0
    )
    both = [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]
    body = deploy(containers=[{"name": "b", "image": "y"}])
    out = server_side_apply(live, body, "bob", False, DEPLOY, T1)
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == [c["name"] for c in both]
    assert 'k:{"name":"b"}' in fields(out, "bob")["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert 'k:{"name":"b"}' not in fields(out, "alice")["f:spec"]["f:template"]["f:spec"]["f:containers"]


def test_atomic_list_owned_as_one_field_and_replaced():
    body = deploy(containers=[{"name": "a", "image": "x", "args": ["--one", "--two"]}])
    body["spec"]["template"]["spec"]["tolerations"] = [{"key": "k", "operator": "Exists"}]
    live = server_side_apply(None, body, "alice", False, DEPLOY, T0)
    pod = fields(live, "alice")["f:spec"]["f:template"]["f:spec"]
    assert pod["f:tolerations"] == {}
    assert pod["f:containers"]['k:{"name":"a"}']["f:args"] == {}
    other = deploy(containers=[{"name": "a", "image": "x", "args": ["--three"]}])
    with pytest.raises(PatchError) as e:
        server_side_apply(live, other, "bob", False, DEPLOY, T1)
    assert '.spec.template.spec.containers[name="a"].args' in e.value.message


def test_service_ports_keyed_by_port_and_protocol():
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}]},
    }
    out = server_side_apply(None, body, "kubectl", False, SVC, T0)
    ports = fields(out, "kubectl")["f:spec"]["f:ports"]
    assert ports == {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}, "f:targetPort": {}}}


def test_set_list_items_use_value_elements():
    body = cm({"a": "1"})
    body["metadata"]["finalizers"] = ["example.com/one"]
    live = server_side_apply(None, body, "alice", False, CM, T0)
    assert fields(live, "alice")["f:metadata"]["f:finalizers"] == {'v:"example.com/one"': {}}
    body2 = cm()
    body2["metadata"]["finalizers"] = ["example.com/two"]
    out = server_side_apply(live, body2, "bob", False, CM, T1)
    assert out["metadata"]["finalizers"] == ["example.com/one", "example.com/two"]


def test_merged_list_order_follows_config_for_shared_items():
    live = server_side_apply(
        None,
        deploy(containers=[{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]),
        "alice",
        False,
        DEPLOY,
        T0,
    )
    out = server_side_apply(
        live,
        deploy(containers=[{"name": "c", "image": "1"}, {"name": "a", "image": "1"}]),
        "bob",
        False,
        DEPLOY,
        T1,
    )
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["c", "a", "b"]


# --- status, no-ops, upgrades --------------------------------------------------------------


def test_status_is_ignored_on_main_resource_and_owned_on_subresource():
    body = deploy()
    body["status"] = {"replicas": 99}
    live = server_side_apply(None, body, "kubectl", False, DEPLOY, T0)
    assert "status" not in live and "f:status" not in fields(live, "kubectl")
    status_body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "status": {"replicas": 3},
        "spec": {"replicas": 100},
    }
    out = server_side_apply(live, status_body, "controller", False, DEPLOY, T1, subresource="status")
    assert out["status"] == {"replicas": 3}
    assert out["spec"]["replicas"] == 3
    e = entries(out)["controller/Apply"]
    assert e["subresource"] == "status" and e["fieldsV1"] == {"f:status": {"f:replicas": {}}}


def test_noop_apply_keeps_time():
    live = server_side_apply(None, deploy(), "kubectl", False, DEPLOY, T0)
    out = server_side_apply(live, deploy(), "kubectl", False, DEPLOY, T1)
    assert entries(out)["kubectl/Apply"]["time"] == T0
    assert out == live


def test_apply_does_not_mutate_inputs():
    live = server_side_apply(None, deploy(), "alice", False, DEPLOY, T0)
    before = copy.deepcopy(live)
    body = deploy(image="nginx:9")
    body_before = copy.deepcopy(body)
    out = server_side_apply(live, body, "alice", False, DEPLOY, T1)
    out["spec"]["template"]["spec"]["containers"][0]["name"] = "mutated"
    assert live == before and body == body_before


def test_before_first_apply_owns_existing_fields():
    live = cm({"key": "v"})  # created before field tracking: no managedFields
    with pytest.raises(PatchError) as e:
        server_side_apply(live, cm({"key": "other"}), "kubectl", False, CM, T1)
    assert 'conflict with "before-first-apply" using v1: .data.key' in e.value.message
    out = server_side_apply(live, cm({"key": "v", "more": "x"}), "kubectl", False, CM, T1)
    assert set(entries(out)) == {"kubectl/Apply", "before-first-apply/Update"}


def test_entries_sorted_apply_before_update():
    live = record_update(None, cm({"a": "1"}), "creator", "Create", CM, T0)
    out = server_side_apply(live, cm({"b": "2"}), "applier", False, CM, T1)
    assert [e["operation"] for e in out["metadata"]["managedFields"]] == ["Apply", "Update"]


# --- record_update -----------------------------------------------------------------------


def test_create_entry_matches_kubectl_create_shape():
    obj = deploy()
    obj["metadata"]["labels"] = {"app": "web"}
    obj["spec"]["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    obj["spec"]["template"]["spec"]["securityContext"] = {}
    out = record_update(None, obj, "kubectl-create", "Create", DEPLOY, T0)
    [entry] = out["metadata"]["managedFields"]
    assert (
        entry["operation"] == "Update"
        and entry["manager"] == "kubectl-create"
        and entry["apiVersion"] == "apps/v1"
    )
    f = entry["fieldsV1"]
    assert f["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}
    spec = f["f:spec"]
    assert "." not in spec and "." not in spec["f:strategy"] and "." not in spec["f:template"]
    assert spec["f:strategy"]["f:rollingUpdate"] == {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}}
    assert spec["f:selector"] == {}
    pod = spec["f:template"]["f:spec"]
    assert "." not in pod["f:containers"]
    assert pod["f:securityContext"] == {}
    item = pod["f:containers"]['k:{"name":"nginx"}']
    assert item["f:ports"] == {
        ".": {},
        'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}},
    }


def test_update_time_changes_only_when_fields_change():
    live = record_update(None, cm({"a": "1"}), "m", "Create", CM, T0)
    same = record_update(live, copy.deepcopy(live), "m", "Update", CM, T1)
    assert entries(same)["m/Update"]["time"] == T0
    changed = copy.deepcopy(live)
    changed["data"]["b"] = "2"
    out = record_update(live, changed, "m", "Update", CM, T2)
    assert entries(out)["m/Update"]["time"] == T2
    assert entries(out)["m/Update"]["fieldsV1"] == {"f:data": {".": {}, "f:a": {}, "f:b": {}}}


def test_client_can_reset_managed_fields():
    live = record_update(None, cm({"a": "1"}), "m", "Create", CM, T0)
    reset = copy.deepcopy(live)
    reset["metadata"]["managedFields"] = [{}]
    out = record_update(live, reset, "m", "Update", CM, T1)
    assert "managedFields" not in out["metadata"]


def test_client_supplied_managed_fields_replace_stored_ones():
    live = record_update(None, cm({"a": "1"}), "m", "Create", CM, T0)
    new = copy.deepcopy(live)
    new["metadata"]["managedFields"] = [
        {
            "manager": "imported",
            "operation": "Apply",
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:a": {}}},
        }
    ]
    out = record_update(live, new, "m", "Update", CM, T1)
    assert set(entries(out)) == {"imported/Apply"}
    bad = copy.deepcopy(live)
    bad["metadata"]["managedFields"] = [{"manager": "x", "operation": "Frobnicate", "fieldsV1": {}}]
    with pytest.raises(PatchError) as e:
        record_update(live, bad, "m", "Update", CM, T1)
    assert e.value.code == 422 and e.value.causes[0]["field"] == "metadata.managedFields[0]"


def test_status_update_is_recorded_with_subresource():
    live = record_update(None, deploy(), "kubectl", "Create", DEPLOY, T0)
    new = copy.deepcopy(live)
    new["status"] = {"replicas": 3, "conditions": [{"type": "Available", "status": "True"}]}
    out = record_update(live, new, "kube-controller-manager", "Update", DEPLOY, T1, subresource="status")
    e = entries(out)["kube-controller-manager/Update"]
    assert e["subresource"] == "status"
    assert e["fieldsV1"] == {
        "f:status": {
            ".": {},
            "f:conditions": {".": {}, 'k:{"type":"Available"}': {".": {}, "f:status": {}, "f:type": {}}},
            "f:replicas": {},
        }
    }
    main = copy.deepcopy(out)
    main["status"]["replicas"] = 4
    main["spec"]["replicas"] = 4
    out2 = record_update(out, main, "scaler", "Update", DEPLOY, T2)
    assert entries(out2)["scaler/Update"]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}


# --- custom resources ----------------------------------------------------------------------

SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["id"],
                    "items": {
                        "type": "object",
                        "properties": {"id": {"type": "string"}, "v": {"type": "integer"}},
                    },
                },
                "tags": {"type": "array", "items": {"type": "string"}},
                "sel": {
                    "type": "object",
                    "x-kubernetes-map-type": "atomic",
                    "additionalProperties": {"type": "string"},
                },
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        }
    },
}


def widget(spec: dict) -> dict:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def test_custom_resource_schema_list_and_map_types():
    body = widget(
        {"items": [{"id": "a", "v": 1}], "tags": ["x"], "sel": {"k": "v"}, "free": {"deep": {"n": 1}}}
    )
    out = server_side_apply(None, body, "alice", False, WIDGET, T0, schema=SCHEMA)
    f = fields(out, "alice")["f:spec"]
    assert f["f:items"] == {'k:{"id":"a"}': {".": {}, "f:id": {}, "f:v": {}}}
    assert f["f:tags"] == {}, "lists default to atomic in a CRD"
    assert f["f:sel"] == {}
    assert f["f:free"] == {"f:deep": {".": {}, "f:n": {}}}, "undeclared keys are members too"
    more = server_side_apply(
        out, widget({"items": [{"id": "b", "v": 2}]}), "bob", False, WIDGET, T1, schema=SCHEMA
    )
    assert [i["id"] for i in more["spec"]["items"]] == ["a", "b"]
    with pytest.raises(PatchError):
        server_side_apply(more, widget({"tags": ["y"]}), "bob", False, WIDGET, T2, schema=SCHEMA)


def test_custom_resource_status_applied_on_main_resource_without_subresource():
    body = widget({"items": []})
    body["status"] = {"ready": True}
    out = server_side_apply(None, body, "alice", False, WIDGET, T0, schema=SCHEMA)
    assert out["status"] == {"ready": True}
    out = server_side_apply(None, body, "alice", False, WIDGET, T0, schema=SCHEMA, status_subresource=True)
    assert "status" not in out


def test_csa_upgrade_keeps_maps_the_new_apply_still_sets():
    """kubectl apply --server-side on a client-side-applied object first rewrites the
    kubectl-client-side-apply entry into a "kubectl" Apply entry (whose sets carry ``.`` on maps);
    the apply that follows prunes only what the manifest dropped, never a whole map it still sets."""
    obj = deploy()
    obj["metadata"]["labels"] = {"app": "web"}
    obj["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
    live = record_update(None, obj, "kubectl-client-side-apply", "Create", DEPLOY, T0)
    upgraded = copy.deepcopy(live)
    entry = upgraded["metadata"]["managedFields"][0]
    entry.update({"manager": "kubectl", "operation": "Apply"})
    live = record_update(live, upgraded, "kubectl", "Patch", DEPLOY, T1)
    body = deploy()
    body["metadata"]["labels"] = {"app": "web"}
    out = server_side_apply(live, body, "kubectl", False, DEPLOY, T2)
    assert out["metadata"]["labels"] == {"app": "web"}
    assert out["spec"]["template"]["metadata"]["labels"] == {"app": "web"}
    assert "annotations" not in out["metadata"], "the dropped annotation is pruned, the emptied map too"
    assert fields(out, "kubectl")["f:metadata"] == {"f:labels": {"f:app": {}}}


def test_null_in_apply_config_clears_the_field():
    body = deploy()
    body["spec"]["paused"] = None
    created = server_side_apply(None, body, "kubectl", False, DEPLOY, T0)
    assert "paused" not in created["spec"]
    live = server_side_apply(None, deploy(replicas=3), "kubectl", False, DEPLOY, T0)
    out = server_side_apply(
        live,
        deploy(replicas=None) | {"spec": {**deploy()["spec"], "replicas": None}},
        "kubectl",
        False,
        DEPLOY,
        T1,
    )
    assert "replicas" not in out["spec"]


def test_update_managers_are_capped_into_ancient_changes():
    live = record_update(None, cm({"k0": "v"}), "m00", "Create", CM, "2026-01-01T00:00:00Z")
    for i in range(1, 12):
        new = copy.deepcopy(live)
        new["data"][f"k{i}"] = "v"
        live = record_update(live, new, f"m{i:02d}", "Update", CM, f"2026-01-01T00:00:{i:02d}Z")
    names = [e["manager"] for e in live["metadata"]["managedFields"]]
    assert len(names) == 10 + 1 - 1, names  # 10 Update entries at most
    assert "ancient-changes" in names and "m00" not in names and "m01" not in names and "m02" not in names
    ancient = entries(live)["ancient-changes/Update"]
    assert ancient["fieldsV1"]["f:data"].keys() >= {"f:k0", "f:k1", "f:k2"}
    assert ancient["time"] == "2026-01-01T00:00:02Z"
    assert "m11" in names
