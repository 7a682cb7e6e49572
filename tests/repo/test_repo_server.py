"""RepoServer: generate_manifests over real git servers, caching, single-flight, generate-paths."""

from __future__ import annotations

import threading

import pytest

from kedge.errors import RenderError
from kedge.repo.cache import ManifestCache, MemoryBackend, make_cache
from kedge.repo.server import RepoServer, generate_paths, path_matches


def cm(name: str, data: str = "x") -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: {data}\n"


def app(
    url: str, path: str = "app", rev: str = "main", name: str = "guestbook", annotations=None, **src
) -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd", "annotations": annotations or {}},
        "spec": {
            "project": "default",
            "source": {"repoURL": url, "path": path, "targetRevision": rev, **src},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
        },
    }


@pytest.fixture
def server(repo_config):
    return RepoServer(repo_config)


def test_generate_manifests_directory_and_metadata(work_repo, git_daemon, server):
    r = work_repo()
    sha = r.commit({"app/a.yaml": cm("a"), "app/b.yaml": cm("b")}, "add config")
    resp = server.generate_manifests(app(git_daemon.url(r.name)))
    assert sorted(o["metadata"]["name"] for o in resp.manifests) == ["a", "b"]
    assert resp.revision == sha and resp.revisions == [sha]
    assert resp.source_type == "directory"
    assert resp.commit["message"] == "add config" and resp.commit["author"].startswith("Test Author")
    assert server.stats["renders"] == 1
    again = server.generate_manifests(app(git_daemon.url(r.name), name="other-app"))
    assert again.manifests == resp.manifests and again.sources[0].cached
    assert server.stats["renders"] == 1  # app name does not matter for a plain directory
    server.generate_manifests(app(git_daemon.url(r.name)), hard_refresh=True)
    assert server.stats["renders"] == 2  # hard refresh bypasses the cache


def test_single_flight_renders_once(work_repo, git_daemon, server):
    r = work_repo()
    r.commit({"app/a.yaml": cm("a")})
    url = git_daemon.url(r.name)
    start = server.stats["renders"]  # cold: ls-remote, fetch and checkout also happen once
    results, errors = [], []
    barrier = threading.Barrier(16)

    def go(i):
        barrier.wait()
        try:
            results.append(server.generate_manifests(app(url, name=f"app-{i}")))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 16
    assert len({id(r.manifests[0]) for r in results}) == 16  # callers never share mutable objects
    assert server.stats["renders"] - start == 1
    from kedge.repo import git as gitmod

    repos = gitmod.shared(server.config)
    assert repos.stats["ls_remote"] == 1 and repos.stats["checkout"] == 1


def test_render_errors_not_cached_and_name_the_file(work_repo, git_daemon, server):
    r = work_repo()
    r.commit({"app/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n"})
    url = git_daemon.url(r.name)
    with pytest.raises(RenderError) as e:
        server.generate_manifests(app(url))
    msg = str(e.value)
    assert "bad.yaml" in msg
    with pytest.raises(RenderError):
        server.generate_manifests(app(url))
    assert server.stats["renders"] == 0 and server.stats["hits"] == 0


def test_unknown_revision_error(work_repo, git_daemon, server):
    r = work_repo()
    r.commit({"app/a.yaml": cm("a")})
    with pytest.raises(RenderError) as e:
        server.generate_manifests(app(git_daemon.url(r.name), rev="nope"))
    assert "nope" in str(e.value) and git_daemon.url(r.name) in str(e.value)


def test_manifest_generate_paths_reuses_previous_manifests(work_repo, git_daemon, server):
    r = work_repo()
    r.commit({"apps/a/cm.yaml": cm("a"), "apps/b/cm.yaml": cm("b"), "shared/x.yaml": cm("x")})
    url = git_daemon.url(r.name)
    ann = {"argocd.argoproj.io/manifest-generate-paths": ".;/shared"}
    a = app(url, path="apps/a", name="a", annotations=ann)
    b = app(url, path="apps/b", name="b", annotations=ann)
    server.generate_manifests(a)
    server.generate_manifests(b)
    assert server.stats["renders"] == 2
    c2 = r.commit({"apps/b/cm.yaml": cm("b", "changed")})
    ra = server.generate_manifests(a, hard_refresh=False, revision=c2)
    rb = server.generate_manifests(b, revision=c2)
    assert server.stats["renders"] == 3  # only b rendered again
    assert ra.sources[0].reused_by_generate_paths and ra.revision == c2
    assert rb.manifests[0]["data"]["k"] == "changed"
    # a hit on the same commit afterwards, without rendering
    server.generate_manifests(a, revision=c2)
    assert server.stats["renders"] == 3
    # a change under the absolute path /shared re-renders a
    c3 = r.commit({"shared/x.yaml": cm("x", "2")})
    server.generate_manifests(a, revision=c3)
    assert server.stats["renders"] == 4


def test_generate_paths_parsing():
    assert generate_paths(".;../common;/shared/x", "apps/a") == ["apps/a", "apps/common", "shared/x"]
    assert generate_paths("/", "apps/a") == [""]
    assert path_matches("apps/a/x.yaml", ["apps/a"]) and not path_matches("apps/ab/x.yaml", ["apps/a"])
    assert path_matches("apps/a/x.yaml", ["apps/*/x.yaml"])


def test_multi_source_ref_values(work_repo, git_daemon, server):
    chart_repo = work_repo()
    values_repo = work_repo()
    chart = (
        "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  color: {{ .Values.color }}\n",
    )
    chart_repo.commit(
        {
            "chart/Chart.yaml": chart[0],
            "chart/values.yaml": "color: red\n",
            "chart/templates/cm.yaml": chart[1],
        }
    )
    values_repo.commit({"env/prod.yaml": "color: blue\n"})
    spec_app = {
        "metadata": {"name": "multi", "namespace": "argocd"},
        "spec": {
            "sources": [
                {
                    "repoURL": git_daemon.url(chart_repo.name),
                    "path": "chart",
                    "targetRevision": "HEAD",
                    "helm": {"valueFiles": ["$values/env/prod.yaml"]},
                },
                {"repoURL": git_daemon.url(values_repo.name), "targetRevision": "main", "ref": "values"},
            ],
            "destination": {"namespace": "prod", "server": "https://kubernetes.default.svc"},
        },
    }
    resp = server.generate_manifests(spec_app)
    assert [o["metadata"]["name"] for o in resp.manifests] == ["multi-cm"]
    assert resp.manifests[0]["data"]["color"] == "blue"
    assert len(resp.revisions) == 2 and resp.sources[1].source_type == ""
    assert resp.source_type == "helm"
    # a new commit in the ref source changes the key
    values_repo.commit({"env/prod.yaml": "color: green\n"})
    resp2 = server.generate_manifests(spec_app, hard_refresh=True)
    assert resp2.manifests[0]["data"]["color"] == "green"


def test_memory_backend_bounded_by_bytes():
    b = MemoryBackend(max_bytes=2000)
    c = ManifestCache(b)
    for i in range(100):
        c.set(f"k{i}", {"v": "x" * 100})
    assert b.size_bytes <= 2000 and len(b) < 100
    assert c.get("k99") == {"v": "x" * 100} and c.get("k0") is None


def test_redis_backend(redis_url, work_repo, git_daemon, repo_config):
    r = work_repo()
    r.commit({"app/a.yaml": cm("a")})
    url = git_daemon.url(r.name)
    s1 = RepoServer(repo_config, cache=make_cache(redis_url))
    s2 = RepoServer(repo_config, cache=make_cache(redis_url))
    s1.generate_manifests(app(url))
    resp = s2.generate_manifests(app(url, name="elsewhere"))
    assert s1.stats["renders"] == 1 and s2.stats["renders"] == 0 and resp.sources[0].cached
    import redis

    host, port = redis_url.split(":")
    raw = [
        redis.Redis(host=host, port=int(port)).get(k)
        for k in redis.Redis(host=host, port=int(port)).keys("kedge|m:*")
    ]
    assert raw and all(v.startswith(b"{") for v in raw)  # compact JSON, not YAML


def test_redis_down_degrades_to_no_cache(work_repo, git_daemon, repo_config):
    from gitservers import free_port

    r = work_repo()
    r.commit({"app/a.yaml": cm("a")})
    s = RepoServer(repo_config, cache=make_cache(f"127.0.0.1:{free_port()}"))
    assert len(s.generate_manifests(app(git_daemon.url(r.name))).manifests) == 1


def test_credentials_from_secrets_and_userinfo_urls(work_repo, git_http, repo_config):
    from conftest import HTTP_PASSWORD, HTTP_USER

    from kedge.repo.creds import CredentialStore

    r = work_repo()
    r.commit({"app/a.yaml": cm("a")})
    url = git_http.url(r.name)
    # a repo-creds template for the whole server
    store = CredentialStore(
        repo_creds=[{"url": url.rsplit("/", 1)[0], "username": HTTP_USER, "password": HTTP_PASSWORD}]
    )
    resp = RepoServer(repo_config, credentials=store).generate_manifests(app(url))
    assert resp.manifests[0]["metadata"]["name"] == "a"
    # credentials written into repoURL are used but never stored or passed on a command line
    cfg2 = type(repo_config)(cache_dir=repo_config.cache_dir.parent / "userinfo")
    userinfo = url.replace("http://", f"http://{HTTP_USER}:{HTTP_PASSWORD}@")
    resp = RepoServer(cfg2).generate_manifests(app(userinfo))
    assert resp.manifests[0]["metadata"]["name"] == "a" and HTTP_PASSWORD not in resp.sources[0].repo_url
    for f in cfg2.cache_dir.rglob("*"):
        assert HTTP_PASSWORD not in f.name
        if f.is_file() and f.name == "config":
            assert HTTP_PASSWORD not in f.read_text()


def test_missing_path_and_escaping_path(work_repo, git_daemon, server):
    r = work_repo()
    sha = r.commit({"app/a.yaml": cm("a")})
    url = git_daemon.url(r.name)
    with pytest.raises(RenderError) as e:
        server.generate_manifests(app(url, path="nope"))
    assert "'nope' does not exist" in str(e.value) and sha in str(e.value)
    with pytest.raises(RenderError) as e:
        server.generate_manifests(app(url, path="../../etc"))
    assert "repository" in str(e.value)


def test_helm_template_error_names_file(work_repo, git_daemon, server):
    r = work_repo()
    r.commit(
        {
            "chart/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
            "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.x | nosuchfunc }}\n",
        }
    )
    with pytest.raises(RenderError) as e:
        server.generate_manifests(app(git_daemon.url(r.name), path="chart"))
    msg = str(e.value)
    assert "templates/cm.yaml" in msg and git_daemon.url(r.name) in msg
    assert server.stats["renders"] == 0


def test_accepts_model_application(work_repo, git_daemon, server):
    from kedge.model import parse_application

    r = work_repo()
    r.commit({"app/a.yaml": cm("typed")})
    typed = parse_application(app(git_daemon.url(r.name)))
    resp = server.generate_manifests(typed)
    assert resp.manifests[0]["metadata"]["name"] == "typed"


def test_source_index_renders_one_source(work_repo, git_daemon, server):
    r1, r2 = work_repo(), work_repo()
    s1 = r1.commit({"a/cm.yaml": cm("one")})
    r2.commit({"b/cm.yaml": cm("two")})
    multi = {
        "metadata": {"name": "m"},
        "spec": {
            "sources": [
                {"repoURL": git_daemon.url(r1.name), "path": "a", "targetRevision": "main"},
                {"repoURL": git_daemon.url(r2.name), "path": "b", "targetRevision": "main"},
            ]
        },
    }
    both = server.generate_manifests(multi)
    assert [o["metadata"]["name"] for o in both.manifests] == ["one", "two"]
    first = server.generate_manifests(multi, source_index=0)
    assert [o["metadata"]["name"] for o in first.manifests] == ["one"] and first.revisions == [s1, ""]
    with pytest.raises(RenderError) as e:
        server.generate_manifests(multi, source_index=5)
    assert "no source index 5" in str(e.value)


def test_unwritable_cache_is_a_clear_error(work_repo, git_daemon, repo_config):
    import os

    if os.geteuid() == 0:
        # root ignores permissions: use a cache path below a regular file instead
        (repo_config.cache_dir.parent / "file").write_text("x")
        repo_config.cache_dir = repo_config.cache_dir.parent / "file" / "cache"
    r = work_repo()
    r.commit({"app/a.yaml": cm("a")})
    with pytest.raises(RenderError) as e:
        RepoServer(repo_config).generate_manifests(app(git_daemon.url(r.name)))
    assert "repo server cache" in str(e.value)
