"""kedge.repo.paths: every way a repository path could leave its root is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kedge.errors import RenderError
from kedge.repo.paths import UnsafePathError, check_tree, copy_tree, is_within, relative_to_root, safe_join


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "apps" / "web").mkdir(parents=True)
    (root / "apps" / "web" / "cm.yaml").write_text("kind: ConfigMap\n")
    (tmp_path / "secret.txt").write_text("s3cr3t\n")
    return root


def test_plain_and_inner_dotdot_join(repo: Path) -> None:
    assert safe_join(repo, "apps/web", "cm.yaml") == repo / "apps" / "web" / "cm.yaml"
    assert safe_join(repo, "apps/web/../web/./cm.yaml") == repo / "apps" / "web" / "cm.yaml"
    assert safe_join(repo, ".", "") == repo
    assert safe_join(repo, "does/not/exist.yaml") == repo / "does" / "not" / "exist.yaml"


@pytest.mark.parametrize("bad", ["../secret.txt", "apps/../../secret.txt", "apps/web/../../../x"])
def test_dotdot_escape_refused(repo: Path, bad: str) -> None:
    with pytest.raises(UnsafePathError, match=r"leaves the repository root"):
        safe_join(repo, bad)


@pytest.mark.parametrize("bad", ["/etc/passwd", "\\windows", "C:\\x"])
def test_absolute_refused(repo: Path, bad: str) -> None:
    with pytest.raises(UnsafePathError, match="absolute path"):
        safe_join(repo, bad)


def test_nul_refused(repo: Path) -> None:
    with pytest.raises(UnsafePathError, match="NUL"):
        safe_join(repo, "a\x00b")


def test_symlink_leaving_root_refused_and_inner_symlink_allowed(repo: Path) -> None:
    os.symlink(repo.parent / "secret.txt", repo / "apps" / "leak.txt")
    os.symlink("web", repo / "apps" / "alias")
    with pytest.raises(UnsafePathError, match="resolves outside the repository") as info:
        safe_join(repo, "apps/leak.txt")
    assert isinstance(info.value, RenderError)  # flows through the renderers' error handling
    assert safe_join(repo, "apps/alias/cm.yaml") == repo / "apps" / "alias" / "cm.yaml"
    assert is_within(repo, repo / "apps" / "alias" / "cm.yaml")
    assert not is_within(repo, repo / "apps" / "leak.txt")


def test_check_tree_names_the_link(repo: Path) -> None:
    check_tree(repo)
    os.symlink("/etc", repo / "apps" / "web" / "etc")
    with pytest.raises(UnsafePathError, match=r"apps/web/etc -> /etc"):
        check_tree(repo)


def test_copy_tree_materialises_inner_links_and_caps_size(repo: Path, tmp_path: Path) -> None:
    os.symlink("cm.yaml", repo / "apps" / "web" / "link.yaml")
    (repo / "apps" / "web" / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(repo / "apps" / "web" / "run.sh", 0o755)
    out = tmp_path / "copy"
    copy_tree(repo, repo / "apps", out, preserve_mode=False)
    assert (out / "web" / "link.yaml").read_text() == "kind: ConfigMap\n"
    assert not (out / "web" / "link.yaml").is_symlink()
    assert not os.access(out / "web" / "run.sh", os.X_OK)
    out2 = tmp_path / "copy2"
    copy_tree(repo, repo / "apps", out2, preserve_mode=True)
    assert os.access(out2 / "web" / "run.sh", os.X_OK)
    with pytest.raises(UnsafePathError, match=r"apps/web/(cm|link).yaml is 16 bytes, over the 4-byte limit"):
        copy_tree(repo, repo / "apps", tmp_path / "copy3", max_file_bytes=4)


def test_relative_to_root(repo: Path) -> None:
    assert relative_to_root(repo, repo / "apps" / "web") == "apps/web"
    assert relative_to_root(repo, repo) == "."
