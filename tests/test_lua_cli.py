"""``kedge admin settings resource-overrides ...`` and ``kedge lua test``: outputs and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kedge.cli import cli

FIXTURE = Path(__file__).parent / "fixtures" / "lua" / "deployment.yaml"

CM = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "argocd-cm"},
    "data": {
        "resource.customizations.health.apps_Deployment": 'return {status = "Degraded", message = "custom"}',
        "resource.customizations.actions.apps_Deployment": yaml.safe_dump(
            {
                "mergeBuiltinActions": True,
                "discovery.lua": 'return {["do-things"] = {}}',
                "definitions": [
                    {
                        "name": "do-things",
                        "action.lua": (
                            'local cm = {apiVersion = "v1", kind = "ConfigMap", metadata = {name = "new"}}\n'
                            'return {{operation = "create", resource = cm}, {operation = "patch", resource = obj}}'
                        ),
                    }
                ],
            }
        ),
    },
}


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def cm_file(tmp_path):
    p = tmp_path / "argocd-cm.yaml"
    p.write_text(yaml.safe_dump(CM))
    return p


def test_health_default_and_override(cm_file):
    r = invoke("admin", "settings", "resource-overrides", "health", str(FIXTURE))
    assert r.exit_code == 0 and r.output == "STATUS: Healthy\nMESSAGE: \n"
    r = invoke(
        "admin",
        "settings",
        "resource-overrides",
        "health",
        str(FIXTURE),
        "--argocd-cm-path",
        str(cm_file),
        "-o",
        "json",
    )
    assert json.loads(r.output) == {"status": "Degraded", "message": "custom"}
    r = invoke("admin", "settings", "resource-overrides", "health", str(FIXTURE), "--config", str(cm_file))
    assert r.output.startswith("STATUS: Degraded")


def test_config_directory(tmp_path):
    (tmp_path / "argocd-cm.yaml").write_text(yaml.safe_dump(CM))
    r = invoke("admin", "settings", "resource-overrides", "health", str(FIXTURE), "--config", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert r.output == "STATUS: Degraded\nMESSAGE: custom\n"


def test_health_not_configured(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    r = invoke("admin", "settings", "resource-overrides", "health", str(p))
    assert r.exit_code == 0
    assert r.output == "Health script is not configured for 'example.com/Widget'\n"


def test_list_actions_table_and_json(cm_file):
    r = invoke(
        "admin", "settings", "resource-overrides", "list-actions", str(FIXTURE), "--config", str(cm_file)
    )
    lines = r.output.splitlines()
    assert lines[0].split() == ["NAME", "DISABLED"]
    assert [ln.split() for ln in lines[1:]] == [
        ["do-things", "false"],
        ["pause", "false"],
        ["restart", "false"],
        ["resume", "true"],
        ["scale", "false"],
    ]
    r = invoke("admin", "settings", "resource-overrides", "list-actions", str(FIXTURE), "-o", "json")
    data = json.loads(r.output)
    assert {
        "name": "scale",
        "disabled": False,
        "iconClass": "fa fa-fw fa-plus-circle",
        "params": [{"name": "replicas"}],
    } in data


def test_run_action_diff_yaml_and_list(cm_file):
    r = invoke(
        "admin",
        "settings",
        "resource-overrides",
        "run-action",
        str(FIXTURE),
        "scale",
        "--param",
        "replicas=7",
    )
    assert r.exit_code == 0
    assert "Following fields have been changed:" in r.output
    assert "-  replicas: 3" in r.output and "+  replicas: 7" in r.output
    assert "creationTimestamp: null" not in r.output  # nulls are not a change
    r = invoke(
        "admin",
        "settings",
        "resource-overrides",
        "run-action",
        str(FIXTURE),
        "scale",
        "--param",
        "replicas=7",
        "-o",
        "yaml",
    )
    assert yaml.safe_load(r.output)["spec"]["replicas"] == 7
    r = invoke(
        "admin",
        "settings",
        "resource-overrides",
        "run-action",
        str(FIXTURE),
        "do-things",
        "--config",
        str(cm_file),
        "-o",
        "yaml",
    )
    items = yaml.safe_load(r.output)
    assert [i["operation"] for i in items] == ["create", "patch"]
    r = invoke(
        "admin",
        "settings",
        "resource-overrides",
        "run-action",
        str(FIXTURE),
        "do-things",
        "--config",
        str(cm_file),
    )
    assert (
        "Following resource was created:" in r.output and "No fields had been changed by action" in r.output
    )


def test_errors_exit_non_zero_with_a_message(tmp_path, cm_file):
    r = invoke(
        "admin",
        "settings",
        "resource-overrides",
        "run-action",
        str(FIXTURE),
        "scale",
        "--param",
        "replicas=x",
    )
    assert r.exit_code == 1
    assert (
        "Error: Lua script lua/actions/apps/Deployment/actions/scale/action.lua failed for apps/Deployment"
        in r.stderr
    )
    assert "got 'x'" in r.stderr
    r = invoke(
        "admin", "settings", "resource-overrides", "run-action", str(FIXTURE), "scale", "--param", "replicas"
    )
    assert r.exit_code == 1 and "expected NAME=VALUE" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [\n")
    r = invoke("admin", "settings", "resource-overrides", "health", str(bad))
    assert r.exit_code == 1 and "not valid YAML" in r.stderr
    r = invoke("admin", "settings", "resource-overrides", "health", str(tmp_path / "missing.yaml"))
    assert r.exit_code == 1 and "cannot read resource file" in r.stderr
    broken = tmp_path / "cm.yaml"
    broken.write_text(
        yaml.safe_dump(
            {"kind": "ConfigMap", "data": {"resource.customizations.health.apps_Deployment": "return {"}}
        )
    )
    r = invoke("admin", "settings", "resource-overrides", "health", str(FIXTURE), "--config", str(broken))
    assert (
        r.exit_code == 1
        and "syntax error" in r.stderr
        and "resource.customizations.health.apps_Deployment" in r.stderr
    )
    loop = tmp_path / "loop.yaml"
    loop.write_text(
        yaml.safe_dump(
            {
                "kind": "ConfigMap",
                "data": {"resource.customizations.health.apps_Deployment": "while true do end"},
            }
        )
    )
    r = invoke("admin", "settings", "resource-overrides", "health", str(FIXTURE), "--config", str(loop))
    assert r.exit_code == 1 and "time limit" in r.stderr


# -- kedge lua test ---------------------------------------------------------------------------------------
def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def lua_tree(tmp_path):
    kind = tmp_path / "example.com" / "Widget"
    _write(
        kind / "health.lua",
        'if obj.status == nil then return {status = "Progressing", message = "new"} end\n'
        'return {status = "Healthy", message = "ok"}\n',
    )
    _write(kind / "testdata" / "new.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    _write(
        kind / "testdata" / "ok.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nstatus: {}\n",
    )
    _write(
        kind / "health_test.yaml",
        yaml.safe_dump(
            {
                "tests": [
                    {
                        "healthStatus": {"status": "Progressing", "message": "new"},
                        "inputPath": "testdata/new.yaml",
                    },
                    {"healthStatus": {"status": "Healthy", "message": "ok"}, "inputPath": "testdata/ok.yaml"},
                ]
            }
        ),
    )
    acts = kind / "actions"
    _write(acts / "discovery.lua", 'return {bump = {["disabled"] = false}}\n')
    _write(acts / "bump" / "action.lua", "obj.spec = {n = 1}\nreturn obj\n")
    _write(acts / "testdata" / "in.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    _write(
        acts / "testdata" / "out.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {n: 1}\n",
    )
    _write(
        acts / "action_test.yaml",
        yaml.safe_dump(
            {
                "discoveryTests": [
                    {"inputPath": "testdata/in.yaml", "result": [{"name": "bump", "disabled": False}]}
                ],
                "actionTests": [
                    {
                        "action": "bump",
                        "inputPath": "testdata/in.yaml",
                        "expectedOutputPath": "testdata/out.yaml",
                    }
                ],
            }
        ),
    )
    return tmp_path


def test_lua_test_passes(lua_tree):
    r = invoke("lua", "test", str(lua_tree))
    assert r.exit_code == 0, r.output
    assert r.output.strip().endswith(f"4 passed, 0 failed (2 test files under {lua_tree})")
    r = invoke("lua", "test", str(lua_tree), "-o", "json")
    data = json.loads(r.output)
    assert data["passed"] == 4 and data["failed"] == 0
    assert {x["type"] for x in data["results"]} == {"health", "discovery", "action"}


def test_lua_test_reports_each_failure(lua_tree):
    _write(
        lua_tree / "example.com" / "Widget" / "actions" / "testdata" / "out.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {n: 2}\n",
    )
    spec = yaml.safe_load((lua_tree / "example.com" / "Widget" / "health_test.yaml").read_text())
    spec["tests"][1]["healthStatus"]["message"] = "different"
    _write(lua_tree / "example.com" / "Widget" / "health_test.yaml", yaml.safe_dump(spec))
    r = invoke("lua", "test", str(lua_tree))
    assert r.exit_code == 1
    assert (
        "FAIL  example.com/Widget/health_test.yaml  #1 testdata/ok.yaml: expected Healthy 'different', got Healthy 'ok'"
        in r.output
    )
    assert (
        "FAIL  example.com/Widget/actions/action_test.yaml  action #0 bump testdata/in.yaml: patch Widget w: /spec/n is 1, expected 2"
        in r.output
    )
    assert "2 passed, 2 failed" in r.output


def test_lua_test_bad_files(tmp_path):
    r = invoke("lua", "test", str(tmp_path))
    assert r.exit_code == 1 and "no health_test.yaml or action_test.yaml" in r.stderr
    _write(tmp_path / "g" / "K" / "health_test.yaml", "tests: [\n")
    r = invoke("lua", "test", str(tmp_path))
    assert r.exit_code == 1 and "invalid YAML" in r.output


def test_lua_test_default_is_the_builtin_library_and_runs_as_a_real_command():
    proc = subprocess.run(
        [sys.executable, "-m", "kedge", "lua", "test"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert " 0 failed" in proc.stdout
