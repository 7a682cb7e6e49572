"""``kedge version``."""

from __future__ import annotations

import platform

import click

from kedge import __version__
from kedge.cli.output import emit_data, output_option


@click.command()
@click.option("--short", is_flag=True, help="Print just the version number.")
@output_option
def version(short: bool, output: str) -> None:
    """Print version information."""
    if short:
        click.echo(__version__)
        return
    info = {"kedge": __version__, "python": platform.python_version(), "platform": platform.platform()}
    if output in ("json", "yaml"):
        emit_data(info, output)
    else:
        click.echo(f"kedge: v{__version__}\n  Python: {info['python']}\n  Platform: {info['platform']}")
