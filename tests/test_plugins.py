"""Plugin system: broken third-party plugins are reported and skipped; provider name conflicts.

The fixture plugins in tests/fixtures/plugins/ are real distributions: they are installed with
``pip install --target`` into a temporary directory, which is then put on ``sys.path`` (in
process) or ``PYTHONPATH`` (for the ``kedge`` CLI), so Kedge finds them through their entry points.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kedge import plugins
from kedge.errors import PluginError
from kedge.hookspecs import hookimpl

FIXTURES = Path(__file__).parent / "fixtures" / "plugins"
FIXTURE_MODULES = (
    "kedge_fixture_broken_import",
    "kedge_fixture_bad_hookimpl",
    "kedge_fixture_wrong_args",
    "kedge_fixture_raising_hook",
    "kedge_fixture_override_a",
    "kedge_fixture_override_b",
)


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> Path:
    """The fixture distributions, pip-installed into a temporary site directory."""
    src = tmp_path_factory.mktemp("fixture-src")
    dists = []
    for d in sorted(p for p in FIXTURES.iterdir() if (p / "pyproject.toml").exists()):
        shutil.copytree(d, src / d.name)
        dists.append(str(src / d.name))
    target = tmp_path_factory.mktemp("fixture-site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--no-index", "--target", str(target), *dists],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return target


@pytest.fixture
def fixture_registry(fixture_site: Path):
    """A fresh registry that sees the fixture plugins through ``importlib.metadata``."""
    sys.path.insert(0, str(fixture_site))
    importlib.invalidate_caches()
    try:
        reg = plugins.Registry()
        reg.load_entry_points()
        yield reg
    finally:
        sys.path.remove(str(fixture_site))
        for mod in FIXTURE_MODULES:
            sys.modules.pop(mod, None)
        importlib.invalidate_caches()


def errors_by_dist(reg: plugins.Registry) -> dict[str, str]:
    return {e.distribution: e.error for e in reg.errors}


def test_broken_plugins_are_reported_with_distribution_and_error(fixture_registry):
    reg = fixture_registry
    for fam in ("health_checks", "renderers"):
        reg.providers(fam)
    errors = errors_by_dist(reg)
    assert errors["kedge-fixture-broken-import"] == (
        "import of 'kedge_fixture_broken_import' failed: ModuleNotFoundError: "
        "No module named 'kedge_fixture_module_that_does_not_exist'"
    )
    assert errors["kedge-fixture-bad-hookimpl"] == (
        "invalid plugin: unknown hook 'kedge_health_check' (did you mean 'kedge_health_checks'?); "
        "known hooks: kedge_source_types, kedge_renderers, kedge_health_checks, kedge_resource_actions, "
        "kedge_appset_generators, kedge_notification_services"
    )
    assert errors["kedge-fixture-wrong-args"].startswith(
        "invalid plugin: PluginValidationError: Plugin 'wrong-args'"
    )
    assert (
        "Argument(s) {'config'} are declared in the hookimpl but can not be found in the hookspec"
        in (errors["kedge-fixture-wrong-args"])
    )
    assert (
        errors["kedge-fixture-raising-hook"]
        == "hook kedge_health_checks failed: RuntimeError: boom from fixture"
    )
    skipped = {e.name for e in reg.errors}
    assert {"broken-import", "bad-hookimpl", "wrong-args"} <= skipped
    assert "bad-hookimpl" not in reg.plugins and "wrong-args" not in reg.plugins


def test_other_plugins_keep_working(fixture_registry):
    reg = fixture_registry
    # the raising plugin's other hook still contributes
    assert reg.provider("renderers", "fixture-renderer").render(None) == []
    assert reg.owner("renderers", "fixture-renderer") == "raising-hook"
    # built-ins and the contrib plugin are unaffected
    health = reg.providers("health_checks")
    assert reg.plugins["gateway-api"].origin == "entrypoint"
    assert reg.owner("health_checks", "gateway.networking.k8s.io/HTTPRoute") == "gateway-api"
    assert "example.com/Widget" in health


def test_duplicate_provider_names_follow_the_rule_with_a_warning(fixture_registry, caplog):
    reg = fixture_registry
    with caplog.at_level("WARNING", logger="kedge.plugins"):
        widget = reg.provider("health_checks", "example.com/Widget")
    # between third parties the plugin name that sorts first wins
    assert widget.assess({})["message"] == "from aa-override"
    conflicts = {(c.family, c.provider): (c.winner, c.loser) for c in reg.conflicts}
    assert conflicts[("health_checks", "example.com/Widget")] == ("aa-override", "zz-override")
    assert "health_checks provider 'example.com/Widget' is offered by" in caplog.text
    # a third-party plugin beats a built-in one
    builtin_owner = [c for c in reg.conflicts if c.provider == "apps/Deployment"]
    if builtin_owner:  # only when a built-in ships apps/Deployment (it does today)
        assert builtin_owner[0].winner == "aa-override"
        assert reg.plugins[builtin_owner[0].loser].origin == "builtin"
        assert reg.provider("health_checks", "apps/Deployment").assess({})["status"] == "Suspended"


class _Provider:
    def __init__(self, name: str, tag: str) -> None:
        self.name, self.tag = name, tag


def _plugin(*providers: _Provider):
    class P:
        @hookimpl
        def kedge_renderers(self):
            return list(providers)

    return P()


def test_conflict_rule_is_deterministic_whatever_the_registration_order():
    for order in (("builtin", "zeta", "alpha"), ("alpha", "zeta", "builtin"), ("zeta", "builtin", "alpha")):
        reg = plugins.Registry()
        specs = {
            "builtin": (_plugin(_Provider("helm", "builtin"), _Provider("only-builtin", "b")), "builtin"),
            "zeta": (_plugin(_Provider("helm", "zeta")), "entrypoint"),
            "alpha": (_plugin(_Provider("helm", "alpha")), "entrypoint"),
        }
        for name in order:
            plugin, origin = specs[name]
            assert reg.register(plugin, name, f"dist-{name}", "1.0", origin)
        assert reg.provider("renderers", "helm").tag == "alpha"
        assert reg.provider("renderers", "only-builtin").tag == "b"
        assert sorted((c.winner, c.loser) for c in reg.conflicts) == [("alpha", "builtin"), ("alpha", "zeta")]


def test_unknown_provider_lists_known_names():
    reg = plugins.Registry()
    reg.register(_plugin(_Provider("helm", "x")), "p", "dist-p")
    with pytest.raises(PluginError, match=r"no renderer named 'kustomize' \(known: helm\)"):
        reg.provider("renderers", "kustomize")
    with pytest.raises(PluginError, match="unknown plugin family 'renderer'"):
        reg.providers("renderer")


def test_provider_without_name_is_reported():
    reg = plugins.Registry()
    reg.register(_plugin(_Provider("", "x")), "nameless", "dist-nameless")
    assert reg.providers("renderers") == {}
    assert reg.errors[0].distribution == "dist-nameless"
    assert "returned a provider without a name" in reg.errors[0].error


def test_cli_plugins_list_reports_errors_and_keeps_working(fixture_site: Path):
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(fixture_site), os.environ.get("PYTHONPATH")])),
    )
    out = subprocess.run(
        [sys.executable, "-m", "kedge", "plugins", "list", "-o", "json"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    by_name = {p["name"]: p for p in data["plugins"]}
    assert by_name["gateway-api"]["origin"] == "entrypoint"
    assert by_name["gateway-api"]["distribution"] == "kedge-gateway-api"
    assert "gateway.networking.k8s.io/Gateway" in by_name["gateway-api"]["providers"]["health_checks"]
    errors = {e["distribution"]: e["error"] for e in data["errors"]}
    assert set(errors) >= {
        "kedge-fixture-broken-import",
        "kedge-fixture-bad-hookimpl",
        "kedge-fixture-wrong-args",
        "kedge-fixture-raising-hook",
    }
    assert set(data["families"]) == {
        "source_types", "renderers", "health_checks", "resource_actions", "appset_generators", "notification_services",
    }  # fmt: skip
    assert {"family": "health_checks", "provider": "example.com/Widget", "winner": "aa-override",
            "loser": "zz-override"} in data["conflicts"]  # fmt: skip
    table = subprocess.run(
        [sys.executable, "-m", "kedge", "plugins", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert table.returncode == 0
    assert "gateway-api" in table.stdout and "kedge-fixture-broken-import" in table.stdout
