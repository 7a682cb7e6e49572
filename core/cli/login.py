"""``kedge login`` / ``logout`` / ``context``: API server sessions saved in ``~/.config/kedge/config``."""

from __future__ import annotations

import click

from kedge.cli.output import emit_table, fail


def _config(path: str | None):
    from kedge.cli.client.config import LocalConfig
    from kedge.errors import KedgeError

    try:
        return LocalConfig(path)
    except KedgeError as exc:
        fail(str(exc))


@click.command()
@click.argument("server")
@click.option("--username", help="User name (prompted when missing).")
@click.option("--password", help="Password (prompted when missing).")
@click.option("--sso", is_flag=True, help="Log in through the configured OIDC provider in a browser.")
@click.option("--name", "context_name", help="Name of the context (default: SERVER).")
@click.option("--insecure", is_flag=True, help="Skip TLS certificate verification.")
@click.option("--plaintext", is_flag=True, help="Use plain HTTP.")
@click.option(
    "--grpc-web", is_flag=True, help="Accepted for argocd compatibility (ignored: Kedge speaks HTTP/JSON)."
)
@click.option(
    "--skip-test-tls", is_flag=True, hidden=True, help="Accepted for argocd compatibility (ignored)."
)
@click.option("--config", envvar="KEDGE_CONFIG", metavar="FILE", help="Client config file.")
def login(
    server, username, password, sso, context_name, insecure, plaintext, grpc_web, skip_test_tls, config
):
    """Log in to a Kedge API server and save the session as the current context."""
    from kedge.cli.client.api import APIBackend
    from kedge.errors import KedgeError

    if sso:
        fail(
            "--sso is not available in this version of the CLI: log in with a local account, or create an "
            "API token in the web UI and pass it with --auth-token / KEDGE_AUTH_TOKEN"
        )
    if not username:
        username = click.prompt("Username")
    if password is None:
        password = click.prompt("Password", hide_input=True)
    api = APIBackend(server, insecure=insecure, plaintext=plaintext)
    try:
        token = api.login(username, password)
    except KedgeError as exc:
        fail(str(exc))
    finally:
        api.close()
    cfg = _config(config)
    name = context_name or server
    cfg.upsert(name, server, token, insecure, plaintext, grpc_web)
    cfg.save()
    click.echo(f"'{username}:login' logged in successfully")
    click.echo(f"Context '{name}' updated")


@click.command()
@click.argument("context_name", required=False)
@click.option("--config", envvar="KEDGE_CONFIG", metavar="FILE", help="Client config file.")
def logout(context_name, config):
    """Log out: revoke the session on the server and forget the token."""
    from kedge.cli.client.api import APIBackend
    from kedge.errors import KedgeError

    cfg = _config(config)
    name = context_name or cfg.current
    if not name:
        fail("not logged in (no current context)")
    try:
        ctx = cfg.context(name)
    except KedgeError as exc:
        fail(str(exc))
    if ctx is not None and ctx.token:
        api = APIBackend(ctx.server, ctx.token, insecure=ctx.insecure, plaintext=ctx.plaintext)
        try:
            api.logout()
        except KedgeError as exc:
            click.echo(f"warning: the server did not revoke the session: {exc}", err=True)
        finally:
            api.close()
    if not cfg.remove_token(name):
        fail(f"context {name!r} has no session to log out of")
    cfg.save()
    click.echo(f"Logged out from '{name}'")


@click.command()
@click.argument("context_name", required=False)
@click.option("--delete", is_flag=True, help="Delete the context.")
@click.option("--config", envvar="KEDGE_CONFIG", metavar="FILE", help="Client config file.")
def context(context_name, delete, config):
    """List login contexts, or switch to one (``-`` is not supported: name it)."""
    from kedge.errors import KedgeError

    cfg = _config(config)
    try:
        if context_name and delete:
            cfg.delete(context_name)
            cfg.save()
            click.echo(f"Context '{context_name}' deleted")
            return
        if context_name:
            cfg.use(context_name)
            cfg.save()
            click.echo(f"Switched to context '{context_name}'")
            return
    except KedgeError as exc:
        fail(str(exc))
    rows = [
        ["*" if c.get("name") == cfg.current else "", c.get("name", ""), c.get("server", "")]
        for c in cfg.contexts()
    ]
    emit_table(rows, ["CURRENT", "NAME", "SERVER"])
