"""``kedge server``: the API server with an in-process controller and repo server."""

from __future__ import annotations

import click

from kedge.cli.output import fail


@click.command("server")
@click.option("--address", default="0.0.0.0", show_default=True, help="Listen address.")
@click.option("--port", default=8080, show_default=True, type=int, help="Listen port.")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False),
    default=None,
    help="Kubeconfig of the management cluster (default: ~/.kube/config).",
)
@click.option("--context", default=None, help="Kubeconfig context.")
@click.option(
    "-n",
    "--namespace",
    default="argocd",
    show_default=True,
    help="Control-plane namespace (Applications, settings).",
)
@click.option(
    "--insecure",
    is_flag=True,
    help="Serve plain HTTP without marking cookies Secure (put TLS in front otherwise).",
)
@click.option(
    "--repo-cache-dir", type=click.Path(file_okay=False), default=None, help="Git mirrors and checkouts."
)
@click.option(
    "--status-processors", type=int, default=None, help="Controller workers (default: argocd-cmd-params-cm)."
)
def server(
    address: str,
    port: int,
    kubeconfig: str | None,
    context: str | None,
    namespace: str,
    insecure: bool,
    repo_cache_dir: str | None,
    status_processors: int | None,
) -> None:
    """Serve Argo CD's REST API (plus the controller and repo server, in this process)."""
    from kedge.errors import KedgeError
    from kedge.kube.client import KubeError

    try:
        from kedge.server import build_backend, create_app

        backend = build_backend(
            kubeconfig,
            namespace,
            context=context,
            repo_cache_dir=repo_cache_dir,
            processors=status_processors,
            insecure=insecure,
        )
        backend.start()
        from kedge.controller import gcpolicy

        gcpolicy.tune()  # a long-running server process (see kedge.controller.gcpolicy)
    except (KedgeError, KubeError) as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - e.g. an unparsable kubeconfig: a message, not a traceback
        fail(f"cannot start the server: {type(exc).__name__}: {exc}")
    import uvicorn

    password = backend.extras.get("initial_password")
    click.echo(f"kedge server listening on http://{address}:{port} (namespace {namespace})", err=True)
    if password:
        click.echo(
            f"generated the admin password; read it with: kubectl -n {namespace} get secret argocd-initial-admin-secret "
            "-o jsonpath='{.data.password}' | base64 -d",
            err=True,
        )
    try:
        uvicorn.run(
            create_app(backend), host=address, port=port, log_level="warning", timeout_graceful_shutdown=5
        )
    finally:
        backend.stop()
