"""``kedge completion bash|zsh|fish``: print a shell completion script (click's).

source <(kedge completion bash)                      # bash, current shell
kedge completion zsh > "${fpath[1]}/_kedge"          # zsh
kedge completion fish > ~/.config/fish/completions/kedge.fish
"""

from __future__ import annotations

import click


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the completion script for SHELL."""
    from click.shell_completion import get_completion_class

    from kedge.cli import cli

    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(cli, {}, "kedge", "_KEDGE_COMPLETE").source())
