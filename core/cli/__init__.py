"""The ``kedge`` command. Subcommands live in their own modules and are imported lazily."""

from __future__ import annotations

import click

from kedge.cli.lazy import LazyGroup
from kedge.cli.output import FORMATS

#: top-level commands: name -> ("module:attribute", short help). Add yours here.
COMMANDS: dict[str, tuple[str, str]] = {
    "version": ("kedge.cli.version:version", "Print version information"),
    "plugins": ("kedge.cli.plugins:plugins", "Inspect installed plugins"),
    "admin": ("kedge.cli.admin:admin", "Administration commands (settings, local rendering, ...)"),
    "localcluster": ("kedge.cli.localcluster:localcluster", "Run the embedded local Kubernetes cluster"),
    "lua": ("kedge.cli.lua:lua", "Test Lua health checks and resource actions"),
    "repo-server": (
        "kedge.cli.reposerver:repo_server",
        "Run the repo server (manifest generation over HTTP)",
    ),
    "server": (
        "kedge.cli.server:server",
        "Run the API server (with an in-process controller and repo server)",
    ),
    "app": ("kedge.cli.app:app", "Manage applications"),
    "proj": ("kedge.cli.proj:proj", "Manage projects"),
    "repo": ("kedge.cli.repo:repo", "Manage repository connection parameters"),
    "repocreds": ("kedge.cli.repo:repocreds", "Manage repository credential templates"),
    "cluster": ("kedge.cli.cluster:cluster", "Manage destination clusters"),
    "account": ("kedge.cli.account:account", "Manage accounts"),
    "login": ("kedge.cli.login:login", "Log in to a Kedge API server"),
    "logout": ("kedge.cli.login:logout", "Log out from a Kedge API server"),
    "context": ("kedge.cli.login:context", "Switch between login contexts"),
    "completion": ("kedge.cli.completion:completion", "Print a shell completion script (bash, zsh, fish)"),
    "controller": ("kedge.cli.controller:controller", "Run the application controller"),
    "up": ("kedge.cli.up:up", "Run Kedge locally: cluster, controller, repo server and API in one process"),
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-o", "--output", type=click.Choice(FORMATS), default="table", help="Default output format.")
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, output: str, verbose: int) -> None:
    """Kedge: GitOps continuous delivery for Kubernetes (Argo CD compatible)."""
    ctx.ensure_object(dict)
    ctx.obj["output"] = output
    if verbose:
        import logging

        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
        )


def main() -> None:
    cli(prog_name="kedge")
