"""``kedge up``: the local cluster, controller, repo server and API server in one process."""

from __future__ import annotations

import click

from kedge.cli.output import fail


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where all state lives [default: ~/.local/share/kedge].",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="API server port."
)
@click.option("--address", default="127.0.0.1", show_default=True, help="API server address.")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Use this cluster instead of starting the local one.",
)
@click.option("--kube-context", "--context", "kube_context", default=None, help="Context in --kubeconfig.")
@click.option(
    "--namespace",
    envvar="KEDGE_NAMESPACE",
    default="argocd",
    show_default=True,
    help="Control-plane namespace.",
)
@click.option("--no-example", is_flag=True, help="Do not create the guestbook example on first start.")
def up(data_dir, port, address, kubeconfig, kube_context, namespace, no_example) -> None:
    """Run Kedge on this machine until Ctrl-C; state is kept in --data-dir for the next start."""
    import signal
    import sys
    import threading
    from pathlib import Path

    from rich.console import Console

    from kedge.errors import KedgeError
    from kedge.up import Up, UpOptions
    from kedge.up.runner import default_data_dir

    options = UpOptions(
        data_dir=Path(data_dir).expanduser() if data_dir else default_data_dir(),
        port=port,
        address=address,
        kubeconfig=kubeconfig,
        kube_context=kube_context,
        namespace=namespace,
        example=not no_example,
    )
    console = Console(highlight=False, soft_wrap=True)
    stop = threading.Event()

    def _signal(signum, frame) -> None:
        if stop.is_set():  # a second Ctrl-C: stop now (the cluster database is crash-safe)
            import os

            os._exit(130)
        stop.set()

    signal.signal(signal.SIGTERM, _signal)
    signal.signal(signal.SIGINT, _signal)
    runner = Up(options)
    try:
        if console.is_terminal:
            with console.status("Starting Kedge...") as status:

                def step(text: str) -> None:
                    if getattr(step, "last", None):
                        console.print(f"[green]✔[/] {step.last}")
                    step.last = text
                    status.update(text + "...")

                runner.start(step)
                console.print(f"[green]✔[/] {step.last}")
        else:
            runner.start(lambda text: console.print(f"- {text}"))
        from kedge.controller import gcpolicy

        gcpolicy.tune()  # a long-running process (see kedge.controller.gcpolicy)
    except KedgeError as exc:
        runner.stop()
        fail(str(exc))
    except BaseException:
        runner.stop()
        raise
    _summary(console, runner)
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        console.print("Shutting down...")
        runner.stop()
        console.print(f"Kedge stopped. State is kept in {options.data_dir}.")


def _summary(console, runner) -> None:
    o = runner.o
    console.print()
    console.print("[bold]Kedge is ready.[/]")
    console.print(f"  API server:       {runner.api_url}")
    console.print(f"  Namespace:        {o.namespace}")
    console.print(f"  Kubeconfig:       {runner.kubeconfig}")
    if runner.admin_password:
        console.print(f"  Admin password:   {runner.admin_password}  (user admin)")
    else:
        console.print("  Admin password:   yours (argocd-initial-admin-secret was removed)")
    if runner.example is not None:
        console.print(f"  Example repo:     {runner.example}")
    for w in runner.warnings:
        console.print(f"  [yellow]Warning:[/] {w}")
    console.print()
    console.print("Next steps:")
    console.print(f"  kedge login {runner.api_url.split('://', 1)[1]} --plaintext --username admin")
    console.print("  kedge app list")
    if runner.example is not None:
        console.print("  kedge app get guestbook")
        console.print("  kedge app sync guestbook")
    console.print(f"  kubectl --kubeconfig {runner.kubeconfig} get applications -n {o.namespace}")
    console.print("(or skip the login: add --core to talk to the cluster directly, with KUBECONFIG set)")
    console.print("Press Ctrl-C to stop.")
