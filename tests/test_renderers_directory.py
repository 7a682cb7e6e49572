"""The directory renderer (plain YAML/JSON/Jsonnet) and Jsonnet evaluation."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from kedge.errors import RenderError
from kedge.repo.render import render
from kedge.repo.types import RenderRequest


def cm(name: str, **extra: str) -> str:
    data = "".join(f"\n  {k}: {v}" for k, v in extra.items())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n" + (
        f"data:{data}\n" if data else ""
    )


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def req(root: Path, path: str = "app", directory: dict[str, Any] | None = None, **kw: Any) -> RenderRequest:
    source: dict[str, Any] = {"repoURL": "https://git.example/r.git", "path": path, "targetRevision": "HEAD"}
    if directory is not None:
        source["directory"] = directory
    kw.setdefault("app_name", "guestbook")
    kw.setdefault("revision", "89abcdef0123456789abcdef0123456789abcdef")
    return RenderRequest(root=root, path=root / path, source=source, repo_url=source["repoURL"], **kw)


def names(objs: list[dict[str, Any]]) -> list[str]:
    return [o["metadata"]["name"] for o in objs]


def test_yaml_json_multidoc_lists_and_walk_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/b.yaml": cm("b1") + "---\n# comment only\n---\n" + cm("b2"),
            "app/a.yml": "apiVersion: v1\nkind: ConfigMapList\nitems:\n- "
            + cm("l1").replace("\n", "\n  ").rstrip()
            + "\n",
            "app/c.json": json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}}),
            "app/values.yaml": "replicaCount: 3\nimage: {tag: x}\n",  # not a manifest: ignored like Argo CD
            "app/notes.txt": "ignored",
            "app/sub/d.yaml": cm("d"),
            "app/.argocd-source.yaml": "directory: {recurse: false}\n",
        },
    )
    assert names(render(req(tmp_path))) == ["l1", "b1", "b2", "c"]
    # recurse enters sub/, in name order, not dot-directories
    write(tmp_path, {"app/.github/e.yaml": cm("hidden"), "app/.argocd-source.yaml": ""})
    assert names(render(req(tmp_path, directory={"recurse": True}))) == ["l1", "b1", "b2", "c", "d"]


def test_timestamps_stay_strings_and_keys_are_strings(tmp_path: Path) -> None:
    write(tmp_path, {"app/a.yaml": cm("a", when="2024-01-01", on="yes") + "  1: one\n"})
    obj = render(req(tmp_path))[0]
    # YAML 1.1 like Kubernetes' own decoder: `on`/`yes` are booleans, keys become strings
    assert obj["data"] == {"when": "2024-01-01", "true": True, "1": "one"}
    json.dumps(obj)  # always JSON-serialisable


def test_include_exclude_with_braces(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/a.yaml": cm("a"),
            "app/b.yml": cm("b"),
            "app/c.json": json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}}),
            "app/sub/d.yaml": cm("d"),
        },
    )
    assert names(render(req(tmp_path, directory={"recurse": True, "include": "{*.yml,*.json}"}))) == [
        "b",
        "c",
    ]
    assert names(render(req(tmp_path, directory={"recurse": True, "exclude": "{a.yaml,sub/*}"}))) == [
        "b",
        "c",
    ]
    # `*` crosses directories, as Argo CD's glob does
    assert names(render(req(tmp_path, directory={"recurse": True, "include": "*d.yaml"}))) == ["d"]


def test_invalid_yaml_in_a_manifest_names_file_and_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/ok.yaml": cm("ok"),
            "app/bad.yaml": cm("x") + "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: y\n   bad: [\n",
        },
    )
    with pytest.raises(RenderError) as info:
        render(req(tmp_path))
    msg = str(info.value)
    assert msg.startswith(
        "rendering failed (repo https://git.example/r.git, revision 89abcdef0123456789abcdef0123456789abcdef, path app, tool directory): "
    )
    assert "app/bad.yaml:10: invalid YAML" in msg


def test_object_without_kind_or_name_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"app/a.yaml": cm("a") + "---\napiVersion: v1\nmetadata:\n  name: nokind\n"})
    with pytest.raises(
        RenderError, match=r"app/a.yaml:6: not a Kubernetes object \(an object without 'kind'\)"
    ):
        render(req(tmp_path))
    write(tmp_path, {"app/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n"})
    with pytest.raises(RenderError, match=r"app/a.yaml:1: ConfigMap is missing metadata.name"):
        render(req(tmp_path))


def test_json_holds_one_object(tmp_path: Path) -> None:
    write(tmp_path, {"app/a.json": '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}\n{"x":1}'})
    with pytest.raises(RenderError, match=r"app/a.json:2: found multiple objects"):
        render(req(tmp_path))
    write(tmp_path, {"app/a.json": '{"apiVersion":"v1",\n"kind": }'})
    with pytest.raises(RenderError, match=r"app/a.json:2: invalid JSON"):
        render(req(tmp_path))


def test_symlinks_and_size_caps(tmp_path: Path) -> None:
    write(
        tmp_path, {"repo/app/a.yaml": cm("a"), "repo/shared/s.yaml": cm("shared"), "outside.yaml": cm("leak")}
    )
    root = tmp_path / "repo"
    os.symlink("../shared/s.yaml", root / "app" / "s.yaml")
    assert names(render(req(root))) == ["a", "shared"]
    os.symlink(tmp_path / "outside.yaml", root / "app" / "z.yaml")
    with pytest.raises(RenderError, match=r"app/z.yaml: illegal symlink: it points outside the repository"):
        render(req(root))
    os.unlink(root / "app" / "z.yaml")
    with pytest.raises(RenderError, match=r"app/a.yaml: file is \d+ bytes, over the 20-byte limit"):
        render(req(root, settings={"kedge.render.maxFileBytes": "20"}))
    with pytest.raises(RenderError, match=r"manifests total more than 60 bytes"):
        render(req(root, settings={"reposerver.max.combined.directory.manifests.size": "60"}))


def test_missing_app_path(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"app path does not exist"):
        render(req(tmp_path, "nope"))


def test_jsonnet_files_with_ext_vars_tlas_and_libs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "lib/k.libsonnet": "{ cm(name, data):: {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: name}, data: data} }",
            "app/main.jsonnet": (
                "local k = import 'k.libsonnet';\n"
                "function(replicas, tier='web') [\n"
                "  k.cm(std.extVar('app') + '-' + tier, {rev: std.extVar('rev'), n: std.toString(replicas + 1)}),\n"
                "  k.cm('from-code', std.extVar('obj')),\n"
                "]\n"
            ),
            "app/plain.yaml": cm("plain"),
        },
    )
    jsonnet = {
        "extVars": [
            {"name": "app", "value": "$ARGOCD_APP_NAME"},
            {"name": "rev", "value": "${ARGOCD_APP_REVISION_SHORT}"},
            {"name": "obj", "value": "{a: 'b'}", "code": True},
        ],
        "tlas": [{"name": "replicas", "value": "2", "code": True}, {"name": "tier", "value": "api"}],
        "libs": ["lib"],
    }
    objs = render(req(tmp_path, directory={"jsonnet": jsonnet}))
    assert names(objs) == ["guestbook-api", "from-code", "plain"]
    assert objs[0]["data"] == {"rev": "89abcde", "n": "3"}
    assert objs[1]["data"] == {"a": "b"}
    # jsonnet.enable: "false" skips .jsonnet files
    assert names(
        render(req(tmp_path, directory={"jsonnet": jsonnet}, settings={"jsonnet.enable": "false"}))
    ) == ["plain"]


def test_jsonnet_runtime_error_has_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, {"app/x.jsonnet": "local f(x) = error 'boom ' + x;\n{\n  a: f('y'),\n}\n"})
    with pytest.raises(RenderError) as info:
        render(req(tmp_path))
    msg = str(info.value)
    assert "app/x.jsonnet:1: jsonnet: RUNTIME ERROR: boom y" in msg
    assert str(tmp_path) not in msg


def test_jsonnet_imports_are_confined_to_the_repo(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "secret.libsonnet": "{password: 'hunter2'}",
            "repo/app/x.jsonnet": "import '../../secret.libsonnet'\n",
        },
    )
    root = tmp_path / "repo"
    with pytest.raises(RenderError, match=r"resolves outside the repository") as info:
        render(req(root))
    assert "hunter2" not in str(info.value)
    os.symlink(tmp_path / "secret.libsonnet", root / "app" / "link.libsonnet")
    write(root, {"app/x.jsonnet": "import 'link.libsonnet'\n"})
    with pytest.raises(RenderError, match=r"resolves outside the repository"):
        render(req(root))
    write(root, {"app/x.jsonnet": "import 'nothere.libsonnet'\n"})
    with pytest.raises(RenderError, match=r"couldn't open import 'nothere.libsonnet'"):
        render(req(root))
    with pytest.raises(RenderError, match=r"libs: path '../x' leaves the repository root"):
        render(req(root, directory={"jsonnet": {"libs": ["../x"]}}))


def test_jsonnet_must_produce_objects(tmp_path: Path) -> None:
    write(tmp_path, {"app/x.jsonnet": "'just a string'"})
    with pytest.raises(RenderError, match=r"app/x.jsonnet: jsonnet must produce an object or an array"):
        render(req(tmp_path))


def test_jsonnet_provider_renders_only_jsonnet(tmp_path: Path) -> None:
    from kedge import plugins

    write(
        tmp_path,
        {
            "app/a.jsonnet": "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'j'}}",
            "app/b.yaml": cm("b"),
        },
    )
    provider = plugins.provider("renderers", "jsonnet")
    assert [o[0]["metadata"]["name"] for o in provider.render(req(tmp_path))] == ["j"]
    assert provider.detect(tmp_path / "app") is False
