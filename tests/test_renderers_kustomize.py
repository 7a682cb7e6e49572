"""The Kustomize renderer: real `kubectl kustomize`, Argo CD's overrides on a private copy."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kedge.builtin.renderers.kustomize import (
    KustomizeRenderer,
    apply_overrides,
    copy_scope,
    find_build_command,
    parse_image_override,
)
from kedge.errors import RenderError
from kedge.repo.render import render
from kedge.repo.types import RenderRequest

FIXTURE = Path(__file__).parent / "fixtures" / "repos" / "kustomize"

OVERRIDES: dict[str, Any] = {
    "namePrefix": "p-",
    "nameSuffix": "-s",
    "images": ["nginx=registry.example/nginx:${ARGOCD_APP_REVISION_SHORT}", "busybox@sha256:" + "a" * 64],
    "replicas": [{"name": "web", "count": 3}],
    "commonLabels": {"team": "$ARGOCD_APP_NAME"},
    "commonAnnotations": {"rev": "$ARGOCD_APP_REVISION_SHORT", "lit": "$KEEP"},
    "namespace": "shop",
    "patches": [
        {
            "target": {"kind": "Service", "name": "web"},
            "patch": "- op: replace\n  path: /spec/ports/0/port\n  value: 8080",
        }
    ],
    "components": ["../components/monitoring"],
}


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    return root


def req(
    root: Path, path: str = "overlay", kustomize: dict[str, Any] | None = None, **kw: Any
) -> RenderRequest:
    source: dict[str, Any] = {"repoURL": "https://git.example/k.git", "path": path}
    if kustomize is not None:
        source["kustomize"] = kustomize
    kw.setdefault("app_name", "guestbook")
    kw.setdefault("revision", "0123456789abcdef")
    return RenderRequest(root=root, path=root / path, source=source, repo_url=source["repoURL"], **kw)


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def test_plain_build_is_detected(repo: Path) -> None:
    objs = render(req(repo))
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [("Service", "web"), ("Deployment", "web")]
    assert objs[1]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.24"
    assert objs[1]["metadata"]["labels"]["env"] == "prod"


def test_overrides_match_expected_output_and_never_touch_the_checkout(repo: Path) -> None:
    before = tree_digest(repo)
    got = render(req(repo, kustomize=OVERRIDES))
    want = [d for d in yaml.safe_load_all((FIXTURE / "expected" / "overlay-overrides.yaml").read_text()) if d]
    assert got == want
    assert tree_digest(repo) == before


def test_annotation_envsubst_force_and_conflicts(repo: Path) -> None:
    got = render(
        req(
            repo,
            kustomize={
                "commonAnnotations": {"rev": "$ARGOCD_APP_REVISION_SHORT"},
                "commonAnnotationsEnvsubst": True,
            },
        )
    )
    assert got[0]["metadata"]["annotations"] == {"rev": "0123456"}
    with pytest.raises(
        RenderError, match=r"label 'env' is already in the kustomization file \(set forceCommonLabels"
    ):
        render(req(repo, kustomize={"commonLabels": {"env": "dev"}}))
    got = render(req(repo, kustomize={"commonLabels": {"env": "dev"}, "forceCommonLabels": True}))
    assert got[0]["metadata"]["labels"]["env"] == "dev"


def test_label_without_selector(repo: Path) -> None:
    got = render(req(repo, kustomize={"commonLabels": {"tier": "front"}, "labelWithoutSelector": True}))
    deploy = got[1]
    assert deploy["metadata"]["labels"]["tier"] == "front"
    assert "tier" not in deploy["spec"]["selector"]["matchLabels"]
    assert "tier" not in deploy["spec"]["template"]["metadata"]["labels"]
    got = render(
        req(
            repo,
            kustomize={
                "commonLabels": {"tier": "front"},
                "labelWithoutSelector": True,
                "labelIncludeTemplates": True,
            },
        )
    )
    assert got[1]["spec"]["template"]["metadata"]["labels"]["tier"] == "front"
    assert "tier" not in got[1]["spec"]["selector"]["matchLabels"]


def test_missing_components_ignored_on_request(repo: Path) -> None:
    with pytest.raises(RenderError, match=r"overlay/kustomization.yaml: kustomize build failed: .*nope"):
        render(req(repo, kustomize={"components": ["../components/nope"]}))
    got = render(req(repo, kustomize={"components": ["../components/nope"], "ignoreMissingComponents": True}))
    assert len(got) == 2


def test_kustomize_failure_passes_the_message_with_repo_relative_paths(repo: Path) -> None:
    (repo / "overlay" / "kustomization.yaml").write_text("resources:\n  - ../base\n  - missing.yaml\n")
    with pytest.raises(RenderError) as info:
        render(req(repo, kustomize={"namePrefix": "x-"}))
    msg = str(info.value)
    assert "tool kustomize" in msg and "overlay/kustomization.yaml: kustomize build failed:" in msg
    assert "missing.yaml" in msg
    assert str(repo) not in msg and "/tmp/" not in msg.split("build failed:")[1]


def test_resources_outside_the_repo_are_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kustomization.yaml").write_text("resources: [s.yaml]\n")
    (outside / "s.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n")
    (repo / "overlay" / "kustomization.yaml").write_text("resources:\n  - ../../outside\n")
    with pytest.raises(
        RenderError, match=r"overlay/kustomization.yaml: resources '../../outside' points outside"
    ):
        render(req(repo))
    (repo / "overlay" / "kustomization.yaml").write_text(
        "resources: [../base]\nconfigMapGenerator:\n- name: c\n  files: [k=/etc/passwd]\n"
    )
    with pytest.raises(RenderError, match=r"configMapGenerator.files '/etc/passwd' is an absolute path"):
        render(req(repo))
    os.symlink(outside, repo / "base" / "linked")
    (repo / "overlay" / "kustomization.yaml").write_text("resources: [../base/linked]\n")
    with pytest.raises(RenderError, match=r"points outside the repository"):
        render(req(repo))


def test_override_paths_are_checked_too(repo: Path) -> None:
    with pytest.raises(RenderError, match=r"components '../../../etc' points outside the repository"):
        render(req(repo, kustomize={"components": ["../../../etc"]}))
    with pytest.raises(RenderError, match=r"patches.path '/etc/passwd' is an absolute path"):
        render(req(repo, kustomize={"patches": [{"path": "/etc/passwd"}]}))


def test_private_copy_covers_only_what_the_build_reads(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    shutil.copytree(FIXTURE / "base", root / "apps" / "shop" / "base")
    shutil.copytree(FIXTURE / "overlay", root / "apps" / "shop" / "overlay")
    (root / "apps" / "other").mkdir()
    (root / "apps" / "other" / "big.yaml").write_text("x: 1\n")
    r = RenderRequest(
        root=root,
        path=root / "apps" / "shop" / "overlay",
        source={"path": "apps/shop/overlay", "kustomize": {"namePrefix": "m-"}},
        app_name="shop",
    )
    from kedge.builtin.renderers.kustomize import scan

    assert copy_scope(root, scan(root, r.path)) == "apps/shop"
    assert [o["metadata"]["name"] for o in render(r)] == ["m-web", "m-web"]


def test_referenced_files_over_the_size_cap_are_refused(repo: Path) -> None:
    with pytest.raises(
        RenderError,
        match=r"base/kustomization.yaml: resources 'deployment.yaml' is \d+ bytes, over the 100-byte",
    ):
        render(req(repo, settings={"kedge.render.maxFileBytes": "100"}))


def test_enable_helm_gets_the_configured_helm_command(repo: Path, tmp_path: Path) -> None:
    helm = tmp_path / "helm"
    helm.write_text("#!/bin/sh\nexit 0\n")
    helm.chmod(0o755)
    r = req(repo, settings={"kustomize.buildOptions": "--enable-helm", "kedge.helm.binary": str(helm)})
    argv = KustomizeRenderer().build_argv(r, repo / "overlay")
    assert argv[-3:] == ["--enable-helm", "--helm-command", str(helm)]
    assert len(render(r)) == 2  # kubectl accepts the flags; the overlay has no helmCharts


def test_build_options_and_enable_helm_needs_a_binary(repo: Path) -> None:
    r = req(repo, settings={"kustomize.buildOptions": "--load-restrictor LoadRestrictionsNone"})
    argv = KustomizeRenderer().build_argv(r, repo / "overlay")
    assert argv[1:] == ["kustomize", str(repo / "overlay"), "--load-restrictor", "LoadRestrictionsNone"]
    assert len(render(r)) == 2
    with pytest.raises(RenderError, match=r"--enable-helm needs a helm binary: set kedge.helm.binary"):
        render(req(repo, settings={"kustomize.buildOptions": "--enable-helm"}))


def test_kubectl_with_kustomize_v5_is_found(repo: Path) -> None:
    cmd = find_build_command({})
    assert cmd[1] == "kustomize" and os.access(cmd[0], os.X_OK)
    with pytest.raises(RenderError, match=r"kubectl binary '/nope/kubectl'"):
        find_build_command({"kedge.kubectl.binary": "/nope/kubectl"})


def test_image_override_forms() -> None:
    assert parse_image_override("nginx:1.2") == {"name": "nginx", "newTag": "1.2"}
    assert parse_image_override("nginx=reg:5000/nginx:1.2") == {
        "name": "nginx",
        "newName": "reg:5000/nginx",
        "newTag": "1.2",
    }
    assert parse_image_override("nginx@sha256:abc") == {"name": "nginx", "digest": "sha256:abc"}
    assert parse_image_override("reg:5000/a/b") == {"name": "reg:5000/a/b"}
    k: dict[str, Any] = {"images": [{"name": "nginx", "newTag": "1", "newName": "x/nginx"}]}
    apply_overrides(
        k, {"images": ["nginx@sha256:abc"], "replicas": [{"name": "w", "count": "2"}]}, {}, Path(".")
    )
    assert k["images"] == [{"name": "nginx", "newName": "x/nginx", "digest": "sha256:abc"}]
    assert k["replicas"] == [{"name": "w", "count": 2}]


def test_disabled_kustomize_falls_back_to_directory(repo: Path) -> None:
    objs = render(req(repo, "base", settings={"kustomize.enable": "false"}))
    # the plain directory reads the manifests; kustomization.yaml itself is not a Kubernetes object
    assert sorted(o["kind"] for o in objs) == ["Deployment", "Service"]
    assert objs[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx"
