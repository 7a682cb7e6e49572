"""``kedge admin export`` / ``import`` / ``initial-password``: backup and restore a control plane.

The export is one multi-document YAML: Argo CD's settings ConfigMaps and Secrets (argocd-cm,
argocd-rbac-cm, argocd-cmd-params-cm, argocd-notifications-cm, argocd-secret,
argocd-notifications-secret, repository/repo-creds/cluster Secrets), AppProjects, Applications
and ApplicationSets, with server-populated metadata removed so it applies anywhere. Import
creates or replaces each object (``--dry-run`` shows what would change, ``--prune`` deletes
objects of those kinds that are not in the file).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from kedge.cli.client import client_command, options
from kedge.cli.output import fail

SETTINGS_CONFIGMAPS = (
    "argocd-cm",
    "argocd-rbac-cm",
    "argocd-cmd-params-cm",
    "argocd-notifications-cm",
    "argocd-ssh-known-hosts-cm",
    "argocd-tls-certs-cm",
    "argocd-gpg-keys-cm",
)
SETTINGS_SECRETS = ("argocd-secret", "argocd-notifications-secret")
SECRET_TYPES = ("repository", "repo-creds", "cluster")
CUSTOM_KINDS = ("AppProject", "Application", "ApplicationSet")
STRIP_META = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
)


def _core():
    from kedge.cli.client.core import CoreBackend

    o = options()
    return CoreBackend.from_kubeconfig(o.kubeconfig, o.kube_context, o.namespace)


def _clean(obj: dict[str, Any], api_version: str, kind: str) -> dict[str, Any]:
    out = {
        "apiVersion": api_version,
        "kind": kind,
        **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")},
    }
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in STRIP_META}
    ann = {
        k: v
        for k, v in (meta.get("annotations") or {}).items()
        if k != "kubectl.kubernetes.io/last-applied-configuration"
    }
    if ann:
        meta["annotations"] = ann
    else:
        meta.pop("annotations", None)
    meta.pop("namespace", None)
    out["metadata"] = meta
    if kind in ("Application", "ApplicationSet", "AppProject"):
        out.pop("status", None)
        out.pop("operation", None)
    return out


def collect(b) -> list[dict[str, Any]]:
    """Every object of a control plane, in apply order (settings, projects, apps, appsets)."""
    c, ns = b.client, b.namespace
    docs: list[dict[str, Any]] = []
    cm_res, secret_res = b._res("ConfigMap", "v1"), b._res("Secret", "v1")
    for name in SETTINGS_CONFIGMAPS:
        obj = c.get(cm_res, ns, name)
        if obj is not None:
            docs.append(_clean(obj, "v1", "ConfigMap"))
    seen = set()
    for name in SETTINGS_SECRETS:
        obj = c.get(secret_res, ns, name)
        if obj is not None:
            docs.append(_clean(obj, "v1", "Secret"))
            seen.add(name)
    for stype in SECRET_TYPES:
        for obj in sorted(b._secrets(stype), key=lambda o: o["metadata"]["name"]):
            if obj["metadata"]["name"] not in seen:
                docs.append(_clean(obj, "v1", "Secret"))
    for kind in CUSTOM_KINDS:
        res = c.resource_for("argoproj.io/v1alpha1", kind)
        if res is None:
            continue
        items, _ = c.list(res, ns)
        for obj in sorted(items, key=lambda o: o["metadata"]["name"]):
            docs.append(_clean(obj, "argoproj.io/v1alpha1", kind))
    return docs


@click.command("export")
@click.option(
    "--out",
    "-o",
    "out",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write (default: stdout).",
)
@client_command
def export(out):
    """Export settings, projects, applications and application sets as multi-document YAML."""
    import yaml

    docs = collect(_core())
    text = yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False)
    if out == "-":
        sys.stdout.write(text)
    else:
        import os

        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds Secrets
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        click.echo(f"exported {len(docs)} objects to {out}", err=True)


def _key(d: dict[str, Any]) -> tuple[str, str]:
    return d.get("kind", ""), (d.get("metadata") or {}).get("name", "")


def _comparable(d: dict[str, Any]) -> dict[str, Any]:
    return _clean(d, d.get("apiVersion", ""), d.get("kind", ""))


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
@click.option("--prune", is_flag=True, help="Delete exported kinds that are not in FILE.")
@click.option("-v", "--verbose", "verbose", is_flag=True, help="Also list unchanged objects.")
@client_command
def import_(file, dry_run, prune, verbose):
    """Import an export: create or update every object (and delete extra ones with --prune)."""
    import yaml

    from kedge import model

    text = sys.stdin.read() if file == "-" else open(file).read()
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        fail(f"{file}: not valid YAML: {exc}")
    problems = []
    for i, d in enumerate(docs):
        where = f"{file} document {i + 1}"
        if not isinstance(d, dict) or not d.get("kind") or not (d.get("metadata") or {}).get("name"):
            problems.append(f"{where}: expected a Kubernetes object with kind and metadata.name")
            continue
        if d["kind"] not in ("ConfigMap", "Secret", *CUSTOM_KINDS):
            problems.append(f"{where}: kind {d['kind']} is not part of an export")
        elif d["kind"] in CUSTOM_KINDS:
            problems.extend(model.validate(d, f"{where} ({d['kind']} {d['metadata']['name']})"))
    if problems:
        fail("nothing imported:\n  " + "\n  ".join(problems))
    b = _core()
    c, ns = b.client, b.namespace
    current = {_key(d): d for d in collect(b)}
    wanted = {_key(d): d for d in docs}
    prefix = "(dry run) " if dry_run else ""
    for key, d in wanted.items():
        obj = {**d, "metadata": {**d["metadata"], "namespace": ns}}
        have = current.get(key)
        if have is None:
            click.echo(f"{prefix}{key[0]}/{key[1]} created")
            if not dry_run:
                c.create(obj, field_manager="kedge-import")
        elif _comparable(have) != _comparable(d):
            click.echo(f"{prefix}{key[0]}/{key[1]} updated")
            if not dry_run:
                res = c.resource_of(obj)
                live = c.get(res, ns, key[1]) or {}
                obj["metadata"]["resourceVersion"] = (live.get("metadata") or {}).get("resourceVersion")
                if key[0] in CUSTOM_KINDS and live.get("status"):
                    obj["status"] = live["status"]
                c.replace(obj, field_manager="kedge-import")
        elif verbose:
            click.echo(f"{key[0]}/{key[1]} unchanged")
    if prune:
        for key, have in current.items():
            if key in wanted:
                continue
            click.echo(f"{prefix}{key[0]}/{key[1]} pruned")
            if not dry_run:
                c.delete(c.resource_of(have), ns, key[1])


@click.command("initial-password")
@client_command
def initial_password():
    """Print the generated admin password (from argocd-initial-admin-secret)."""
    from kedge.up.bootstrap import INITIAL_ADMIN_SECRET
    from kedge.up.bootstrap import initial_password as read

    b = _core()
    password = read(b.client, b.namespace)
    if password is None:
        fail(
            f"secret {INITIAL_ADMIN_SECRET} not found in namespace {b.namespace} "
            "(it is deleted once the password was changed)"
        )
    click.echo(password)
    click.echo(
        "\n This password must be only used for first time login. We strongly recommend you update the "
        "password using `kedge account update-password`."
    )
