"""Fixtures for controller tests: a git daemon serving work repositories, the argoproj.io CRDs
installed in the shared local cluster, and a running controller."""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gitservers import GitDaemon, WorkRepo  # noqa: E402

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


@pytest.fixture(scope="session")
def ctl_git(tmp_path_factory):
    root = tmp_path_factory.mktemp("ctlgit")
    (root / "srv").mkdir()
    daemon = GitDaemon(root / "srv")
    yield root, daemon
    daemon.stop()


@pytest.fixture
def app_repo(ctl_git):
    root, daemon = ctl_git
    repo = WorkRepo(root, f"app{next(_names)}")
    repo.url = daemon.url(repo.name)
    return repo


@pytest.fixture(scope="session")
def kube(local_cluster):
    from kedge.kube.client import KubeClient
    from kedge.manifests import crds

    client = KubeClient.from_kubeconfig(str(local_cluster.kubeconfig_path))
    for crd in crds():
        client.apply(crd)
    wait_for(lambda: client.resource_for("argoproj.io/v1alpha1", "Application"))
    yield client
    client.close()


@pytest.fixture
def control_ns(kube):
    """A fresh control-plane namespace per test (Applications live there)."""
    from kedge.kube.keys import ResourceKey  # noqa: F401

    name = f"argocd-{next(_names)}"
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


@pytest.fixture
def controller(kube, control_ns, tmp_path):
    from kedge.controller.controller import AppController
    from kedge.repo.config import RepoServerConfig
    from kedge.repo.server import RepoServer
    from kedge.settings import SettingsManager

    settings = SettingsManager()
    repo = RepoServer(RepoServerConfig(cache_dir=tmp_path / "repo-cache", exec_timeout=30.0))
    ctl = AppController(kube, repo, settings, namespace=control_ns, processors=4, resync=60)
    ctl.start()
    yield ctl
    ctl.stop()


SYNC_TEST_PARAMS = {
    "controller.sync.wave.delay.seconds": "0.1",
    "controller.sync.timeout.seconds": "60",
    "controller.self.heal.backoff.timeout.seconds": "0.3",
    "controller.self.heal.backoff.factor": "2",
    "controller.self.heal.backoff.cap.seconds": "2",
}


def make_sync_controller(kube, namespace, cache_dir, params=None):
    """An AppController with its operation runner tuned for tests (short wave delay, short
    self-heal back-off, 60 s sync timeout). The caller starts and stops it."""
    from kedge.controller.controller import AppController
    from kedge.repo.config import RepoServerConfig
    from kedge.repo.server import RepoServer
    from kedge.settings import SettingsManager

    settings = SettingsManager()
    settings.update(
        [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cmd-params-cm", "namespace": namespace},
                "data": {**SYNC_TEST_PARAMS, **(params or {})},
            }
        ]
    )
    repo = RepoServer(RepoServerConfig(cache_dir=cache_dir, exec_timeout=30.0))
    return AppController(kube, repo, settings, namespace=namespace, processors=4, resync=60)


@pytest.fixture
def sync_controller(kube, control_ns, tmp_path):
    """A started controller whose syncs run fast (see make_sync_controller)."""
    ctl = make_sync_controller(kube, control_ns, tmp_path / "repo-cache")
    ctl.start()
    yield ctl
    ctl.stop()
