"""``kedge proj ...``: manage AppProjects (``argocd proj`` commands and layouts)."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from kedge.cli.client import backend, client_command
from kedge.cli.output import emit, emit_data, fail, output_option


@click.group()
def proj() -> None:
    """Manage projects."""


def _dests(spec: dict[str, Any]) -> list[str]:
    return [
        f"{d.get('server') or d.get('name', '')},{d.get('namespace', '')}"
        for d in spec.get("destinations") or []
    ]


def _gk(items: list[dict[str, Any]] | None) -> str:
    return ", ".join(f"{i.get('group', '')}/{i.get('kind', '')}" for i in items or []) or "<none>"


def _summarise(values: list[str]) -> str:
    if not values:
        return "<none>"
    return (
        values[0] if len(values) == 1 else f"{len(values)} {'destinations' if ',' in values[0] else 'repos'}"
    )


def _orphaned(spec: dict[str, Any]) -> str:
    o = spec.get("orphanedResources")
    if o is None:
        return "disabled"
    return f"enabled (warn={'true' if o.get('warn') else 'false'})"


@proj.command("list")
@output_option
@client_command
def list_(output):
    """List projects."""
    projects = backend().list_projects()
    rows = []
    for p in projects:
        spec = p.get("spec") or {}
        dests = _dests(spec)
        rows.append(
            [
                p["metadata"]["name"],
                spec.get("description", ""),
                ", ".join(dests)
                if len(dests) == 1
                else (f"{len(dests)} destinations" if dests else "<none>"),
                ", ".join(spec.get("sourceRepos") or [])
                if len(spec.get("sourceRepos") or []) == 1
                else (f"{len(spec['sourceRepos'])} repos" if spec.get("sourceRepos") else "<none>"),
                _gk(spec.get("clusterResourceWhitelist")),
                _gk(spec.get("namespaceResourceBlacklist")),
                "<none>"
                if not spec.get("signatureKeys")
                else ", ".join(k.get("keyID", "") for k in spec["signatureKeys"]),
                _orphaned(spec),
            ]
        )
    emit(
        projects,
        output,
        rows,
        [
            "NAME",
            "DESCRIPTION",
            "DESTINATIONS",
            "SOURCES",
            "CLUSTER-RESOURCE-WHITELIST",
            "NAMESPACE-RESOURCE-BLACKLIST",
            "SIGNATURE-KEYS",
            "ORPHANED-RESOURCES",
        ],
    )


@proj.command()
@click.argument("name")
@output_option
@client_command
def get(name, output):
    """Show a project."""
    p = backend().get_project(name)
    if output in ("json", "yaml"):
        emit_data(p, output)
        return
    spec = p.get("spec") or {}
    rows = [
        ("Name", name),
        ("Description", spec.get("description", "")),
        ("Destinations", ", ".join(_dests(spec)) or "<none>"),
        ("Repositories", ", ".join(spec.get("sourceRepos") or []) or "<none>"),
        ("Source Namespaces", ", ".join(spec.get("sourceNamespaces") or []) or "<none>"),
        ("Allowed Cluster Resources", _gk(spec.get("clusterResourceWhitelist"))),
        ("Denied Cluster Resources", _gk(spec.get("clusterResourceBlacklist"))),
        ("Allowed Namespaced Resources", _gk(spec.get("namespaceResourceWhitelist"))),
        ("Denied Namespaced Resources", _gk(spec.get("namespaceResourceBlacklist"))),
        (
            "Signature keys",
            ", ".join(k.get("keyID", "") for k in spec.get("signatureKeys") or []) or "<none>",
        ),
        ("Orphaned Resources", _orphaned(spec)),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':<30}{value}")


@proj.command()
@click.argument("name", required=False)
@click.option(
    "-f", "--file", "file_", type=click.Path(dir_okay=False, allow_dash=True), help="AppProject manifest."
)
@click.option("--description", default=None, help="Description.")
@click.option(
    "-d",
    "--dest",
    "dests",
    multiple=True,
    metavar="SERVER,NAMESPACE",
    help="Permitted destination (repeatable).",
)
@click.option(
    "-s", "--src", "srcs", multiple=True, metavar="REPO", help="Permitted source repository (repeatable)."
)
@click.option(
    "--source-namespaces", multiple=True, help="Namespaces Applications of this project may live in."
)
@click.option(
    "--allow-cluster-resource", multiple=True, metavar="GROUP/KIND", help="Allowed cluster-scoped resource."
)
@click.option(
    "--deny-namespaced-resource", multiple=True, metavar="GROUP/KIND", help="Denied namespaced resource."
)
@click.option("--orphaned-resources", is_flag=True, help="Enable orphaned resource monitoring.")
@click.option("--orphaned-resources-warn", is_flag=True, help="Warn about orphaned resources (a condition).")
@click.option("--upsert", is_flag=True, help="Replace an existing project with a different spec.")
@client_command
def create(
    name,
    file_,
    description,
    dests,
    srcs,
    source_namespaces,
    allow_cluster_resource,
    deny_namespaced_resource,
    orphaned_resources,
    orphaned_resources_warn,
    upsert,
):
    """Create a project."""
    if file_:
        import yaml

        try:
            doc = yaml.safe_load(sys.stdin.read() if file_ == "-" else open(file_).read())
        except yaml.YAMLError as exc:
            fail(f"{file_}: not valid YAML: {exc}")
        if not isinstance(doc, dict) or doc.get("kind") != "AppProject":
            fail(f"{file_}: expected kind AppProject")
        if name:
            doc.setdefault("metadata", {})["name"] = name
    else:
        if not name:
            fail("a project name is required")
        doc = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": name},
            "spec": {},
        }
    spec = doc.setdefault("spec", {})
    if description is not None:
        spec["description"] = description
    for d in dests:
        server, sep, ns = d.partition(",")
        if not sep:
            fail(f"--dest {d!r}: expected SERVER,NAMESPACE")
        spec.setdefault("destinations", []).append({"server": server, "namespace": ns})
    for s in srcs:
        spec.setdefault("sourceRepos", []).append(s)
    if source_namespaces:
        spec["sourceNamespaces"] = list(source_namespaces)
    for field_, values in (
        ("clusterResourceWhitelist", allow_cluster_resource),
        ("namespaceResourceBlacklist", deny_namespaced_resource),
    ):
        for v in values:
            group, sep, kind = v.rpartition("/")
            if not sep:
                fail(f"{v!r}: expected GROUP/KIND (group may be empty: /Namespace)")
            spec.setdefault(field_, []).append({"group": group, "kind": kind})
    if orphaned_resources or orphaned_resources_warn:
        spec["orphanedResources"] = {"warn": bool(orphaned_resources_warn)}
    from kedge import model

    problems = model.validate(doc, file_ or "flags")
    if problems:
        fail("invalid project:\n  " + "\n  ".join(problems))
    created = backend().create_project(doc, upsert=upsert)
    click.echo(f"project '{created['metadata']['name']}' created")


@proj.command()
@click.argument("names", nargs=-1, required=True)
@client_command
def delete(names):
    """Delete projects."""
    b = backend()
    for name in names:
        b.delete_project(name)
        click.echo(f"project '{name}' deleted")


def _update(name: str, fn) -> None:
    b = backend()
    p = b.get_project(name)
    if fn(p.setdefault("spec", {})) is False:
        return
    b.update_project(p)


@proj.command("add-source")
@click.argument("name")
@click.argument("url")
@client_command
def add_source(name, url):
    """Permit a source repository."""

    def change(spec):
        repos = spec.setdefault("sourceRepos", [])
        if url in repos:
            click.echo(f"source repository '{url}' already defined in project '{name}'")
            return False
        repos.append(url)

    _update(name, change)


@proj.command("remove-source")
@click.argument("name")
@click.argument("url")
@client_command
def remove_source(name, url):
    """Remove a permitted source repository."""

    def change(spec):
        if url not in spec.get("sourceRepos") or []:
            fail(f"source repository '{url}' does not exist in project '{name}'")
        spec["sourceRepos"].remove(url)

    _update(name, change)


@proj.command("add-destination")
@click.argument("name")
@click.argument("server")
@click.argument("namespace")
@click.option("--name", "by_name", is_flag=True, help="SERVER is a cluster name, not a URL.")
@client_command
def add_destination(name, server, namespace, by_name):
    """Permit a destination (cluster and namespace)."""

    def change(spec):
        d = {"name" if by_name else "server": server, "namespace": namespace}
        dests = spec.setdefault("destinations", [])
        if d in dests:
            fail(f"destination '{server},{namespace}' already defined in project '{name}'")
        dests.append(d)

    _update(name, change)


@proj.command("remove-destination")
@click.argument("name")
@click.argument("server")
@click.argument("namespace")
@client_command
def remove_destination(name, server, namespace):
    """Remove a permitted destination."""

    def change(spec):
        before = spec.get("destinations") or []
        spec["destinations"] = [
            d
            for d in before
            if not (
                (d.get("server") == server or d.get("name") == server) and d.get("namespace") == namespace
            )
        ]
        if len(spec["destinations"]) == len(before):
            fail(f"destination '{server},{namespace}' does not exist in project '{name}'")

    _update(name, change)


# -- roles -------------------------------------------------------------------------------------
@proj.group()
def role() -> None:
    """Manage project roles and their tokens."""


@role.command("create")
@click.argument("project")
@click.argument("role_name")
@click.option("--description", default="", help="Description.")
@client_command
def role_create(project, role_name, description):
    """Create a project role."""

    def change(spec):
        roles = spec.setdefault("roles", [])
        if any(r.get("name") == role_name for r in roles):
            fail(f"role '{role_name}' already exists in project '{project}'")
        roles.append({"name": role_name, "description": description} if description else {"name": role_name})

    _update(project, change)
    click.echo(f"Role '{role_name}' created")


@role.command("delete")
@click.argument("project")
@click.argument("role_name")
@client_command
def role_delete(project, role_name):
    """Delete a project role."""

    def change(spec):
        before = spec.get("roles") or []
        spec["roles"] = [r for r in before if r.get("name") != role_name]
        if len(spec["roles"]) == len(before):
            fail(f"role '{role_name}' does not exist in project '{project}'")

    _update(project, change)
    click.echo(f"Role '{role_name}' deleted")


@role.command("list")
@click.argument("project")
@output_option
@client_command
def role_list(project, output):
    """List a project's roles."""
    roles = (backend().get_project(project).get("spec") or {}).get("roles") or []
    emit(
        roles,
        output,
        [[r.get("name"), r.get("description", "")] for r in roles],
        ["ROLE-NAME", "DESCRIPTION"],
    )


@role.command("add-policy")
@click.argument("project")
@click.argument("role_name")
@click.option("-a", "--action", required=True, help="Action, e.g. get, sync, override, *.")
@click.option("-o", "--object", "object_", default="*", show_default=True, help="Application name glob.")
@click.option("-p", "--permission", type=click.Choice(["allow", "deny"]), default="allow", show_default=True)
@client_command
def role_add_policy(project, role_name, action, object_, permission):
    """Add a policy line to a project role."""

    def change(spec):
        r = next((x for x in spec.get("roles") or [] if x.get("name") == role_name), None)
        if r is None:
            fail(f"role '{role_name}' does not exist in project '{project}'")
        line = f"p, proj:{project}:{role_name}, applications, {action}, {project}/{object_}, {permission}"
        if line not in (r.get("policies") or []):
            r.setdefault("policies", []).append(line)

    _update(project, change)


@role.command("create-token")
@click.argument("project")
@click.argument("role_name")
@click.option("-e", "--expires-in", default="0s", show_default=True, help="Duration, e.g. 24h (0s: never).")
@click.option("-i", "--id", "token_id", default=None, help="Token ID (default: a random UUID).")
@click.option("-t", "--token-only", is_flag=True, help="Print only the token.")
@client_command
def role_create_token(project, role_name, expires_in, token_id, token_only):
    """Create a JWT for a project role."""
    seconds = _duration(expires_in)
    token = backend().create_project_token(project, role_name, seconds or None, token_id)
    if token_only:
        click.echo(token)
        return
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    click.echo(f"{'Create token succeeded for proj:' + project + ':' + role_name}.")
    click.echo(f"  ID: {claims.get('jti')}")
    click.echo(f"  Issued At: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(claims['iat']))}")
    exp = claims.get("exp")
    click.echo(f"  Expires At: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(exp)) if exp else 'Never'}")
    click.echo(f"  Token: {token}")


@role.command("list-tokens")
@click.argument("project")
@click.argument("role_name")
@output_option
@client_command
def role_list_tokens(project, role_name, output):
    """List a role's tokens."""
    roles = (backend().get_project(project).get("spec") or {}).get("roles") or []
    r = next((x for x in roles if x.get("name") == role_name), None)
    if r is None:
        fail(f"role '{role_name}' does not exist in project '{project}'")
    tokens = r.get("jwtTokens") or []

    def ts(v):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(v))) if v else "<none>"

    emit(
        tokens,
        output,
        [[t.get("id", ""), ts(t.get("iat")), ts(t.get("exp"))] for t in tokens],
        ["ID", "ISSUED AT", "EXPIRES AT"],
    )


@role.command("delete-token")
@click.argument("project")
@click.argument("role_name")
@click.argument("issued_at")
@client_command
def role_delete_token(project, role_name, issued_at):
    """Revoke a role token, by its issued-at time (Unix seconds) or its ID."""
    if issued_at.isdigit():
        backend().delete_project_token(project, role_name, int(issued_at))
    else:
        backend().delete_project_token(project, role_name, -1, token_id=issued_at)
    click.echo(f"Token {issued_at} of role '{role_name}' deleted")


def _duration(text: str) -> float:
    from kedge.settings.durations import parse_go_duration

    try:
        return parse_go_duration(text)
    except ValueError as exc:
        fail(f"--expires-in {text!r}: {exc}")
    return 0.0


# -- sync windows ------------------------------------------------------------------------------
@proj.group()
def windows() -> None:
    """Manage a project's sync windows."""


@windows.command("list")
@click.argument("project")
@output_option
@client_command
def windows_list(project, output):
    """List sync windows (STATUS: Active when the window is open now)."""
    from datetime import UTC, datetime

    from kedge.controller.windows import SyncWindow

    raw = (backend().get_project(project).get("spec") or {}).get("syncWindows") or []
    rows = []
    now = datetime.now(UTC)
    for i, w in enumerate(raw):
        try:
            active = "Active" if SyncWindow.from_dict(w, i).active(now) else "Inactive"
        except Exception:  # noqa: BLE001 - a malformed window is listed, not fatal
            active = "Invalid"
        rows.append(
            [
                i,
                active,
                w.get("kind", ""),
                w.get("schedule", ""),
                w.get("duration", ""),
                ",".join(w.get("applications") or []) or "-",
                ",".join(w.get("namespaces") or []) or "-",
                ",".join(w.get("clusters") or []) or "-",
                "Enabled" if w.get("manualSync") else "Disabled",
                w.get("timeZone") or "UTC",
                "Enabled" if w.get("andOperator") else "Disabled",
            ]
        )
    emit(
        raw,
        output,
        rows,
        [
            "ID",
            "STATUS",
            "KIND",
            "SCHEDULE",
            "DURATION",
            "APPLICATIONS",
            "NAMESPACES",
            "CLUSTERS",
            "MANUALSYNC",
            "TIMEZONE",
            "USEANDOPERATOR",
        ],
    )


@windows.command("add")
@click.argument("project")
@click.option("-k", "--kind", type=click.Choice(["allow", "deny"]), required=True, help="Window kind.")
@click.option("--schedule", required=True, help='Cron schedule, e.g. "0 22 * * *".')
@click.option("--duration", required=True, help="Duration, e.g. 1h.")
@click.option("--applications", default="", help="Comma-separated application globs.")
@click.option("--namespaces", default="", help="Comma-separated namespace globs.")
@click.option("--clusters", default="", help="Comma-separated cluster globs.")
@click.option("--manual-sync", is_flag=True, help="Allow manual syncs while the window blocks.")
@click.option("--time-zone", default="UTC", show_default=True, help="Time zone of the schedule.")
@click.option("--use-and-operator", is_flag=True, help="Match all of applications/namespaces/clusters.")
@click.option("--description", default="", help="Description.")
@client_command
def windows_add(
    project,
    kind,
    schedule,
    duration,
    applications,
    namespaces,
    clusters,
    manual_sync,
    time_zone,
    use_and_operator,
    description,
):
    """Add a sync window."""
    from kedge.controller.windows import SyncWindow

    w: dict[str, Any] = {"kind": kind, "schedule": schedule, "duration": duration, "timeZone": time_zone}
    for key, value in (("applications", applications), ("namespaces", namespaces), ("clusters", clusters)):
        if value:
            w[key] = [v.strip() for v in value.split(",") if v.strip()]
    if manual_sync:
        w["manualSync"] = True
    if use_and_operator:
        w["andOperator"] = True
    if description:
        w["description"] = description
    SyncWindow.from_dict(w).validate()

    def change(spec):
        spec.setdefault("syncWindows", []).append(w)

    _update(project, change)
    click.echo(f"sync window added to project '{project}'")


@windows.command("delete")
@click.argument("project")
@click.argument("window_id", type=int)
@client_command
def windows_delete(project, window_id):
    """Delete a sync window by ID."""

    def change(spec):
        ws = spec.get("syncWindows") or []
        if not 0 <= window_id < len(ws):
            fail(f"project '{project}' has no sync window {window_id}")
        ws.pop(window_id)

    _update(project, change)
