"""JSON patch, JSON merge patch and strategic merge patch as the Kubernetes API server applies
them (kedge.localcluster.patching.apply_patch)."""

from __future__ import annotations

import copy
import json

import pytest

from kedge.localcluster.patching import PatchError, apply_patch

DEPLOY = ("apps", "v1", "Deployment")
POD = ("", "v1", "Pod")
SERVICE = ("", "v1", "Service")
CM = ("", "v1", "ConfigMap")
CUSTOM = ("example.com", "v1", "Widget")

JP = "application/json-patch+json"
MP = "application/merge-patch+json"
SMP = "application/strategic-merge-patch+json"


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "front"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "nginx:1.25",
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                            "args": ["--a", "--b"],
                        },
                        {"name": "sidecar", "image": "envoy:1"},
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "k1", "operator": "Exists"}],
                },
            },
        },
    }


def smp(live: dict, patch: dict, gvk=DEPLOY) -> dict:
    return apply_patch(live, json.dumps(patch).encode(), SMP, gvk)


def containers(obj: dict) -> list[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


# --- JSON patch ------------------------------------------------------------------------


def test_json_patch_ops_and_input_untouched():
    live = deployment()
    before = copy.deepcopy(live)
    ops = [
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "add", "path": "/metadata/labels/new", "value": "x"},
        {"op": "remove", "path": "/metadata/labels/tier"},
        {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--c"},
        {"op": "copy", "from": "/metadata/labels/app", "path": "/metadata/annotations"},
        {"op": "move", "from": "/metadata/annotations", "path": "/metadata/labels/moved"},
    ]
    out = apply_patch(live, json.dumps(ops).encode(), JP, DEPLOY)
    assert out["spec"]["replicas"] == 5
    assert out["metadata"]["labels"] == {"app": "web", "new": "x", "moved": "web"}
    assert containers(out)[0]["args"] == ["--a", "--b", "--c"]
    assert live == before
    out["spec"]["template"]["spec"]["containers"][0]["image"] = "changed"
    assert live == before, "the result must not share containers with the input"


def test_json_patch_test_op_passes_and_fails():
    live = deployment()
    ok = [
        {"op": "test", "path": "/spec/replicas", "value": 2},
        {"op": "replace", "path": "/spec/replicas", "value": 3},
    ]
    assert apply_patch(live, json.dumps(ok).encode(), JP, DEPLOY)["spec"]["replicas"] == 3
    bad = [
        {"op": "test", "path": "/spec/replicas", "value": 7},
        {"op": "replace", "path": "/spec/replicas", "value": 3},
    ]
    with pytest.raises(PatchError) as e:
        apply_patch(live, json.dumps(bad).encode(), JP, DEPLOY)
    assert e.value.code == 422 and e.value.reason == "Invalid"
    assert "test" in e.value.message.lower()
    assert live["spec"]["replicas"] == 2


@pytest.mark.parametrize(
    "body,code",
    [
        (b"not json", 400),
        (b'{"op": "add"}', 400),
        (b'[{"op": "frobnicate", "path": "/a"}]', 400),
        (b'[{"op": "add", "path": "/a"}]', 400),
        (b'[{"op": "move", "path": "/a"}]', 400),
        (b'[{"path": "/a", "value": 1}]', 400),
        (b'[{"op": "remove", "path": "/spec/nothere"}]', 422),
        (b'[{"op": "replace", "path": "/spec/template/spec/containers/9/image", "value": "x"}]', 422),
        (b'[{"op": "add", "path": "/spec/replicas/x", "value": 1}]', 422),
        (b'[{"op": "replace", "path": "", "value": [1, 2]}]', 422),
    ],
)
def test_json_patch_errors(body, code):
    with pytest.raises(PatchError) as e:
        apply_patch(deployment(), body, JP, DEPLOY)
    assert e.value.code == code
    assert e.value.reason == ("BadRequest" if code == 400 else "Invalid")
    assert e.value.message


def test_json_patch_works_on_custom_resources():
    live = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}}
    ops = [{"op": "replace", "path": "/spec/size", "value": 2}]
    assert apply_patch(live, json.dumps(ops).encode(), JP, CUSTOM, {"type": "object"})["spec"]["size"] == 2


# --- JSON merge patch ------------------------------------------------------------------


def test_merge_patch_merges_maps_and_nulls_delete():
    live = deployment()
    patch = {
        "metadata": {"labels": {"tier": None, "new": "y"}},
        "spec": {"replicas": 4, "strategy": {"rollingUpdate": None}},
    }
    out = apply_patch(live, json.dumps(patch).encode(), MP, DEPLOY)
    assert out["metadata"]["labels"] == {"app": "web", "new": "y"}
    assert out["spec"]["replicas"] == 4
    assert out["spec"]["strategy"] == {"type": "RollingUpdate"}
    assert live["metadata"]["labels"]["tier"] == "front"


def test_merge_patch_replaces_lists_whole():
    out = apply_patch(
        deployment(),
        json.dumps(
            {"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "x"}]}}}}
        ).encode(),
        MP,
        DEPLOY,
    )
    assert containers(out) == [{"name": "only", "image": "x"}]


def test_merge_patch_content_type_parameters_and_errors():
    out = apply_patch(
        deployment(), b'{"spec": {"paused": true}}', "application/merge-patch+json; charset=utf-8", DEPLOY
    )
    assert out["spec"]["paused"] is True
    with pytest.raises(PatchError) as e:
        apply_patch(deployment(), b"{broken", MP, DEPLOY)
    assert e.value.code == 400
    with pytest.raises(PatchError) as e:
        apply_patch(deployment(), b"[1, 2]", MP, DEPLOY)
    assert e.value.code == 422


def test_unknown_content_type_is_415():
    with pytest.raises(PatchError) as e:
        apply_patch(deployment(), b"{}", "application/xml", DEPLOY)
    assert e.value.code == 415 and e.value.reason == "UnsupportedMediaType"
    assert "application/strategic-merge-patch+json" in e.value.message


# --- strategic merge patch ---------------------------------------------------------------


def test_smp_is_415_for_custom_resources():
    live = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    with pytest.raises(PatchError) as e:
        apply_patch(live, b"{}", SMP, CUSTOM)
    assert e.value.code == 415
    assert "strategic" not in e.value.message
    with pytest.raises(PatchError) as e:
        apply_patch(live, b"{}", SMP, ("apps", "v1", "Deployment"), {"type": "object"})
    assert e.value.code == 415


def test_smp_merges_containers_by_name():
    out = smp(
        deployment(),
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.26"}]}}}},
    )
    cs = containers(out)
    assert [c["name"] for c in cs] == ["app", "sidecar"]
    assert cs[0]["image"] == "nginx:1.26"
    assert cs[0]["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]


def test_smp_appends_new_list_items():
    out = smp(
        deployment(), {"spec": {"template": {"spec": {"containers": [{"name": "new", "image": "busybox"}]}}}}
    )
    assert [c["name"] for c in containers(out)] == ["app", "sidecar", "new"]


def test_smp_env_by_name_ports_by_container_port_mounts_by_path():
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
                            "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}],
                            "volumeMounts": [{"mountPath": "/data", "readOnly": True}],
                        }
                    ]
                }
            }
        }
    }
    c = containers(smp(deployment(), patch))[0]
    assert c["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "20"},
        {"name": "C", "value": "3"},
    ]
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP", "name": "http"}, {"containerPort": 443}]
    assert c["volumeMounts"] == [{"name": "data", "mountPath": "/data", "readOnly": True}]


def test_smp_atomic_lists_are_replaced():
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "tolerations": [{"key": "k2", "operator": "Exists"}],
                    "containers": [{"name": "app", "args": ["--z"]}],
                }
            }
        }
    }
    out = smp(deployment(), patch)
    assert out["spec"]["template"]["spec"]["tolerations"] == [{"key": "k2", "operator": "Exists"}]
    assert containers(out)[0]["args"] == ["--z"]


def test_smp_service_ports_merge_on_port():
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {
            "ports": [
                {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
                {"name": "https", "port": 443},
            ]
        },
    }
    out = smp(svc, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}, SERVICE)
    assert out["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": 9090, "protocol": "TCP"},
        {"name": "https", "port": 443},
    ]


def test_smp_delete_directive_in_list_and_map():
    patch = {
        "metadata": {"labels": {"$patch": "delete"}},
        "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}},
    }
    out = smp(deployment(), patch)
    assert "labels" not in out["metadata"]
    assert [c["name"] for c in containers(out)] == ["app"]


def test_smp_replace_directive_in_list_and_map():
    patch = {
        "spec": {
            "strategy": {"$patch": "replace", "type": "Recreate"},
            "template": {"spec": {"containers": [{"name": "solo", "image": "x"}, {"$patch": "replace"}]}},
        }
    }
    out = smp(deployment(), patch)
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    assert containers(out) == [{"name": "solo", "image": "x"}]


def test_smp_retain_keys_clears_other_union_members():
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}}}
    out = smp(deployment(), patch)
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    vol_patch = {
        "spec": {
            "template": {
                "spec": {
                    "volumes": [
                        {"name": "data", "$retainKeys": ["name", "configMap"], "configMap": {"name": "cm"}}
                    ]
                }
            }
        }
    }
    out = smp(deployment(), vol_patch)
    assert out["spec"]["template"]["spec"]["volumes"] == [{"name": "data", "configMap": {"name": "cm"}}]


def test_smp_retain_keys_mismatch_is_422():
    with pytest.raises(PatchError) as e:
        smp(deployment(), {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}})
    assert e.value.code == 422


def test_smp_finalizers_are_a_merged_set_and_delete_from_primitive_list():
    live = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["a", "b"]}}
    out = smp(live, {"metadata": {"finalizers": ["b", "c"]}}, CM)
    assert out["metadata"]["finalizers"] == ["a", "b", "c"]
    out = smp(live, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, CM)
    assert out["metadata"]["finalizers"] == ["b"]


def test_smp_set_element_order():
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}],
                    "containers": [{"name": "app", "image": "nginx:2"}],
                }
            }
        }
    }
    out = smp(deployment(), patch)
    assert [c["name"] for c in containers(out)] == ["sidecar", "app"]
    assert containers(out)[1]["image"] == "nginx:2"


def test_smp_null_deletes_and_new_subtree_has_directives_processed():
    patch = {
        "metadata": {"labels": {"tier": None}, "annotations": {"a": "1", "gone": None}},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "new",
                            "image": "x",
                            "env": [{"name": "E", "value": "1"}, {"name": "F", "$patch": "delete"}],
                        }
                    ]
                }
            }
        },
    }
    out = smp(deployment(), patch)
    assert out["metadata"]["labels"] == {"app": "web"}
    assert out["metadata"]["annotations"] == {"a": "1"}
    assert containers(out)[-1]["env"] == [{"name": "E", "value": "1"}]


def test_smp_kubectl_style_three_way_patch():
    """A patch shaped like the one kubectl apply (client-side) sends."""
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
                    "containers": [
                        {
                            "$setElementOrder/env": [{"name": "A"}, {"name": "B"}],
                            "env": [{"name": "B", "value": "3"}],
                            "name": "app",
                        }
                    ],
                }
            }
        },
    }
    out = smp(deployment(), patch)
    assert containers(out)[0]["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]
    assert "kubectl.kubernetes.io/last-applied-configuration" in out["metadata"]["annotations"]


@pytest.mark.parametrize(
    "patch,code",
    [
        ([1, 2], 400),
        ({"spec": {"template": {"spec": {"containers": [{"image": "no-name"}]}}}}, 422),
        ({"spec": {"template": {"spec": {"containers": ["string"]}}}}, 422),
        ({"spec": {"$patch": "explode"}}, 400),
        ({"spec": {"strategy": {"$retainKeys": "type"}}}, 400),
        ({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}, 400),
        ({"spec": {"$unknownDirective": 1}}, 400),
        (
            {
                "spec": {
                    "template": {"spec": {"$setElementOrder/containers": [{"nope": 1}], "containers": []}}
                }
            },
            400,
        ),
    ],
)
def test_smp_errors(patch, code):
    with pytest.raises(PatchError) as e:
        smp(deployment(), patch)
    assert e.value.code == code
    assert e.value.message


def test_smp_invalid_json_is_400():
    with pytest.raises(PatchError) as e:
        apply_patch(deployment(), b'{"spec":', SMP, DEPLOY)
    assert e.value.code == 400


def test_smp_unknown_fields_merge_as_maps_and_replace_lists():
    live = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"x-custom": {"a": 1, "l": [1, 2]}},
    }
    out = smp(live, {"spec": {"x-custom": {"b": 2, "l": [3]}}}, POD)
    assert out["spec"]["x-custom"] == {"a": 1, "l": [3], "b": 2}


def test_smp_does_not_mutate_input():
    live = deployment()
    before = copy.deepcopy(live)
    smp(
        live,
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": "app", "image": "x", "env": [{"name": "A", "value": "9"}]}]
                    }
                }
            }
        },
    )
    assert live == before
