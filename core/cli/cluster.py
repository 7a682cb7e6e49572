"""``kedge cluster ...``: destination clusters (Secrets labelled ``argocd.argoproj.io/secret-type: cluster``)."""

from __future__ import annotations

import base64
from typing import Any

import click

from kedge.cli.client import backend, client_command
from kedge.cli.output import emit, fail, output_option


@click.group()
def cluster() -> None:
    """Manage destination clusters."""


def _read_b64_or_file(entry: dict[str, Any], key: str) -> str | None:
    if entry.get(f"{key}-data"):
        return entry[f"{key}-data"]
    path = entry.get(key)
    if path:
        with open(path, "rb") as fh:
            return base64.b64encode(fh.read()).decode()
    return None


def cluster_from_kubeconfig(path: str | None, context: str) -> dict[str, Any]:
    """The Argo CD cluster spec (``server``, ``config``) of a kubeconfig context; the bearer token,
    client certificate and CA are taken from the kubeconfig."""
    import os

    import yaml

    path = (
        path or os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or os.path.expanduser("~/.kube/config")
    )
    try:
        doc = yaml.safe_load(open(path)) or {}
    except (OSError, yaml.YAMLError) as exc:
        fail(f"cannot read kubeconfig {path}: {exc}")
    ctx = next((c.get("context") or {} for c in doc.get("contexts") or [] if c.get("name") == context), None)
    if ctx is None:
        names = ", ".join(c.get("name", "") for c in doc.get("contexts") or [])
        fail(f"context {context!r} not found in {path} (contexts: {names or 'none'})")
    cl = next(
        (c.get("cluster") or {} for c in doc.get("clusters") or [] if c.get("name") == ctx.get("cluster")),
        None,
    )
    user = next((u.get("user") or {} for u in doc.get("users") or [] if u.get("name") == ctx.get("user")), {})
    if not cl or not cl.get("server"):
        fail(f"context {context!r}: cluster {ctx.get('cluster')!r} has no server in {path}")
    tls: dict[str, Any] = {}
    if cl.get("insecure-skip-tls-verify"):
        tls["insecure"] = True
    base = os.path.dirname(os.path.abspath(path))

    def rel(e: dict[str, Any]) -> dict[str, Any]:
        return {
            k: (
                os.path.join(base, v)
                if isinstance(v, str)
                and not k.endswith("-data")
                and k in ("certificate-authority", "client-certificate", "client-key", "tokenFile")
                and not os.path.isabs(v)
                else v
            )
            for k, v in e.items()
        }

    cl, user = rel(cl), rel(user)
    ca = _read_b64_or_file(cl, "certificate-authority")
    if ca:
        tls["caData"] = ca
    cert = _read_b64_or_file(user, "client-certificate")
    key = _read_b64_or_file(user, "client-key")
    if cert and key:
        tls["certData"], tls["keyData"] = cert, key
    if cl.get("tls-server-name"):
        tls["serverName"] = cl["tls-server-name"]
    config: dict[str, Any] = {"tlsClientConfig": tls}
    token = user.get("token") or (open(user["tokenFile"]).read().strip() if user.get("tokenFile") else None)
    if token:
        config["bearerToken"] = token
    elif user.get("username"):
        config["username"], config["password"] = user["username"], user.get("password", "")
    elif not (cert and key):
        fail(
            f"context {context!r}: the user has no token, client certificate or basic auth "
            "(exec/auth-provider credentials cannot be stored in a cluster Secret)"
        )
    return {"server": cl["server"], "config": config}


@cluster.command()
@click.argument("context")
@click.option("--name", help="Cluster name (default: the context name).")
@click.option("--in-cluster", is_flag=True, help="Register it as https://kubernetes.default.svc.")
@click.option(
    "--managed-namespace",
    "namespaces",
    multiple=True,
    help="Only manage these namespaces (argocd: --namespace; repeatable).",
)
@click.option("--project", help="Scope the cluster to a project.")
@click.option("--upsert", is_flag=True, help="Replace an existing cluster with the same server.")
@click.option(
    "--cluster-kubeconfig",
    "cluster_kubeconfig",
    type=click.Path(exists=True, dir_okay=False),
    help="Kubeconfig holding CONTEXT (default: $KUBECONFIG or ~/.kube/config).",
)
@client_command
def add(context, name, in_cluster, namespaces, project, upsert, cluster_kubeconfig):
    """Register the cluster of a kubeconfig context as a destination."""
    from kedge.cli.client import options

    spec = cluster_from_kubeconfig(cluster_kubeconfig or options().kubeconfig, context)
    if in_cluster:
        spec["server"] = "https://kubernetes.default.svc"
    spec["name"] = name or context
    if namespaces:
        spec["namespaces"] = list(namespaces)
    if project:
        spec["project"] = project
    created = backend().create_cluster(spec, upsert=upsert)
    click.echo(f"Cluster '{created['server']}' added")


@cluster.command("list")
@output_option
@client_command
def list_(output):
    """List clusters (credentials are never shown)."""
    items = backend().list_clusters()
    rows = [
        [
            c.get("server"),
            c.get("name", ""),
            (c.get("info") or {}).get("serverVersion", ""),
            ((c.get("info") or {}).get("connectionState") or {}).get("status", "Unknown"),
            ((c.get("info") or {}).get("connectionState") or {}).get("message", ""),
            c.get("project", ""),
        ]
        for c in items
    ]
    emit(items, output, rows, ["SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT"])


@cluster.command()
@click.argument("servers", nargs=-1, required=True)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@client_command
def rm(servers, yes):
    """Remove clusters (by server URL or name)."""
    b = backend()
    for s in servers:
        if not yes and not click.confirm(f"Are you sure you want to remove '{s}'?", default=False):
            continue
        b.delete_cluster(s)
        click.echo(f"Cluster '{s}' removed")
