"""Structural facts of built-in kinds (kedge.localcluster.typeinfo), as Kubernetes declares them
with listType/listMapKey/mapType/patchMergeKey/patchStrategy."""

from __future__ import annotations

from kedge.localcluster.typeinfo import (
    LIST,
    MAP,
    STRUCT,
    UNTYPED,
    crd_root,
    empty_object,
    has_status_subresource,
    is_builtin,
    root_type,
)

DEPLOY = ("apps", "v1", "Deployment")


def pod_spec():
    return root_type(("", "v1", "Pod")).child("spec")


def test_pod_spec_list_facts():
    spec = pod_spec()
    containers = spec.child("containers")
    assert (containers.kind, containers.list_type, containers.keys, containers.patch_key) == (
        LIST,
        "map",
        ("name",),
        "name",
    )
    assert "merge" in containers.patch_strategy
    volumes = spec.child("volumes")
    assert volumes.keys == ("name",) and "retainKeys" in volumes.patch_strategy
    assert spec.child("tolerations").list_type == "atomic" and spec.child("tolerations").patch_key is None
    assert spec.child("hostAliases").keys == ("ip",)
    assert spec.child("imagePullSecrets").keys == ("name",)
    assert spec.child("topologySpreadConstraints").keys == ("topologyKey", "whenUnsatisfiable")
    node_selector = spec.child("nodeSelector")
    assert node_selector.kind == MAP and node_selector.atomic


def test_container_list_facts():
    c = pod_spec().child("containers").elem
    ports = c.child("ports")
    assert ports.keys == ("containerPort", "protocol") and ports.patch_key == "containerPort"
    assert ports.key_defaults == {"protocol": "TCP"}
    assert c.child("env").keys == ("name",)
    assert c.child("volumeMounts").keys == ("mountPath",) and c.child("volumeMounts").patch_key == "mountPath"
    assert c.child("args").list_type == "atomic" and c.child("command").list_type == "atomic"
    assert c.child("envFrom").list_type == "atomic"


def test_service_ports_and_metadata_facts():
    spec = root_type(("", "v1", "Service")).child("spec")
    ports = spec.child("ports")
    assert ports.keys == ("port", "protocol") and ports.patch_key == "port"
    assert spec.child("selector").atomic
    meta = root_type(("", "v1", "ConfigMap")).child("metadata")
    assert meta.child("finalizers").list_type == "set" and "merge" in meta.child("finalizers").patch_strategy
    assert meta.child("ownerReferences").keys == ("uid",)
    assert meta.child("labels").kind == MAP and not meta.child("labels").atomic
    assert meta.child("managedFields").list_type == "atomic"


def test_workload_facts():
    spec = root_type(DEPLOY).child("spec")
    assert spec.child("selector").kind == STRUCT and spec.child("selector").atomic
    assert spec.child("strategy").strategy == "retainKeys"
    assert root_type(DEPLOY).child("status").child("conditions").keys == ("type",)
    job_conditions = root_type(("batch", "v1", "Job")).child("status").child("conditions")
    assert job_conditions.list_type == "atomic" and job_conditions.patch_key == "type"
    assert (
        root_type(("apps", "v1", "StatefulSet")).child("spec").child("volumeClaimTemplates").list_type
        == "atomic"
    )
    assert (
        root_type(("policy", "v1", "PodDisruptionBudget")).child("spec").child("selector").strategy
        == "replace"
    )


def test_unknown_fields_and_kinds_are_untyped():
    assert pod_spec().child("no-such-field").kind == UNTYPED
    generic = root_type(("example.com", "v1", "Thing"))
    assert generic.child("metadata").child("ownerReferences").keys == ("uid",)
    assert generic.child("spec").kind == UNTYPED
    assert not is_builtin(("example.com", "v1", "Thing")) and is_builtin(("apps", "v1", "Deployment"))


def test_status_subresource_and_empty_object():
    assert has_status_subresource(DEPLOY) and has_status_subresource(("", "v1", "Pod"))
    assert not has_status_subresource(("", "v1", "ConfigMap"))
    assert empty_object(root_type(DEPLOY)) == {
        "metadata": {},
        "spec": {
            "selector": None,
            "template": {"metadata": {}, "spec": {"containers": None}},
            "strategy": {},
        },
        "status": {},
    }


def test_crd_schema_translation_and_cache():
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "ports": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["port", "protocol"],
                        "items": {
                            "type": "object",
                            "properties": {
                                "port": {"type": "integer"},
                                "protocol": {"type": "string", "default": "TCP"},
                            },
                        },
                    },
                    "badmap": {"type": "array", "x-kubernetes-list-type": "map", "items": {"type": "object"}},
                    "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                    "size": {"x-kubernetes-int-or-string": True},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    }
    root = crd_root(schema)
    assert crd_root(schema) is root
    spec = root.child("spec")
    assert spec.child("ports").keys == ("port", "protocol") and spec.child("ports").key_defaults == {
        "protocol": "TCP"
    }
    assert spec.child("badmap").list_type == "atomic", "a map list without keys falls back to atomic"
    assert spec.child("tags").list_type == "set"
    assert spec.child("labels").kind == MAP
    assert root.child("metadata").child("labels").kind == MAP
