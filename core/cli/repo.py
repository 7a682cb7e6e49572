"""``kedge repo ...`` and ``kedge repocreds ...``: repositories and credential templates.

Stored as Secrets labelled ``argocd.argoproj.io/secret-type: repository`` / ``repo-creds``,
exactly as Argo CD stores them. Passwords and SSH keys are written, never printed.
"""

from __future__ import annotations

import click

from kedge.cli.client import backend, client_command
from kedge.cli.output import emit, fail, output_option


def _cred_options(f):
    for o in reversed(
        [
            click.option("--username", help="User name (https)."),
            click.option(
                "--password",
                help="Password or access token (https); prompted when --username is given alone.",
            ),
            click.option(
                "--ssh-private-key-path",
                type=click.Path(exists=True, dir_okay=False),
                help="SSH private key file.",
            ),
            click.option(
                "--tls-client-cert-path",
                type=click.Path(exists=True, dir_okay=False),
                help="TLS client certificate.",
            ),
            click.option(
                "--tls-client-cert-key-path",
                type=click.Path(exists=True, dir_okay=False),
                help="TLS client key.",
            ),
            click.option(
                "--type",
                "type_",
                type=click.Choice(["git", "helm"]),
                default="git",
                show_default=True,
                help="Repository type.",
            ),
            click.option("--enable-oci", is_flag=True, help="Helm OCI registry."),
            click.option("--upsert", is_flag=True, help="Replace an existing entry with different settings."),
        ]
    ):
        f = o(f)
    return f


def _creds(url, username, password, ssh_key_path, cert_path, key_path, type_, enable_oci) -> dict:
    if username and password is None:
        password = click.prompt("Password", hide_input=True)
    if password and not username:
        fail("--password needs --username")
    if ssh_key_path and not url.startswith(("ssh://", "git@")) and "@" not in url.split("/")[0]:
        if url.startswith(("http://", "https://")):
            fail(f"--ssh-private-key-path is for SSH URLs (git@host:org/repo or ssh://...), not {url}")
    out: dict = {"type": type_}
    if username:
        out["username"] = username
        out["password"] = password
    if ssh_key_path:
        key = open(ssh_key_path).read()
        if "PRIVATE KEY" not in key:
            fail(f"{ssh_key_path}: not a PEM/OpenSSH private key")
        out["sshPrivateKey"] = key
    if cert_path:
        out["tlsClientCertData"] = open(cert_path).read()
    if key_path:
        out["tlsClientCertKey"] = open(key_path).read()
    if enable_oci:
        out["enableOCI"] = True
    return out


@click.group()
def repo() -> None:
    """Manage repository connection parameters."""


@repo.command()
@click.argument("url")
@_cred_options
@click.option("--name", help="Display name (Helm repositories).")
@click.option("--project", help="Scope the repository to a project.")
@click.option(
    "--insecure-skip-server-verification", "skip_verify", is_flag=True, help="Skip TLS/host key checks."
)
@click.option("--enable-lfs", is_flag=True, help="Git LFS.")
@client_command
def add(
    url,
    username,
    password,
    ssh_private_key_path,
    tls_client_cert_path,
    tls_client_cert_key_path,
    type_,
    enable_oci,
    upsert,
    name,
    project,
    skip_verify,
    enable_lfs,
):
    """Add a repository (https user/password, SSH key, or anonymous)."""
    spec = {
        "repo": url,
        **_creds(
            url,
            username,
            password,
            ssh_private_key_path,
            tls_client_cert_path,
            tls_client_cert_key_path,
            type_,
            enable_oci,
        ),
    }
    if name:
        spec["name"] = name
    if project:
        spec["project"] = project
    if skip_verify:
        spec["insecure"] = True
    if enable_lfs:
        spec["enableLfs"] = True
    backend().create_repo(spec, upsert=upsert)
    click.echo(f"Repository '{url}' added")


@repo.command("list")
@output_option
@client_command
def list_(output):
    """List repositories (credentials are never shown)."""
    repos = backend().list_repos()
    rows = [
        [
            r.get("type", "git"),
            r.get("name", ""),
            r["repo"],
            str(r.get("insecure", False)).lower(),
            str(r.get("enableOCI", False)).lower(),
            str(r.get("enableLfs", False)).lower(),
            str(r.get("hasCredentials", False)).lower(),
            (r.get("connectionState") or {}).get("status", ""),
            (r.get("connectionState") or {}).get("message", ""),
            r.get("project", ""),
        ]
        for r in repos
    ]
    emit(
        repos,
        output,
        rows,
        ["TYPE", "NAME", "REPO", "INSECURE", "OCI", "LFS", "CREDS", "STATUS", "MESSAGE", "PROJECT"],
    )


@repo.command()
@click.argument("urls", nargs=-1, required=True)
@client_command
def rm(urls):
    """Remove repositories."""
    b = backend()
    for url in urls:
        b.delete_repo(url)
        click.echo(f"Repository '{url}' removed")


@click.group()
def repocreds() -> None:
    """Manage credential templates (credentials for every repository under a URL prefix)."""


@repocreds.command("add")
@click.argument("url")
@_cred_options
@client_command
def creds_add(
    url,
    username,
    password,
    ssh_private_key_path,
    tls_client_cert_path,
    tls_client_cert_key_path,
    type_,
    enable_oci,
    upsert,
):
    """Add a credential template for repositories whose URL starts with URL."""
    spec = {
        "url": url,
        **_creds(
            url,
            username,
            password,
            ssh_private_key_path,
            tls_client_cert_path,
            tls_client_cert_key_path,
            type_,
            enable_oci,
        ),
    }
    backend().create_repo(spec, upsert=upsert, creds=True)
    click.echo(f"Repository credentials for '{url}' added")


@repocreds.command("list")
@output_option
@client_command
def creds_list(output):
    """List credential templates."""
    items = backend().list_repos(creds=True)
    rows = [
        [
            c["url"],
            c.get("username", ""),
            str(c.get("hasSSHKey", False)).lower(),
            str(c.get("hasTLSCert", False)).lower(),
        ]
        for c in items
    ]
    emit(items, output, rows, ["URL PATTERN", "USERNAME", "SSH_CREDS", "TLS_CREDS"])


@repocreds.command("rm")
@click.argument("urls", nargs=-1, required=True)
@client_command
def creds_rm(urls):
    """Remove credential templates."""
    b = backend()
    for url in urls:
        b.delete_repo(url, creds=True)
        click.echo(f"Repository credentials for '{url}' removed")
