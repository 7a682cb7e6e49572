"""reposerver.parallelism.limit bounds concurrent renders; submodules are optional."""

from __future__ import annotations

import threading
import time
import types

import pytest

from kedge import plugins
from kedge.hookspecs import hookimpl
from kedge.repo.server import RepoServer


class SlowRenderer:
    """A real renderer plugin: renders directories holding ``slow.marker``, slowly."""

    name = "slowtool"

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    def detect(self, path) -> bool:
        return (path / "slow.marker").is_file()

    def render(self, request):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.15)
        with self.lock:
            self.active -= 1
        name = request.path.name
        return [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}]

    def cache_key(self, request) -> str:
        return ""


@pytest.fixture
def slow_renderer():
    renderer = SlowRenderer()
    mod = types.ModuleType("kedge_test_slowtool")

    @hookimpl
    def kedge_renderers():
        return [renderer]

    mod.kedge_renderers = kedge_renderers
    assert plugins.registry().register(mod, "kedge_test_slowtool", "kedge-test", "0", "entrypoint")
    yield renderer
    plugins.reset()


def test_parallelism_limit(slow_renderer, work_repo, git_daemon, repo_config):
    r = work_repo()
    r.commit({f"apps/a{i}/slow.marker": "" for i in range(6)})
    url = git_daemon.url(r.name)
    repo_config.parallelism = 2
    server = RepoServer(repo_config)
    server.resolve_revision(url, "main")

    def go(i):
        server.generate_manifests(
            {
                "metadata": {"name": f"a{i}"},
                "spec": {"source": {"repoURL": url, "path": f"apps/a{i}", "targetRevision": "main"}},
            }
        )

    threads = [threading.Thread(target=go, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.stats["renders"] == 6
    assert slow_renderer.peak == 2


def test_submodules_optional(work_repo, git_daemon, repo_config):
    from gitservers import git

    sub = work_repo()
    sub.commit({"sub.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-sub\n"})
    main = work_repo()
    main.commit({"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: main\n"})
    git(
        "-c",
        "protocol.allow=always",
        "submodule",
        "add",
        "-q",
        git_daemon.url(sub.name),
        "app/vendor",
        cwd=main.work,
    )
    sha = main.commit(message="add submodule")
    url = git_daemon.url(main.name)
    src = {"repoURL": url, "path": "app", "targetRevision": "main", "directory": {"recurse": True}}
    app = {"metadata": {"name": "m"}, "spec": {"source": src}}

    off = RepoServer(repo_config).generate_manifests(app)
    assert [o["metadata"]["name"] for o in off.manifests] == ["main"]

    repo_config.submodules = True
    repo_config.cache_dir = repo_config.cache_dir.parent / "with-submodules"
    on = RepoServer(repo_config).generate_manifests(app)
    assert sorted(o["metadata"]["name"] for o in on.manifests) == ["from-sub", "main"]
    assert on.revision == sha
