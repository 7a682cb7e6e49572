"""``kedge localcluster``: run the embedded Kubernetes-API-compatible cluster."""

from __future__ import annotations

import click

from kedge.cli.output import fail


@click.group()
def localcluster() -> None:
    """The embedded local cluster (a Kubernetes API server backed by SQLite)."""


@localcluster.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=6443,
    show_default=True,
    help="Port on --address (0: any free port).",
)
@click.option("--address", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where the database, token and TLS certificate live [default: ~/.kedge/localcluster].",
)
@click.option("--in-memory", is_flag=True, help="Keep everything in memory (nothing survives a restart).")
@click.option(
    "--kubeconfig-out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the kubeconfig here [default: <data-dir>/kubeconfig].",
)
@click.option(
    "--simulate/--no-simulate",
    default=True,
    show_default=True,
    help="Run the workload simulator (Deployments get Pods, ...).",
)
def serve(
    port: int, address: str, data_dir: str | None, in_memory: bool, kubeconfig_out: str | None, simulate: bool
) -> None:
    """Serve the local cluster in the foreground until interrupted (Ctrl-C)."""
    import os
    import signal
    import threading

    from kedge.errors import KedgeError
    from kedge.localcluster.cluster import LocalCluster

    if data_dir is None and not in_memory:
        data_dir = os.path.join(os.path.expanduser("~"), ".kedge", "localcluster")
    cluster = LocalCluster(
        None if in_memory else data_dir,
        in_memory=in_memory,
        host=address,
        port=port,
        kubeconfig_path=kubeconfig_out,
        simulate=simulate,
    )
    try:
        cluster.start()
    except KedgeError as e:
        fail(str(e))
    done = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    where = "in memory" if in_memory else data_dir
    click.echo(f"Local cluster serving on {cluster.url} (data: {where})")
    click.echo(f"kubeconfig: {cluster.kubeconfig_path}")
    click.echo(f"  export KUBECONFIG={cluster.kubeconfig_path}")
    try:
        while not done.is_set():
            done.wait(0.5)
    finally:
        cluster.stop()
        click.echo("Local cluster stopped.")
