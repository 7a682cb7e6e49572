"""Config-management plugins: ConfigManagementPlugin files run as real processes."""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from kedge.errors import RenderError
from kedge.repo.render import render
from kedge.repo.types import RenderRequest

ECHO_ENV = textwrap.dedent(
    """\
    apiVersion: argoproj.io/v1alpha1
    kind: ConfigManagementPlugin
    metadata:
      name: echo-env
    spec:
      version: v1.0
      init:
        command: [sh, -c]
        args: ["echo initialised > .init-done"]
      generate:
        command: [sh, -c]
        args:
          - |
            cat <<EOF
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: $ARGOCD_APP_NAME-env
            data:
              cwd: "$(basename "$PWD")"
              init: "$(cat .init-done)"
              ns: "$ARGOCD_APP_NAMESPACE"
              rev: "$ARGOCD_APP_REVISION"
              short: "$ARGOCD_APP_REVISION_SHORT"
              repo: "$ARGOCD_APP_SOURCE_REPO_URL"
              path: "$ARGOCD_APP_SOURCE_PATH"
              target: "$ARGOCD_APP_SOURCE_TARGET_REVISION"
              kube: "$KUBE_VERSION"
              apis: "$KUBE_API_VERSIONS"
              env_foo: "$ARGOCD_ENV_FOO"
              param_size: "$PARAM_SIZE"
              param_list: "$PARAM_LIST_0,$PARAM_LIST_1"
              param_map: "$PARAM_OPTS_DEBUG"
              params: '$ARGOCD_APP_PARAMETERS'
              secret: "${KEDGE_TEST_SECRET:-absent}"
              exec: "$(test -x run.sh && echo yes || echo no)"
            EOF
    """
)

DISCOVER = textwrap.dedent(
    """\
    apiVersion: argoproj.io/v1alpha1
    kind: ConfigManagementPlugin
    metadata:
      name: {name}
    spec:
      discover:
        {discover}
      generate:
        command: [sh, -c, "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: by-{name}\\n'"]
    """
)


@pytest.fixture()
def plugins_dir(tmp_path: Path) -> Path:
    d = tmp_path / "plugins"
    d.mkdir()
    (d / "echo-env.yaml").write_text(ECHO_ENV)
    return d


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "apps" / "one").mkdir(parents=True)
    (root / "apps" / "one" / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(root / "apps" / "one" / "run.sh", 0o755)
    return root


def req(
    root: Path, plugin: dict[str, Any] | None, plugins_dir: Path, path: str = "apps/one", **kw: Any
) -> RenderRequest:
    source: dict[str, Any] = {"repoURL": "https://git.example/p.git", "path": path, "targetRevision": "main"}
    if plugin is not None:
        source["plugin"] = plugin
    settings = {"kedge.plugins.dir": str(plugins_dir), **kw.pop("settings", {})}
    kw.setdefault("app_name", "guestbook")
    kw.setdefault("revision", "fedcba9876543210fedcba9876543210fedcba98")
    kw.setdefault("dest_namespace", "prod")
    kw.setdefault("kube_version", "1.30.2+k3s1")
    kw.setdefault("api_versions", ["v1", "apps/v1"])
    return RenderRequest(
        root=root, path=root / path, source=source, repo_url=source["repoURL"], settings=settings, **kw
    )


def test_named_plugin_gets_argo_cd_build_environment(
    repo: Path, plugins_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEDGE_TEST_SECRET", "s3cret")
    plugin = {
        "name": "echo-env-v1.0",
        "env": [{"name": "FOO", "value": "bar-$ARGOCD_APP_NAME"}],
        "parameters": [
            {"name": "size", "string": "10"},
            {"name": "list", "array": ["a", "b"]},
            {"name": "opts", "map": {"debug": "true"}},
        ],
    }
    objs = render(req(repo, plugin, plugins_dir))
    assert [o["metadata"]["name"] for o in objs] == ["guestbook-env"]
    data = objs[0]["data"]
    assert data["cwd"] == "one" and data["init"] == "initialised"
    assert data["ns"] == "prod"
    assert data["rev"] == "fedcba9876543210fedcba9876543210fedcba98" and data["short"] == "fedcba9"
    assert (
        data["repo"] == "https://git.example/p.git"
        and data["path"] == "apps/one"
        and data["target"] == "main"
    )
    assert data["kube"] == "1.30.2k3s1" and data["apis"] == "v1,apps/v1"
    assert data["env_foo"] == "bar-guestbook"
    assert data["param_size"] == "10" and data["param_list"] == "a,b" and data["param_map"] == "true"
    assert json.loads(data["params"]) == plugin["parameters"]
    assert data["secret"] == "absent"  # the repo server's environment is not passed on
    assert data["exec"] == "no"  # executable bits dropped without preserveFileMode
    assert not (repo / "apps" / "one" / ".init-done").exists()  # ran in a private copy


def test_parameters_env_is_null_without_parameters(repo: Path, plugins_dir: Path) -> None:
    objs = render(req(repo, {"name": "echo-env-v1.0"}, plugins_dir))
    assert objs[0]["data"]["params"] == "null" and objs[0]["data"]["env_foo"] == ""


def test_preserve_file_mode(repo: Path, plugins_dir: Path) -> None:
    (plugins_dir / "echo-env.yaml").write_text(
        ECHO_ENV.replace("  version: v1.0\n", "  version: v1.0\n  preserveFileMode: true\n")
    )
    objs = render(req(repo, {"name": "echo-env-v1.0"}, plugins_dir))
    assert objs[0]["data"]["exec"] == "yes"


def test_unknown_plugin_lists_known_ones(repo: Path, plugins_dir: Path) -> None:
    with pytest.raises(
        RenderError, match=r"config management plugin 'echo-env' not found \(known: echo-env-v1.0"
    ):
        render(req(repo, {"name": "echo-env"}, plugins_dir))


@pytest.mark.parametrize(
    ("discover", "files", "matched"),
    [
        ("fileName: '*.cue'", {"main.cue": ""}, True),
        ("fileName: '*.cue'", {"main.txt": ""}, False),
        ("find:\n          glob: '**/env.conf'", {"deep/er/env.conf": ""}, True),
        ("find:\n          command: [sh, -c, 'ls | grep -x marker']", {"marker": ""}, True),
        ("find:\n          command: [sh, -c, 'ls | grep -x marker']", {"other": ""}, False),
    ],
)
def test_discovery(
    repo: Path, plugins_dir: Path, discover: str, files: dict[str, str], matched: bool
) -> None:
    (plugins_dir / "disc.yaml").write_text(DISCOVER.format(name="disc", discover=discover))
    for rel, text in files.items():
        p = repo / "apps" / "one" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (repo / "apps" / "one" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n"
    )
    objs = render(req(repo, None, plugins_dir))
    assert [o["metadata"]["name"] for o in objs] == (["by-disc"] if matched else ["plain"])


def test_discovered_plugin_wins_over_kustomize_but_not_over_explicit_tool(
    repo: Path, plugins_dir: Path
) -> None:
    (plugins_dir / "disc.yaml").write_text(
        DISCOVER.format(name="disc", discover="fileName: kustomization.yaml")
    )
    (repo / "apps" / "one" / "kustomization.yaml").write_text("resources: []\n")
    assert [o["metadata"]["name"] for o in render(req(repo, None, plugins_dir))] == ["by-disc"]
    r = req(repo, None, plugins_dir)
    r.source["kustomize"] = {}
    assert render(r) == []


def test_plugin_failure_and_timeout_kill_the_process_group(
    repo: Path, plugins_dir: Path, tmp_path: Path
) -> None:
    (plugins_dir / "bad.yaml").write_text(
        textwrap.dedent(
            """\
            apiVersion: argoproj.io/v1alpha1
            kind: ConfigManagementPlugin
            metadata: {name: bad}
            spec:
              generate:
                command: [sh, -c, "echo 'it broke: details' >&2; exit 3"]
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: ConfigManagementPlugin
            metadata: {name: slow}
            spec:
              generate:
                command: [sh, -c]
                args: ["sh -c 'echo $$ > %s; exec sleep 30' & sleep 30"]
            """
            % (tmp_path / "child.pid")
        )
    )
    with pytest.raises(RenderError, match=r"plugin bad generate failed with exit code 3: it broke: details"):
        render(req(repo, {"name": "bad"}, plugins_dir))
    os.environ["ARGOCD_EXEC_TIMEOUT"] = "1s"
    try:
        start = time.monotonic()
        with pytest.raises(
            RenderError, match=r"plugin slow generate: timed out after 1s \(ARGOCD_EXEC_TIMEOUT\)"
        ):
            render(req(repo, {"name": "slow"}, plugins_dir))
        assert time.monotonic() - start < 10
        pid = int((tmp_path / "child.pid").read_text())
        # the background child died with the group: gone, or a zombie awaiting its reaper
        assert _dies_within(pid, 5.0)
    finally:
        del os.environ["ARGOCD_EXEC_TIMEOUT"]


def _dies_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return True
        state = status.split("State:")[1].split()[0]
        if state == "Z" or b"sleep" not in cmdline:  # a zombie, or the pid was reused
            return True
        time.sleep(0.05)
    return False


def test_output_cap_and_invalid_output(repo: Path, plugins_dir: Path) -> None:
    (plugins_dir / "big.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: big}\n"
        "spec:\n  generate:\n    command: [sh, -c, 'yes apiVersion | head -c 200000']\n"
    )
    with pytest.raises(RenderError, match=r"output exceeds the 65536-byte limit"):
        render(req(repo, {"name": "big"}, plugins_dir, settings={"kedge.render.maxOutputBytes": "64Ki"}))
    (plugins_dir / "junk.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: junk}\n"
        "spec:\n  generate:\n    command: [sh, -c, 'printf \"kind: A\\n  b: [\\n\"']\n"
    )
    with pytest.raises(RenderError, match=r"apps/one \(plugin junk output\):2: invalid YAML"):
        render(req(repo, {"name": "junk"}, plugins_dir))


def test_invalid_plugin_file_is_named(repo: Path, plugins_dir: Path) -> None:
    (plugins_dir / "broken.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: x}\nspec: {}\n"
    )
    with pytest.raises(RenderError, match=r"broken.yaml:1: spec.generate is required"):
        render(req(repo, {"name": "x"}, plugins_dir))


def test_symlink_leaving_repo_refused_before_running(repo: Path, plugins_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("x")
    os.symlink(tmp_path / "secret", repo / "apps" / "one" / "leak")
    with pytest.raises(RenderError, match=r"out-of-bounds symlink: apps/one/leak"):
        render(req(repo, {"name": "echo-env-v1.0"}, plugins_dir))
