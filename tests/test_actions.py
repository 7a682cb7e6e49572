"""Resource actions: built-in Lua actions, argocd-cm definitions, mergeBuiltinActions, new-style results."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from kedge.actions import ActionError, discover, run
from kedge.health import ResourceOverrides
from kedge.lua import LuaScriptError

DEPLOY = yaml.safe_load((Path(__file__).parent / "fixtures" / "lua" / "deployment.yaml").read_text())


def names(actions):
    return {a["name"]: a["disabled"] for a in actions}


def test_builtin_deployment_actions():
    assert names(discover(DEPLOY)) == {"pause": False, "restart": False, "resume": True, "scale": False}
    scale = next(a for a in discover(DEPLOY) if a["name"] == "scale")
    assert scale["params"] == [{"name": "replicas"}]


def test_restart_stamps_the_pod_template_like_kubectl():
    [out] = run(DEPLOY, "restart")
    assert out["operation"] == "patch"
    stamp = out["resource"]["spec"]["template"]["metadata"]["annotations"][
        "kubectl.kubernetes.io/restartedAt"
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)


def test_action_returning_obj_round_trips_exactly():
    [out] = run(DEPLOY, "scale", {"replicas": "5"})
    expected = copy.deepcopy(DEPLOY)
    expected["spec"]["replicas"] = 5
    del expected["spec"]["template"]["metadata"]["creationTimestamp"]  # JSON null never reaches Lua
    assert out["resource"] == expected
    assert type(out["resource"]["spec"]["replicas"]) is int
    assert out["resource"]["spec"]["template"]["spec"]["securityContext"] == {}
    assert out["resource"]["spec"]["template"]["spec"]["volumes"] == []
    assert list(out["resource"]) == list(DEPLOY)


@pytest.mark.parametrize(
    "params,message",
    [
        ({}, "scale needs the parameter 'replicas'"),
        ({"replicas": ""}, "scale needs the parameter 'replicas'"),
        ({"replicas": "many"}, "must be a non-negative whole number, got 'many'"),
        ({"replicas": "2.5"}, "got '2.5'"),
    ],
)
def test_scale_validates_replicas(params, message):
    with pytest.raises(LuaScriptError) as info:
        run(DEPLOY, "scale", params)
    text = str(info.value)
    assert message in text
    assert "lua/actions/apps/Deployment/actions/scale/action.lua" in text
    assert "apps/Deployment default/guestbook-ui" in text


def test_unknown_action_lists_the_known_ones():
    with pytest.raises(
        ActionError, match=r"'nope' is not available .* \(known actions: pause, restart, resume, scale\)"
    ):
        run(DEPLOY, "nope")


def test_cronjob_create_job_is_a_new_style_result():
    cj = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": "ops", "uid": "u-1"},
        "spec": {
            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}}
        },
    }
    [item] = run(cj, "create-job")
    assert item["operation"] == "create"
    job = item["resource"]
    assert job["kind"] == "Job" and job["metadata"]["name"].startswith("nightly-")
    assert job["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert job["spec"] == cj["spec"]["jobTemplate"]["spec"]


CM_ACTIONS = """
discovery.lua: |
  actions = {}
  actions["do-things"] = {["displayName"] = "Do things"}
  actions["restart"] = {["disabled"] = true}
  return actions
definitions:
- name: do-things
  action.lua: |
    cm = {apiVersion = "v1", kind = "ConfigMap", metadata = {name = "made", namespace = obj.metadata.namespace}}
    obj.metadata.labels["done"] = "yes"
    return {{operation = "create", resource = cm}, {operation = "patch", resource = obj}}
- name: restart
  action.lua: |
    obj.metadata.labels["custom"] = "restart"
    return obj
"""


def test_settings_actions_replace_builtins_by_default():
    ov = ResourceOverrides.from_configmap({"resource.customizations.actions.apps_Deployment": CM_ACTIONS})
    assert names(discover(DEPLOY, ov)) == {"do-things": False, "restart": True}
    created, patched = run(DEPLOY, "do-things", None, ov)
    assert created == {
        "operation": "create",
        "resource": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "made", "namespace": "default"},
        },
    }
    assert patched["operation"] == "patch" and patched["resource"]["metadata"]["labels"]["done"] == "yes"
    [custom] = run(DEPLOY, "restart", None, ov)
    assert custom["resource"]["metadata"]["labels"]["custom"] == "restart"
    # Argo CD still finds a built-in script by name when the override has no such definition
    [scaled] = run(DEPLOY, "scale", {"replicas": "1"}, ov)
    assert scaled["resource"]["spec"]["replicas"] == 1


def test_merge_builtin_actions():
    ov = ResourceOverrides.from_configmap(
        {"resource.customizations.actions.apps_Deployment": "mergeBuiltinActions: true\n" + CM_ACTIONS}
    )
    found = names(discover(DEPLOY, ov))
    assert found == {"do-things": False, "pause": False, "restart": True, "resume": True, "scale": False}
    assert next(a for a in discover(DEPLOY, ov) if a["name"] == "do-things")["displayName"] == "Do things"


@pytest.mark.parametrize(
    "script,message",
    [
        ("return 'x'", "expect table output from Lua script, not string"),
        ("return {{operation = 'delete', resource = obj}}", 'operation must be "patch" or "create"'),
        (
            "obj.metadata.name = 'other'; return {{operation = 'patch', resource = obj}}",
            "only supported for the source",
        ),
        ("return {function() end}", "result[1] must be a table with operation and resource"),
        ("return {kind = function() end}", "not a valid object or list"),
        ("error('nope', 0)", "nope"),
    ],
)
def test_bad_action_results(script, message):
    cm = yaml.safe_dump(
        {"discovery.lua": "return {go = {}}", "definitions": [{"name": "go", "action.lua": script}]}
    )
    ov = ResourceOverrides.from_configmap({"resource.customizations.actions.apps_Deployment": cm})
    with pytest.raises(LuaScriptError) as info:
        run(DEPLOY, "go", None, ov)
    assert message in str(info.value)
    assert "resource.customizations.actions.apps_Deployment action 'go'" in str(info.value)


def test_discovery_must_return_a_table():
    cm = yaml.safe_dump({"discovery.lua": "return 7"})
    ov = ResourceOverrides.from_configmap({"resource.customizations.actions.apps_Deployment": cm})
    with pytest.raises(LuaScriptError, match="discovery.lua failed .* not number"):
        discover(DEPLOY, ov)


def test_empty_discovery_means_no_actions():
    cm = yaml.safe_dump({"discovery.lua": "return {}"})
    ov = ResourceOverrides.from_configmap({"resource.customizations.actions.apps_Deployment": cm})
    assert discover(DEPLOY, ov) == []


def test_builtin_action_library_passes_its_own_tests():
    from kedge.lua.testrunner import run_tests

    root = Path(__file__).resolve().parent.parent / "lua" / "actions"
    results = run_tests(root)
    assert len(results) >= 30
    assert [r for r in results if not r.passed] == []


def test_third_party_action_plugin(monkeypatch):
    import types

    from kedge import plugins
    from kedge.hookspecs import hookimpl

    class Actions:
        name = "apps/Deployment"

        def discover(self, obj):
            return {"annotate": {"displayName": "Annotate"}, "restart": {"disabled": True}}

        def run(self, action, obj, params):
            new = copy.deepcopy(obj)
            new["metadata"]["annotations"]["by-plugin"] = params.get("value", "")
            return new

    mod = types.SimpleNamespace()

    @hookimpl
    def kedge_resource_actions():
        return [Actions()]

    mod.kedge_resource_actions = kedge_resource_actions
    reg = plugins.Registry()
    reg.load_entry_points()
    assert reg.register(mod, "acme-actions", "acme-actions", "1.0", "entrypoint")
    monkeypatch.setattr(plugins, "_registry", reg)

    found = {a["name"]: a for a in discover(DEPLOY)}
    # the plugin adds actions and wins over the Lua library on a name clash
    assert found["annotate"]["displayName"] == "Annotate"
    assert found["restart"]["disabled"] is True and found["scale"]["disabled"] is False
    [out] = run(DEPLOY, "annotate", {"value": "x"})
    assert out == {"operation": "patch", "resource": {**out["resource"]}}
    assert out["resource"]["metadata"]["annotations"]["by-plugin"] == "x"
    # settings still win over plugins
    ov = ResourceOverrides.from_configmap({"resource.customizations.actions.apps_Deployment": CM_ACTIONS})
    assert set(names(discover(DEPLOY, ov))) == {"do-things", "restart"}
