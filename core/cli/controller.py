"""``kedge controller``: the application controller as its own process (the StatefulSet of
``manifests/install.yaml``), reading settings from the control-plane namespace and rendering
through a repo server (``--repo-server``) or in-process."""

from __future__ import annotations

import click

from kedge.cli.output import fail


def kube_client(kubeconfig: str | None, context: str | None):
    """A client from ``kubeconfig``, or the pod's service account when running in a cluster."""
    from kedge.kube.client import KubeClient

    return KubeClient.connect(kubeconfig, context)


@click.command()
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False),
    default=None,
    help="Kubeconfig of the management cluster (default: in-cluster service account, else ~/.kube/config).",
)
@click.option("--context", default=None, help="Kubeconfig context.")
@click.option(
    "--namespace",
    envvar="KEDGE_NAMESPACE",
    default="argocd",
    show_default=True,
    help="Control-plane namespace.",
)
@click.option(
    "--repo-server",
    envvar="ARGOCD_REPO_SERVER",
    default=None,
    metavar="HOST:PORT",
    help="Repo server address (default: generate manifests in-process).",
)
@click.option(
    "--repo-cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Git cache for in-process generation.",
)
@click.option("--status-processors", type=int, default=None, help="Reconcile workers (argocd-cmd-params-cm).")
def controller(kubeconfig, context, namespace, repo_server, repo_cache_dir, status_processors) -> None:
    """Run the application controller until SIGTERM."""
    import signal
    import threading
    from pathlib import Path

    from kedge.controller.controller import AppController
    from kedge.errors import KedgeError
    from kedge.server.settings_source import ClusterSettingsSource
    from kedge.settings import SettingsManager

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        client = kube_client(kubeconfig, context)
        manager = SettingsManager()
        source = ClusterSettingsSource(client, namespace, manager)
        source.start()
        if repo_server:
            from kedge.repo.http import RepoServerClient

            address = repo_server if "://" in repo_server else f"http://{repo_server}"
            repo = RepoServerClient(address)
        else:
            from kedge.repo.config import RepoServerConfig
            from kedge.repo.server import RepoServer

            overrides = {"cache_dir": Path(repo_cache_dir)} if repo_cache_dir else {}
            repo = RepoServer(RepoServerConfig.from_env(dict(manager.current.params), **overrides))
        ctl = AppController(client, repo, manager, namespace=namespace, processors=status_processors)
        ctl.start()
        from kedge.controller import gcpolicy

        gcpolicy.tune()  # a long-running controller process (see kedge.controller.gcpolicy)
    except KedgeError as exc:
        fail(str(exc))
    click.echo(
        f"kedge controller running (namespace {namespace}, repo server {repo_server or 'in-process'})",
        err=True,
    )
    try:
        while not stop.wait(1.0):
            pass
    finally:
        ctl.stop()
        source.stop()
