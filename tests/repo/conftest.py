"""Fixtures for the repo server tests: real Git servers (git daemon, smart HTTP with basic auth,
sshd), a Redis server, and a repo server configuration in a temporary cache directory."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gitservers import GitDaemon, GitHTTPServer, SSHServer, WorkRepo, free_port  # noqa: E402

_names = itertools.count()

HTTP_USER = "kedge-user"
HTTP_PASSWORD = "s3cr3t-Pa55word"


@pytest.fixture(scope="session")
def git_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gitsrv")
    (root / "srv").mkdir()
    return root


@pytest.fixture
def work_repo(git_root):
    """A factory: ``work_repo()`` returns a fresh :class:`WorkRepo` served by every server."""

    def make(name: str | None = None) -> WorkRepo:
        return WorkRepo(git_root, name or f"r{next(_names)}")

    return make


@pytest.fixture(scope="session")
def git_daemon(git_root):
    d = GitDaemon(git_root / "srv")
    yield d
    d.stop()


@pytest.fixture(scope="session")
def git_http(git_root):
    s = GitHTTPServer(git_root / "srv", HTTP_USER, HTTP_PASSWORD)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory):
    if not Path("/usr/sbin/sshd").exists() and not shutil.which("sshd"):
        pytest.fail("sshd missing: apt-get install -y openssh-server (scripts/test.sh installs it)")
    s = SSHServer(tmp_path_factory.mktemp("ssh"))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real redis-server on a free loopback port: ``redis://127.0.0.1:PORT/0``."""
    exe = shutil.which("redis-server")
    if not exe:
        pytest.fail("redis-server missing: apt-get install -y redis-server (scripts/test.sh installs it)")
    d = tmp_path_factory.mktemp("redis")
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(d),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def repo_config(tmp_path):
    from kedge.repo.config import RepoServerConfig

    return RepoServerConfig(cache_dir=tmp_path / "cache", exec_timeout=30.0)
