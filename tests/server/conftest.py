"""Fixtures for the API server tests: the argoproj.io CRDs in the shared local cluster, a git
daemon with work repositories, and one running API server (uvicorn on a loopback port, with
its in-process controller and repo server) over a control-plane namespace of its own.

Users (argocd-cm / argocd-secret / argocd-rbac-cm of that namespace):
``admin`` (role:admin), ``alice`` (role:readonly, login + apiKey), ``bob`` (no role, login;
member of project ``team-a``'s role ``dev`` through the group claim-less role binding
``g, bob, proj:team-a:dev``), ``carol`` (apiKey only, role:admin).
"""

from __future__ import annotations

import base64
import itertools
import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gitservers import GitDaemon, WorkRepo  # noqa: E402

PASSWORD = "Passw0rd-123"
_names = itertools.count()


def wait_for(cond, timeout: float = 20.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(step)
    raise AssertionError(f"condition not met in {timeout}s (last value: {last!r})")


def unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid() % 1000}-{next(_names)}"


@pytest.fixture(scope="session")
def kube(local_cluster):
    from kedge.kube.client import KubeClient

    client = KubeClient.from_kubeconfig(str(local_cluster.kubeconfig_path))
    yield client
    client.close()


@pytest.fixture(scope="session")
def api_git(tmp_path_factory):
    root = tmp_path_factory.mktemp("apigit")
    (root / "srv").mkdir()
    daemon = GitDaemon(root / "srv")
    yield root, daemon
    daemon.stop()


@pytest.fixture
def work_repo(api_git):
    root, daemon = api_git
    repo = WorkRepo(root, unique("repo"))
    repo.url = daemon.url(repo.name)
    return repo


class Server:
    """A running API server: ``url``, ``backend``, ``client(token=None)``, ``login(user)``."""

    def __init__(self, backend, url: str, admin_password: str) -> None:
        self.backend = backend
        self.url = url
        self.admin_password = admin_password
        self.namespace = backend.namespace
        self._tokens: dict[str, str] = {}

    def client(self, token: str | None = None, **kw):
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kw)

    def login(self, user: str, password: str | None = None) -> str:
        if password is None and user in self._tokens:
            return self._tokens[user]
        pw = password or (self.admin_password if user == "admin" else PASSWORD)
        with self.client() as c:
            r = c.post("/api/v1/session", json={"username": user, "password": pw})
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        if password is None:
            self._tokens[user] = token
        return token

    def as_user(self, user: str):
        return self.client(self.login(user))

    def set_cm(self, name: str, data: dict[str, str | None]) -> None:
        """Merge ``data`` into a ConfigMap of the namespace and wait until the server sees it."""
        from kedge.kube.client import MERGE_PATCH

        b = self.backend
        res = b.client.resource_for("v1", "ConfigMap")
        b.client.patch(res, b.namespace, name, {"data": data}, MERGE_PATCH)
        b.refresh_settings()


def _serve(app):
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 15)
    return server, thread, f"http://127.0.0.1:{port}"


def start_server(kube, tmp_path_factory):
    """Create a control-plane namespace with the test users, build and start a backend, serve it."""
    from kedge.auth import hash_password
    from kedge.server import build_backend, create_app

    ns = unique("kedge-api")
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    cheap = hash_password(PASSWORD, cost=4)
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": ns},
            "data": {
                "accounts.alice": "login, apiKey",
                "accounts.bob": "login",
                "accounts.carol": "apiKey",
                "statusbadge.enabled": "true",
                "webhook.maxPayloadSizeMB": "1",
            },
        }
    )
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm", "namespace": ns},
            "data": {
                "policy.csv": "g, alice, role:readonly\ng, carol, role:admin\ng, bob, proj:team-a:dev\n"
            },
        }
    )
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "argocd-secret", "namespace": ns},
            "data": {
                k: base64.b64encode(v.encode()).decode()
                for k, v in {
                    "accounts.alice.password": cheap,
                    "accounts.bob.password": cheap,
                    "webhook.github.secret": "gh-secret",
                    "webhook.gitlab.secret": "gl-secret",
                }.items()
            },
        }
    )
    backend = build_backend(
        client=kube,
        namespace=ns,
        repo_cache_dir=tmp_path_factory.mktemp("api-repo-cache"),
        processors=4,
        resync=60,
    )
    backend.start()
    password = backend.extras["initial_password"]
    srv, thread, url = _serve(create_app(backend))
    server = Server(backend, url, password)

    def stop():
        srv.should_exit = True
        thread.join(5)
        backend.stop()

    return server, stop


@pytest.fixture(scope="session")
def server(kube, tmp_path_factory):
    srv, stop = start_server(kube, tmp_path_factory)
    yield srv
    stop()


@pytest.fixture(scope="session")
def admin(server):
    with server.as_user("admin") as c:
        yield c


def application(
    name: str, repo_url: str, dest_ns: str, project: str = "default", path: str = "guestbook", **spec
):
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name},
        "spec": {
            "project": project,
            "source": {"repoURL": repo_url, "targetRevision": "HEAD", "path": path},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest_ns},
            **spec,
        },
    }
