"""Health lookup order (override > glob override > plugin > Lua library > built-in), argocd-cm
parsing, and application health aggregation."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import yaml

from kedge import plugins
from kedge.errors import ConfigError
from kedge.health import ResourceOverrides, aggregate, assess
from kedge.hookspecs import hookimpl
from kedge.lua import LuaScriptError

DEPLOY = yaml.safe_load((Path(__file__).parent / "fixtures" / "lua" / "deployment.yaml").read_text())
ROLLOUT = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"}, "spec": {}}
VPC = {"apiVersion": "ec2.aws.crossplane.io/v1beta1", "kind": "VPC", "metadata": {"name": "v"}}


def script(status: str, message: str) -> str:
    return f'hs = {{}}\nhs.status = "{status}"\nhs.message = "{message}"\nreturn hs\n'


@pytest.fixture
def third_party_plugin(monkeypatch):
    """A real registry (built-ins from entry points) plus a third-party health plugin."""

    class Check:
        def __init__(self, name, status):
            self.name = name
            self.status = status

        def assess(self, obj):
            return {"status": self.status, "message": f"plugin {self.name}"}

    mod = types.SimpleNamespace()

    @hookimpl
    def kedge_health_checks():
        return [
            Check("apps/Deployment", "Suspended"),
            Check("argoproj.io/Rollout", "Degraded"),
            Check("*.crossplane.io/*", "Missing"),
        ]

    mod.kedge_health_checks = kedge_health_checks
    reg = plugins.Registry()
    reg.load_entry_points()
    assert reg.register(mod, "acme-health", "acme-health", "1.0", "entrypoint")
    monkeypatch.setattr(plugins, "_registry", reg)
    yield reg


def test_builtin_python_when_nothing_else():
    assert assess(DEPLOY) == {"status": "Healthy", "message": ""}


def test_lua_library_beats_builtin_python():
    # argoproj.io/Workflow is both a Python built-in and a Lua library script: the library wins
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w"}, "status": {}}
    from kedge.health.assess import LuaHealth, resolve

    handler = resolve("argoproj.io", "Workflow", ResourceOverrides())
    assert isinstance(handler, LuaHealth) and handler.key.startswith("lua/health/argoproj.io/Workflow")
    assert assess(wf) is not None


def test_library_wildcard_directories():
    from kedge.health.assess import LuaHealth, resolve

    handler = resolve("ec2.aws.crossplane.io", "VPC", ResourceOverrides())
    assert isinstance(handler, LuaHealth) and "_.crossplane.io/_" in handler.key
    exact = resolve("pkg.crossplane.io", "Provider", ResourceOverrides())
    assert exact.key == "lua/health/pkg.crossplane.io/Provider/health.lua"


def test_plugin_beats_library_and_builtin(third_party_plugin):
    ov = ResourceOverrides()
    assert assess(DEPLOY, ov) == {"status": "Suspended", "message": "plugin apps/Deployment"}
    assert assess(ROLLOUT, ov) == {"status": "Degraded", "message": "plugin argoproj.io/Rollout"}
    assert assess(VPC, ov) == {"status": "Missing", "message": "plugin *.crossplane.io/*"}


def test_override_beats_plugin(third_party_plugin):
    ov = ResourceOverrides.from_configmap(
        {"resource.customizations.health.apps_Deployment": script("Degraded", "from argocd-cm")}
    )
    assert assess(DEPLOY, ov) == {"status": "Degraded", "message": "from argocd-cm"}


def test_glob_override_beats_plugin_and_exact_beats_glob(third_party_plugin):
    ov = ResourceOverrides.from_configmap(
        {
            "resource.customizations.health.*.crossplane.io_*": script("Healthy", "glob"),
            "resource.customizations.health.ec2.aws.crossplane.io_VPC": script("Progressing", "exact"),
        }
    )
    assert assess(VPC, ov) == {"status": "Progressing", "message": "exact"}
    other = {"apiVersion": "s3.aws.crossplane.io/v1beta1", "kind": "Bucket", "metadata": {"name": "b"}}
    assert assess(other, ov) == {"status": "Healthy", "message": "glob"}


def test_legacy_resource_customizations_map_and_split_key_precedence():
    data = {
        "resource.customizations": yaml.safe_dump(
            {
                "apps/Deployment": {"health.lua": script("Degraded", "legacy")},
                "example.com/Widget": {
                    "health.lua": script("Healthy", "widget"),
                    "health.lua.useOpenLibs": True,
                },
                "ConfigMap": {"health.lua": script("Healthy", "core kind")},
            }
        ),
    }
    ov = ResourceOverrides.from_configmap(data)
    assert assess(DEPLOY, ov)["message"] == "legacy"
    assert ov.get("example.com/Widget").use_open_libs is True
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert assess(cm, ov) == {"status": "Healthy", "message": "core kind"}
    data["resource.customizations.health.apps_Deployment"] = script("Suspended", "split")
    assert assess(DEPLOY, ResourceOverrides.from_configmap(data))["message"] == "split"


def test_use_open_libs_split_key():
    src = 'return {status = "Healthy", message = string.upper(obj.metadata.name)}'
    ov = ResourceOverrides.from_configmap({"resource.customizations.health.apps_Deployment": src})
    res = assess(DEPLOY, ov)
    assert res["status"] == "Unknown" and "string" in res["message"]
    ov = ResourceOverrides.from_configmap(
        {
            "resource.customizations.health.apps_Deployment": src,
            "resource.customizations.useOpenLibs.apps_Deployment": "true",
        }
    )
    assert assess(DEPLOY, ov) == {"status": "Healthy", "message": "GUESTBOOK-UI"}


def test_argo_cd_return_contract():
    def run(src):
        return assess(
            DEPLOY, ResourceOverrides.from_configmap({"resource.customizations.health.apps_Deployment": src})
        )

    assert run('return {status = "Sideways"}') == {
        "status": "Unknown",
        "message": "Lua returned an invalid health status",
    }
    assert run("return nil") is None
    bad = run("return 42")
    assert bad["status"] == "Unknown" and "expect table output from Lua script, not number" in bad["message"]
    assert "resource.customizations.health.apps_Deployment" in bad["message"]
    assert "apps/Deployment default/guestbook-ui" in bad["message"]
    with pytest.raises(LuaScriptError, match="syntax error"):
        assess(
            DEPLOY,
            ResourceOverrides.from_configmap({"resource.customizations.health.apps_Deployment": "return {"}),
            raise_errors=True,
        )


def test_bad_argocd_cm_is_a_clear_error():
    with pytest.raises(ConfigError, match="resource.customizations.health.a_b_c"):
        ResourceOverrides.from_configmap({"resource.customizations.health.a_b_c": "return nil"})
    with pytest.raises(ConfigError, match="invalid YAML"):
        ResourceOverrides.from_configmap({"resource.customizations": "a: [b"})
    with pytest.raises(ConfigError, match="resource.customizations.actions.apps_Deployment"):
        ResourceOverrides.from_configmap(
            {"resource.customizations.actions.apps_Deployment": "definitions: 3"}
        )


def test_generic_conditions_opt_in():
    widget = {
        "apiVersion": "platform.example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "generation": 1},
        "status": {
            "observedGeneration": 1,
            "conditions": [{"type": "Ready", "status": "False", "message": "broken"}],
        },
    }
    assert assess(widget) is None  # opt-in only
    ov = ResourceOverrides.from_configmap({"kedge.health.genericConditions": "- platform.example.com/*\n"})
    assert assess(widget, ov) == {"status": "Degraded", "message": "broken"}
    # a library check or built-in still wins over the generic one
    ov = ResourceOverrides.from_configmap({"kedge.health.genericConditions": "- '*'\n"})
    assert assess(DEPLOY, ov) == {"status": "Healthy", "message": ""}
    with pytest.raises(ConfigError, match="kedge.health.genericConditions"):
        ResourceOverrides.from_configmap({"kedge.health.genericConditions": "a: b"})


def test_cached_parse_reuses_the_object_while_customizations_are_unchanged():
    data = {"resource.customizations.health.apps_Deployment": script("Degraded", "x"), "url": "https://a"}
    first = ResourceOverrides.cached(data)
    assert ResourceOverrides.cached({**data, "url": "https://b"}) is first  # unrelated key changed
    changed = ResourceOverrides.cached(
        {**data, "resource.customizations.health.apps_Deployment": script("Healthy", "y")}
    )
    assert changed is not first
    assert assess(DEPLOY, changed) == {"status": "Healthy", "message": "y"}


def test_resolution_is_cached_per_overrides_object():
    from kedge.health.assess import resolve

    ov = ResourceOverrides()
    assert resolve("apps", "Deployment", ov) is resolve("apps", "Deployment", ov)
    assert "apps/Deployment" in ov.health_cache


# -- aggregation ----------------------------------------------------------------------------------------
def res(status, **ann):
    obj = {"apiVersion": "v1", "kind": "X", "metadata": {"name": status.lower(), "annotations": ann}}
    return {"live": obj, "target": obj, "health": {"status": status, "message": ""}}


def test_aggregate_keeps_the_worst_in_argo_cd_order():
    order = ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"]
    for i, worst in enumerate(order):
        items = [res(s) for s in order[: i + 1]]
        assert aggregate(items).status == worst


def test_aggregate_exclusions():
    assert (
        aggregate([res("Healthy"), res("Degraded", **{"argocd.argoproj.io/hook": "PostSync"})]).status
        == "Healthy"
    )
    assert aggregate([res("Healthy"), res("Degraded", **{"helm.sh/hook": "pre-install"})]).status == "Healthy"
    assert aggregate(
        [res("Healthy"), res("Degraded", **{"argocd.argoproj.io/ignore-healthcheck": "true"})]
    ).status == ("Healthy")
    no_health = res("Healthy")
    no_health["health"] = None
    assert aggregate([res("Suspended"), no_health]).status == "Suspended"
    # a missing resource (no live object) shows as OutOfSync, not in health...
    missing = {"live": None, "target": DEPLOY}
    result = aggregate([res("Healthy"), missing])
    assert result.status == "Healthy" and result.resources[1] == {"status": "Missing", "message": ""}
    # ... unless nothing is live at all
    assert aggregate([missing]).status == "Missing"
    # a child Application that is Unknown or Missing does not affect its parent
    child = {
        "live": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "c"}},
        "health": {"status": "Unknown", "message": ""},
    }
    assert aggregate([res("Healthy"), child]).status == "Healthy"


def test_aggregate_assesses_live_objects_itself():
    paused = yaml.safe_load(yaml.safe_dump(DEPLOY))
    paused["spec"]["paused"] = True
    result = aggregate([{"live": DEPLOY}, {"live": paused}])
    assert result.status == "Suspended"
    assert result.resources == [
        {"status": "Healthy", "message": ""},
        {"status": "Suspended", "message": "Deployment is paused"},
    ]
