"""kedge.repo.render: overrides, tool detection, build environment, post-processing, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kedge import plugins
from kedge.errors import RenderError
from kedge.hookspecs import hookimpl
from kedge.repo.render import (
    cache_key,
    envsubst,
    merge_source_overrides,
    post_process,
    prepare,
    redact,
    render,
)
from kedge.repo.types import RenderRequest

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
CHART = "apiVersion: v2\nname: c\nversion: 0.1.0\n"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def req(root: Path, source: dict[str, Any] | None = None, path: str = "app", **kw: Any) -> RenderRequest:
    src = {"repoURL": "https://git.example/r.git", "path": path, "targetRevision": "main", **(source or {})}
    kw.setdefault("app_name", "guestbook")
    return RenderRequest(root=root, path=root / path, source=src, repo_url=src["repoURL"], **kw)


def tool(root: Path, source: dict[str, Any] | None = None, **kw: Any) -> str:
    return prepare(req(root, source, **kw))[1]


def test_detection_rules_and_precedence(tmp_path: Path) -> None:
    write(tmp_path, {"app/cm.yaml": CM.format(name="x")})
    assert tool(tmp_path) == "directory"
    write(tmp_path, {"app/Chart.yaml": CHART})
    assert tool(tmp_path) == "helm"
    for name in ("Kustomization", "kustomization.yml", "kustomization.yaml"):
        write(tmp_path, {f"app/{name}": "resources: []\n"})
        assert tool(tmp_path) == "kustomize"  # Kustomize wins over Chart.yaml
        (tmp_path / "app" / name).unlink()
    write(tmp_path, {"app/kustomization.yaml": "resources: []\n"})
    # explicit tool blocks win
    assert tool(tmp_path, {"directory": {"recurse": True}}) == "directory"
    assert tool(tmp_path, {"helm": {}}) == "helm"
    assert tool(tmp_path, {"chart": "nginx"}) == "helm"
    assert tool(tmp_path, {"plugin": {"name": "x"}}) == "plugin"
    # disabled tools fall back to a directory
    assert tool(tmp_path, settings={"kustomize.enable": "false"}) == "helm"
    assert tool(tmp_path, settings={"kustomize.enable": "false", "helm.enable": "false"}) == "directory"
    assert tool(tmp_path, {"helm": {}}, settings={"helm.enable": "false"}) == "directory"
    with pytest.raises(RenderError, match=r"multiple application sources defined: Kustomize, Helm"):
        prepare(req(tmp_path, {"helm": {}, "kustomize": {}}))


def test_argocd_source_overrides_are_merged(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/a.yaml": CM.format(name="a"),
            "app/b.yaml": CM.format(name="b"),
            "app/.argocd-source.yaml": "directory:\n  exclude: b.yaml\npath: elsewhere\nrepoURL: https://evil.example\n",
            "app/.argocd-source-other.yaml": "directory: {exclude: a.yaml}\n",
        },
    )
    objs = render(req(tmp_path, {"directory": {"recurse": False}}))
    assert [o["metadata"]["name"] for o in objs] == ["a"]
    merged = merge_source_overrides(req(tmp_path).source, tmp_path, tmp_path / "app", "guestbook")
    assert merged["path"] == "app" and merged["repoURL"] == "https://git.example/r.git"
    # the per-app file is applied after the shared one, and a null removes a field
    write(tmp_path, {"app/.argocd-source-guestbook.yaml": "directory:\n  exclude: null\n  include: b.yaml\n"})
    assert [o["metadata"]["name"] for o in render(req(tmp_path))] == ["b"]
    write(tmp_path, {"app/.argocd-source.yaml": "directory: [\n"})
    with pytest.raises(RenderError, match=r"app/.argocd-source.yaml:2: invalid YAML"):
        render(req(tmp_path))


def test_override_file_can_switch_tool(tmp_path: Path) -> None:
    write(tmp_path, {"app/Chart.yaml": CHART, "app/templates/cm.yaml": CM.format(name="{{ .Values.n }}")})
    write(
        tmp_path,
        {
            "app/values.yaml": "n: default\n",
            "app/.argocd-source.yaml": "helm:\n  parameters:\n  - name: n\n    value: from-override\n",
        },
    )
    assert [o["metadata"]["name"] for o in render(req(tmp_path))] == ["from-override"]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("", ""),
        ("$FOO", "bar"),
        ("${FOO}", "bar"),
        ("${FOO", "FOO"),
        ("$BAR", ""),
        ("${BAR}", ""),
        ("a$$b", "a$b"),
        ("cost: 5$", "cost: 5$"),
        ("$FOO-x ${FOO}y $1", "bar-x bary "),
        ("${}", ""),
    ],
)
def test_envsubst_matches_go_os_expand(text: str, want: str) -> None:
    assert envsubst(text, {"FOO": "bar"}) == want


def test_build_environment(tmp_path: Path) -> None:
    write(tmp_path, {"app/cm.yaml": CM.format(name="x")})
    prepared, _ = prepare(
        req(
            tmp_path,
            revision="0123456789abcdef",
            dest_namespace="prod",
            kube_version="1.29.3+k3s1",
            api_versions=["v1", "apps/v1"],
            env={"EXTRA": "1"},
        )
    )
    assert prepared.env == {
        "ARGOCD_APP_NAME": "guestbook",
        "ARGOCD_APP_NAMESPACE": "prod",
        "ARGOCD_APP_REVISION": "0123456789abcdef",
        "ARGOCD_APP_REVISION_SHORT": "0123456",
        "ARGOCD_APP_SOURCE_REPO_URL": "https://git.example/r.git",
        "ARGOCD_APP_SOURCE_PATH": "app",
        "ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
        "KUBE_VERSION": "1.29.3k3s1",
        "KUBE_API_VERSIONS": "v1,apps/v1",
        "EXTRA": "1",
    }


def test_source_path_leaving_the_repo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    write(tmp_path, {"elsewhere/cm.yaml": CM.format(name="x")})
    (tmp_path / "repo" / "app").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(RenderError, match=r"path app\): the source path resolves outside the repository"):
        render(req(tmp_path / "repo"))


def test_post_process_flattens_lists_and_checks_identity() -> None:
    objs = [
        None,
        {},
        {
            "apiVersion": "v1",
            "kind": "List",
            "items": [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}],
        },
        {"apiVersion": "v1", "kind": "ConfigMapList", "items": None},
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "g-"}}, "f.yaml:3"),
    ]
    assert [o["kind"] for o in post_process(objs)] == ["Secret", "ConfigMap"]
    with pytest.raises(RenderError, match=r"^f.yaml:7: Deployment is missing apiVersion, metadata.name$"):
        post_process([({"kind": "Deployment", "metadata": {}}, "f.yaml:7")])
    with pytest.raises(RenderError, match=r"x.yaml: expected a Kubernetes object \(a mapping\), got list"):
        post_process([([1], "x.yaml")])


def test_errors_name_repo_revision_path_and_hide_credentials(tmp_path: Path) -> None:
    write(tmp_path, {"app/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  x: [\n"})
    r = req(tmp_path, revision="abc123")
    r.repo_url = "https://bob:s3cr3t@git.example/r.git"
    with pytest.raises(RenderError) as info:
        render(r)
    msg = str(info.value)
    assert msg.startswith(
        "rendering failed (repo https://***@git.example/r.git, revision abc123, path app, tool directory): "
    )
    assert "app/a.yaml:6: invalid YAML" in msg and "s3cr3t" not in msg
    assert (
        redact("git clone https://u:p@h/x and ssh://git@h/y") == "git clone https://***@h/x and ssh://***@h/y"
    )


class _Cue:
    """A Python renderer plugin, as a third party would ship it with pip."""

    name = "cue"

    def detect(self, path: Path) -> bool:
        return (path / "main.cue").exists()

    def render(self, request: RenderRequest) -> list[dict[str, Any]]:
        return [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"cue-{request.env['ARGOCD_APP_NAME']}"},
            }
        ]

    def cache_key(self, request: RenderRequest) -> str:
        return "cue 1.0"


class _CuePlugin:
    @hookimpl
    def kedge_renderers(self) -> list[Any]:
        return [_Cue()]


@pytest.fixture()
def cue_plugin() -> Any:
    plugins.reset()
    plugins.registry().register(_CuePlugin(), "kedge-cue", "kedge-cue", "1.0", "entrypoint")
    yield
    plugins.reset()


def test_python_renderer_plugin_by_name_and_by_discovery(tmp_path: Path, cue_plugin: None) -> None:
    write(tmp_path, {"app/kustomization.yaml": "resources: []\n", "app/main.cue": ""})
    assert [o["metadata"]["name"] for o in render(req(tmp_path))] == ["cue-guestbook"]
    (tmp_path / "app" / "main.cue").unlink()
    assert tool(tmp_path) == "kustomize"
    assert tool(tmp_path, {"plugin": {"name": "cue"}}) == "cue"
    assert "cue 1.0" in cache_key(req(tmp_path, {"plugin": {"name": "cue"}}))


def test_cache_key_changes_with_options_not_with_noise(tmp_path: Path) -> None:
    write(tmp_path, {"app/cm.yaml": CM.format(name="x")})
    a = cache_key(req(tmp_path, {"directory": {"recurse": True}}))
    b = cache_key(req(tmp_path, {"directory": {"recurse": False}}))
    c = cache_key(req(tmp_path, {"directory": {"recurse": True}}, settings={"unrelated.key": "1"}))
    assert a != b and a == c
