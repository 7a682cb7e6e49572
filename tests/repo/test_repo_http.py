"""The repo server over HTTP: a real uvicorn server on loopback and the client."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from gitservers import free_port

from kedge.repo.errors import RevisionNotFoundError
from kedge.repo.http import RepoServerClient, create_app
from kedge.repo.server import RepoServer


@pytest.fixture
def http_server(repo_config):
    server = RepoServer(repo_config)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(create_app(server), host="127.0.0.1", port=port, log_level="error"))
    t = threading.Thread(target=uv.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    yield server, f"127.0.0.1:{port}"
    uv.should_exit = True
    t.join(10)


def test_client_roundtrip(http_server, work_repo, git_daemon):
    server, address = http_server
    r = work_repo()
    sha = r.commit({"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"}, "msg")
    r.tag("v1.0.0")
    url = git_daemon.url(r.name)
    app = {
        "metadata": {"name": "x", "namespace": "argocd"},
        "spec": {"source": {"repoURL": url, "path": "app", "targetRevision": "main"}, "destination": {}},
    }
    with RepoServerClient(address, timeout=30) as client:
        resp = client.generate_manifests(app)
        assert resp.revision == sha and resp.manifests[0]["metadata"]["name"] == "c"
        assert resp.sources[0].source_type == "directory" and resp.commit["message"] == "msg"
        assert client.resolve_revision(url, "v1.*") == sha
        assert client.list_refs(url) == {"branches": ["main"], "tags": ["v1.0.0"]}
        assert client.revision_metadata(url, sha)["author"].startswith("Test Author")
        with pytest.raises(RevisionNotFoundError) as e:
            client.resolve_revision(url, "nope")
        assert "nope" in str(e.value)
    assert server.stats["renders"] == 1


def test_client_unreachable():
    from kedge.repo.errors import RepoUnreachableError

    with RepoServerClient(f"127.0.0.1:{free_port()}", timeout=2) as client:
        with pytest.raises(RepoUnreachableError):
            client.list_refs("git://x/y")


def test_kedge_repo_server_process(tmp_path, work_repo, git_daemon, redis_url):
    import os
    import subprocess
    import sys

    from gitservers import wait_port

    r = work_repo()
    r.commit({"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: proc\n"})
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kedge",
            "repo-server",
            "--address",
            "127.0.0.1",
            "--port",
            str(port),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--redis",
            redis_url,
            "--parallelism-limit",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    try:
        wait_port(port, 20)
        app = {
            "metadata": {"name": "p"},
            "spec": {"source": {"repoURL": git_daemon.url(r.name), "path": "app", "targetRevision": "HEAD"}},
        }
        with RepoServerClient(f"127.0.0.1:{port}", timeout=30) as client:
            assert client.generate_manifests(app).manifests[0]["metadata"]["name"] == "proc"
            again = client.generate_manifests(app)
            assert again.sources[0].cached
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert b"redis" in err and b"parallelism 2" in err
