"""``kedge account ...``: local accounts, passwords, API tokens, permissions."""

from __future__ import annotations

import click

from kedge.cli.client import backend, client_command
from kedge.cli.output import emit, emit_data, fail, output_option


@click.group()
def account() -> None:
    """Manage accounts."""


@account.command("list")
@output_option
@client_command
def list_(output):
    """List accounts."""
    items = backend().list_accounts()
    rows = [
        [a["name"], str(a.get("enabled", True)).lower(), ", ".join(a.get("capabilities") or [])]
        for a in items
    ]
    emit(items, output, rows, ["NAME", "ENABLED", "CAPABILITIES"])


@account.command("get-user-info")
@output_option
@client_command
def get_user_info(output):
    """Show who you are logged in as."""
    info = backend().user_info()
    if output in ("json", "yaml"):
        emit_data(info, output)
        return
    click.echo(f"Logged In: {str(bool(info.get('loggedIn'))).lower()}")
    if info.get("loggedIn"):
        click.echo(f"Username: {info.get('username', '')}")
        click.echo(f"Issuer: {info.get('iss', '')}")
        click.echo(f"Groups: {','.join(info.get('groups') or [])}")
    elif info.get("mode") == "core":
        click.echo(
            "(core mode: the kubeconfig's permissions apply; `kedge login SERVER` for a Kedge session)"
        )


@account.command("can-i")
@click.argument("action")
@click.argument("resource")
@click.argument("subresource", default="*")
@client_command
def can_i(action, resource, subresource):
    """Can the current user do ACTION on RESOURCE [SUBRESOURCE]? Prints yes or no."""
    click.echo("yes" if backend().can_i(action, resource, subresource) else "no")


@account.command("update-password")
@click.option(
    "--account", "account_name", default=None, help="Account (default: the logged-in user, or admin)."
)
@click.option("--current-password", default=None, help="Current password (prompted when missing).")
@click.option("--new-password", default=None, help="New password (prompted when missing).")
@client_command
def update_password(account_name, current_password, new_password):
    """Change an account's password."""
    b = backend()
    if account_name is None:
        info = b.user_info()
        account_name = info.get("username") or "admin"
    if current_password is None:
        current_password = click.prompt("*** Enter password of currently logged in user", hide_input=True)
    if new_password is None:
        new_password = click.prompt(
            f"*** Enter new password for user {account_name}",
            hide_input=True,
            confirmation_prompt=f"*** Confirm new password for user {account_name}",
        )
    if not new_password:
        fail("the new password is empty")
    b.update_password(account_name, current_password, new_password)
    click.echo("Password updated")


@account.command("generate-token")
@click.option("-a", "--account", "account_name", default=None, help="Account (default: the logged-in user).")
@click.option("-e", "--expires-in", default="0s", show_default=True, help="Duration, e.g. 24h (0s: never).")
@click.option("--id", "token_id", default=None, help="Token ID (default: a random UUID).")
@client_command
def generate_token(account_name, expires_in, token_id):
    """Generate an API token for an account (needs the apiKey capability)."""
    from kedge.settings.durations import parse_go_duration

    try:
        seconds = parse_go_duration(expires_in)
    except ValueError as exc:
        fail(f"--expires-in {expires_in!r}: {exc}")
    b = backend()
    if account_name is None:
        account_name = b.user_info().get("username") or ""
        if not account_name:
            fail("--account is required in core mode")
    click.echo(b.generate_token(account_name, seconds or None, token_id))
