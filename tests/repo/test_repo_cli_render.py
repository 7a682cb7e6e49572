"""``kedge admin app render`` end to end (a real `kedge` process, real git daemon)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml


def cm(name: str, ns: str | None = None, api="v1", kind="ConfigMap") -> str:
    meta = f"  name: {name}\n" + (f"  namespace: {ns}\n" if ns else "")
    return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n{meta}"


def write_app(tmp_path, url, rev="main", path="app", name="demo"):
    f = tmp_path / f"{name}.yaml"
    f.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": name, "namespace": "argocd"},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": url, "targetRevision": rev, "path": path},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
                },
            }
        )
    )
    return f


def kedge(*args, cache):
    env = {**os.environ, "KEDGE_REPO_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "kedge", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_render_sorted_yaml_and_json(tmp_path, work_repo, git_daemon):
    r = work_repo()
    r.commit(
        {
            "app/z.yaml": cm("zeta", "b"),
            "app/a.yaml": cm("alpha", "b") + "---\n" + cm("web", "a", api="apps/v1", kind="Deployment"),
            "app/s.yaml": cm("svc", "a", kind="Service"),
        }
    )
    f = write_app(tmp_path, git_daemon.url(r.name))
    out = kedge("admin", "app", "render", str(f), cache=tmp_path / "c")
    assert out.returncode == 0, out.stderr
    docs = list(yaml.safe_load_all(out.stdout))
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("ConfigMap", "alpha"),
        ("ConfigMap", "zeta"),
        ("Service", "svc"),
        ("Deployment", "web"),
    ]
    out = kedge("admin", "app", "render", str(f), "-o", "json", cache=tmp_path / "c")
    assert out.returncode == 0 and [o["metadata"]["name"] for o in json.loads(out.stdout)][0] == "alpha"


def test_render_local_directory(tmp_path):
    d = tmp_path / "repo" / "app"
    d.mkdir(parents=True)
    (d / "cm.yaml").write_text(cm("local-cm"))
    f = write_app(tmp_path, "https://example.invalid/nothing.git")
    out = kedge(
        "admin",
        "app",
        "render",
        str(f),
        "--local",
        str(d),
        "--local-repo-root",
        str(tmp_path / "repo"),
        cache=tmp_path / "c",
    )
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(out.stdout)["metadata"]["name"] == "local-cm"


def test_render_errors_are_one_line(tmp_path, work_repo, git_daemon):
    r = work_repo()
    r.commit({"app/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n"})
    url = git_daemon.url(r.name)
    cases = [
        (write_app(tmp_path, url, rev="no-such-rev", name="a1"), ["no-such-rev", url]),
        (write_app(tmp_path, url, name="a2"), ["bad.yaml"]),
        (write_app(tmp_path, "git://127.0.0.1:1/none.git", name="a3"), ["127.0.0.1:1", "unreachable"]),
    ]
    bad_yaml = tmp_path / "broken.yaml"
    bad_yaml.write_text("kind: Application\nspec: [\n")
    cases.append((bad_yaml, ["broken.yaml:", "invalid YAML"]))
    for f, needles in cases:
        out = kedge("admin", "app", "render", str(f), cache=tmp_path / "c")
        assert out.returncode == 1, (f, out.stdout)
        assert out.stderr.startswith("Error: ") and "Traceback" not in out.stderr, out.stderr
        for n in needles:
            assert n in out.stderr, (n, out.stderr)


def test_render_with_config_dir_credentials(tmp_path, work_repo, git_http):
    from conftest import HTTP_PASSWORD, HTTP_USER

    r = work_repo()
    r.commit({"app/cm.yaml": cm("private")})
    url = git_http.url(r.name)
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "repo.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "private", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
                "stringData": {"url": url, "username": HTTP_USER, "password": HTTP_PASSWORD},
            }
        )
    )
    f = write_app(tmp_path, url)
    out = kedge("admin", "app", "render", str(f), cache=tmp_path / "c")
    assert out.returncode == 1 and "authentication" in out.stderr and HTTP_PASSWORD not in out.stderr
    out = kedge("admin", "app", "render", str(f), "--config-dir", str(cfg), cache=tmp_path / "c")
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(out.stdout)["metadata"]["name"] == "private"


def test_invalid_application_is_reported(tmp_path):
    f = tmp_path / "app.yaml"
    f.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: x\nspec:\n  source:\n    path: a\n"
    )
    out = kedge("admin", "app", "render", str(f), cache=tmp_path / "c")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "spec.source.repoURL: required field is missing" in out.stderr and str(f) in out.stderr
