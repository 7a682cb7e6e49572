"""``kedge app ...``: manage Applications (``argocd app`` commands, flags and layouts).

Every command works in core mode (kubeconfig) and API mode (after ``kedge login``); see
:mod:`kedge.cli.client` for how the mode is chosen.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from kedge.cli.client import SyncRequest, backend, client_command, complete_app_names
from kedge.cli.output import emit, emit_data, emit_table, fail, output_option


@click.group()
def app() -> None:
    """Manage applications."""


# -- building specs from flags -------------------------------------------------------------------
def _source_options(f):
    opts = [
        click.option("--repo", help="Repository URL."),
        click.option(
            "--path",
            "src_path",
            help="Path in the repository (directory apps, Helm charts in Git, Kustomize).",
        ),
        click.option("--revision", help="Target revision (branch, tag, commit, or Helm chart version)."),
        click.option("--helm-chart", help="Helm chart name (chart repositories)."),
        click.option("--dest-server", help="Destination cluster API URL."),
        click.option("--dest-name", help="Destination cluster name."),
        click.option("--dest-namespace", help="Destination namespace."),
        click.option("--project", help="Project."),
        click.option(
            "--sync-policy",
            type=click.Choice(["manual", "none", "automated", "auto", "automatic"]),
            help="Sync policy.",
        ),
        click.option(
            "--auto-prune",
            is_flag=True,
            default=None,
            help="Prune resources automatically when auto-syncing.",
        ),
        click.option(
            "--self-heal", is_flag=True, default=None, help="Revert live changes when auto-syncing."
        ),
        click.option(
            "--allow-empty", is_flag=True, default=None, help="Allow auto-sync to remove every resource."
        ),
        click.option(
            "--sync-option",
            "sync_options",
            multiple=True,
            help="Sync option, e.g. CreateNamespace=true (repeatable).",
        ),
        click.option("--sync-retry-limit", type=int, help="Retries of a failed sync."),
        click.option("--revision-history-limit", type=int, help="History entries to keep (default 10)."),
        click.option("--helm-set", multiple=True, metavar="KEY=VALUE", help="Helm parameter (repeatable)."),
        click.option(
            "--helm-set-string",
            multiple=True,
            metavar="KEY=VALUE",
            help="Helm string parameter (repeatable).",
        ),
        click.option(
            "--values", "values_files", multiple=True, help="Helm values file in the repository (repeatable)."
        ),
        click.option(
            "--values-literal-file",
            type=click.Path(exists=True, dir_okay=False),
            help="A local file whose content becomes the Helm values literal.",
        ),
        click.option("--release-name", help="Helm release name."),
        click.option(
            "--kustomize-image",
            "kustomize_images",
            multiple=True,
            help="Kustomize image override (repeatable).",
        ),
        click.option("--nameprefix", "--name-prefix", "name_prefix", help="Kustomize name prefix."),
        click.option("--namesuffix", "--name-suffix", "name_suffix", help="Kustomize name suffix."),
        click.option("--directory-recurse", is_flag=True, default=None, help="Recurse into sub-directories."),
        click.option("--directory-include", help="Glob of files to include."),
        click.option("--directory-exclude", help="Glob of files to exclude."),
        click.option("--config-management-plugin", help="Config management plugin name."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _kv_pairs(values: tuple[str, ...], flag: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        if "=" not in v:
            raise click.BadParameter(f"{v!r}: expected KEY=VALUE", param_hint=flag)
        k, _, val = v.partition("=")
        out.append((k, val))
    return out


def apply_flags(spec: dict[str, Any], o: dict[str, Any]) -> dict[str, Any]:
    """Update an Application spec from ``kedge app create|set`` flags (only the given ones)."""
    src = spec.get("source")
    if src is None and not spec.get("sources"):
        src = spec["source"] = {}
    if spec.get("sources") and src is None:
        src = spec["sources"][0]
    for flag, key in (
        ("repo", "repoURL"),
        ("src_path", "path"),
        ("revision", "targetRevision"),
        ("helm_chart", "chart"),
    ):
        if o.get(flag):
            src[key] = o[flag]
    dest = spec.setdefault("destination", {})
    if o.get("dest_server"):
        dest["server"] = o["dest_server"]
        dest.pop("name", None)
    if o.get("dest_name"):
        dest["name"] = o["dest_name"]
        dest.pop("server", None)
    if o.get("dest_namespace"):
        dest["namespace"] = o["dest_namespace"]
    if o.get("project"):
        spec["project"] = o["project"]
    policy = spec.get("syncPolicy") or {}
    sp = o.get("sync_policy")
    if sp in ("manual", "none"):
        policy.pop("automated", None)
    elif sp in ("automated", "auto", "automatic"):
        policy.setdefault("automated", {})
    for flag, key in (("auto_prune", "prune"), ("self_heal", "selfHeal"), ("allow_empty", "allowEmpty")):
        if o.get(flag) is not None:
            if "automated" not in policy:
                raise click.UsageError(f"--{flag.replace('_', '-')} requires --sync-policy automated")
            policy["automated"][key] = bool(o[flag])
    if o.get("sync_options"):
        opts = [
            x
            for x in policy.get("syncOptions") or []
            if x.split("=")[0] not in {s.split("=")[0] for s in o["sync_options"]}
        ]
        policy["syncOptions"] = opts + list(o["sync_options"])
    if o.get("sync_retry_limit") is not None:
        policy.setdefault("retry", {})["limit"] = o["sync_retry_limit"]
    if policy:
        spec["syncPolicy"] = policy
    else:
        spec.pop("syncPolicy", None)
    if o.get("revision_history_limit") is not None:
        spec["revisionHistoryLimit"] = o["revision_history_limit"]
    helm_params = _kv_pairs(o.get("helm_set") or (), "--helm-set")
    helm_strings = _kv_pairs(o.get("helm_set_string") or (), "--helm-set-string")
    if (
        helm_params
        or helm_strings
        or o.get("values_files")
        or o.get("values_literal_file")
        or o.get("release_name")
    ):
        helm = src.setdefault("helm", {})
        params = {p["name"]: p for p in helm.get("parameters") or []}
        for k, v in helm_params:
            params[k] = {"name": k, "value": v}
        for k, v in helm_strings:
            params[k] = {"name": k, "value": v, "forceString": True}
        if params:
            helm["parameters"] = list(params.values())
        if o.get("values_files"):
            helm["valueFiles"] = list(o["values_files"])
        if o.get("values_literal_file"):
            with open(o["values_literal_file"]) as fh:
                helm["values"] = fh.read()
        if o.get("release_name"):
            helm["releaseName"] = o["release_name"]
    if o.get("kustomize_images") or o.get("name_prefix") or o.get("name_suffix"):
        k = src.setdefault("kustomize", {})
        if o.get("kustomize_images"):
            images = {i.split("=")[0].split(":")[0].split("@")[0]: i for i in k.get("images") or []}
            for i in o["kustomize_images"]:
                images[i.split("=")[0].split(":")[0].split("@")[0]] = i
            k["images"] = list(images.values())
        if o.get("name_prefix"):
            k["namePrefix"] = o["name_prefix"]
        if o.get("name_suffix"):
            k["nameSuffix"] = o["name_suffix"]
    if o.get("directory_recurse") is not None or o.get("directory_include") or o.get("directory_exclude"):
        d = src.setdefault("directory", {})
        if o.get("directory_recurse") is not None:
            d["recurse"] = bool(o["directory_recurse"])
        if o.get("directory_include"):
            d["include"] = o["directory_include"]
        if o.get("directory_exclude"):
            d["exclude"] = o["directory_exclude"]
    if o.get("config_management_plugin"):
        src.setdefault("plugin", {})["name"] = o["config_management_plugin"]
    return spec


def _validate(doc: dict[str, Any], origin: str) -> None:
    from kedge import model

    problems = model.validate(doc, origin)
    if problems:
        raise click.ClickException("invalid application:\n  " + "\n  ".join(problems))


# -- create / set / unset / patch / delete -------------------------------------------------------------
@app.command()
@click.argument("name", required=False)
@click.option(
    "-f",
    "--file",
    "file_",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Application manifest (YAML/JSON; - for stdin).",
)
@click.option("--upsert", is_flag=True, help="Replace an existing application with a different spec.")
@click.option("-l", "--label", "labels", multiple=True, metavar="KEY=VALUE", help="Label (repeatable).")
@click.option("--annotations", multiple=True, metavar="KEY=VALUE", help="Annotation (repeatable).")
@click.option("--set-finalizer", is_flag=True, help="Add the cascade-delete finalizer.")
@_source_options
@client_command
def create(name, file_, upsert, labels, annotations, set_finalizer, **flags):
    """Create an application from flags or a file."""
    docs: list[dict[str, Any]]
    if file_:
        import yaml

        text = sys.stdin.read() if file_ == "-" else open(file_).read()
        try:
            docs = [d for d in yaml.safe_load_all(text) if d]
        except yaml.YAMLError as exc:
            fail(f"{file_}: not valid YAML: {exc}")
        if not docs:
            fail(f"{file_}: no application in the file")
    else:
        if not name:
            fail("an application name is required (kedge app create NAME --repo ... or -f FILE)")
        docs = [
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": name},
                "spec": {},
            }
        ]
    b = backend()
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "Application":
            fail(
                f"{file_ or 'input'}: expected kind Application, got {doc.get('kind') if isinstance(doc, dict) else doc!r}"
            )
        meta = doc.setdefault("metadata", {})
        if name and file_:
            meta["name"] = name
        doc["spec"] = apply_flags(doc.get("spec") or {}, flags)
        doc["spec"].setdefault("project", "default")
        for k, v in _kv_pairs(labels, "--label"):
            meta.setdefault("labels", {})[k] = v
        for k, v in _kv_pairs(annotations, "--annotations"):
            meta.setdefault("annotations", {})[k] = v
        if set_finalizer:
            meta.setdefault("finalizers", []).append("resources-finalizer.argocd.argoproj.io")
        doc.setdefault("apiVersion", "argoproj.io/v1alpha1")
        _validate(doc, file_ or "flags")
    for doc in docs:  # every document is valid: now write them
        created = b.create_app(doc, upsert=upsert)
        click.echo(f"application '{created['metadata']['name']}' created")


@app.command("set")
@click.argument("name", shell_complete=complete_app_names)
@_source_options
@client_command
def set_(name, **flags):
    """Set application parameters."""
    b = backend()
    a = b.get_app(name)
    spec = apply_flags(json.loads(json.dumps(a.get("spec") or {})), flags)
    _validate({**a, "spec": spec}, f"application {name}")
    b.update_app_spec(name, spec)


@app.command()
@click.argument("name", shell_complete=complete_app_names)
@click.option("--values", "values_files", multiple=True, help="Remove a Helm values file.")
@click.option("--values-literal", is_flag=True, help="Remove the Helm values literal.")
@click.option("-p", "--parameter", "parameters", multiple=True, help="Remove a Helm parameter.")
@click.option(
    "--kustomize-image", "kustomize_images", multiple=True, help="Remove a Kustomize image override."
)
@click.option(
    "--nameprefix", "--name-prefix", "name_prefix", is_flag=True, help="Remove the Kustomize name prefix."
)
@click.option(
    "--namesuffix", "--name-suffix", "name_suffix", is_flag=True, help="Remove the Kustomize name suffix."
)
@click.option("--sync-option", "sync_options", multiple=True, help="Remove a sync option.")
@client_command
def unset(
    name, values_files, values_literal, parameters, kustomize_images, name_prefix, name_suffix, sync_options
):
    """Unset application parameters."""
    b = backend()
    a = b.get_app(name)
    spec = json.loads(json.dumps(a.get("spec") or {}))
    src = spec.get("source") or ((spec.get("sources") or [{}])[0])
    changed = False
    helm = src.get("helm") or {}
    if values_files and helm.get("valueFiles"):
        helm["valueFiles"] = [v for v in helm["valueFiles"] if v not in values_files]
        changed = True
    if values_literal and "values" in helm:
        helm.pop("values")
        changed = True
    if parameters and helm.get("parameters"):
        helm["parameters"] = [p for p in helm["parameters"] if p.get("name") not in parameters]
        changed = True
    k = src.get("kustomize") or {}
    if kustomize_images and k.get("images"):
        k["images"] = [
            i
            for i in k["images"]
            if i.split("=")[0].split(":")[0] not in kustomize_images and i not in kustomize_images
        ]
        changed = True
    for on, key in ((name_prefix, "namePrefix"), (name_suffix, "nameSuffix")):
        if on and key in k:
            k.pop(key)
            changed = True
    policy = spec.get("syncPolicy") or {}
    if sync_options and policy.get("syncOptions"):
        policy["syncOptions"] = [
            o for o in policy["syncOptions"] if o not in sync_options and o.split("=")[0] not in sync_options
        ]
        changed = True
    for d, key in ((helm, "helm"), (k, "kustomize")):
        if key in src and not any(v for v in d.values()):
            src.pop(key)
    if not changed:
        click.echo(f"application '{name}': nothing to unset")
        return
    b.update_app_spec(name, spec)


@app.command()
@click.argument("name", shell_complete=complete_app_names)
@click.option("--patch", "patch_text", required=True, help="The patch (JSON or YAML).")
@click.option(
    "--type",
    "patch_type",
    type=click.Choice(["json", "merge"]),
    default="json",
    show_default=True,
    help="Patch type.",
)
@output_option
@client_command
def patch(name, patch_text, patch_type, output):
    """Patch an application (JSON patch or merge patch)."""
    import yaml

    try:
        body = yaml.safe_load(patch_text)
    except yaml.YAMLError as exc:
        fail(f"--patch: not valid JSON or YAML: {exc}")
    if patch_type == "json" and not isinstance(body, list):
        fail(
            '--patch: a JSON patch is a list of operations, e.g. [{"op": "replace", "path": "/spec/project", "value": "x"}]'
        )
    if patch_type == "merge" and not isinstance(body, dict):
        fail("--patch: a merge patch is an object")
    result = backend().patch_app(name, body, patch_type)
    if output in ("json", "yaml"):
        emit_data(result, output)


@app.command()
@click.argument("names", nargs=-1, required=True, shell_complete=complete_app_names)
@click.option(
    "--cascade/--no-cascade", default=True, show_default=True, help="Delete the app's resources too."
)
@click.option(
    "-p",
    "--propagation-policy",
    type=click.Choice(["foreground", "background"]),
    default="foreground",
    show_default=True,
    help="How resources are deleted with --cascade.",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--wait", is_flag=True, help="Wait until the application is gone.")
@client_command
def delete(names, cascade, propagation_policy, yes, wait):
    """Delete applications."""
    b = backend()
    for name in names:
        b.get_app(name)
        if not yes:
            what = f"'{name}' and all its resources" if cascade else f"'{name}'"
            if not click.confirm(f"Are you sure you want to delete {what}?", default=False):
                click.echo(f"The command to delete '{name}' was cancelled.")
                continue
        b.delete_app(name, cascade=cascade, propagation=propagation_policy)
        if wait:
            import time

            from kedge.errors import KedgeError

            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                try:
                    b.get_app(name)
                except KedgeError:
                    break
                time.sleep(0.5)
        click.echo(f"application '{name}' deleted")


# -- reading -------------------------------------------------------------------------------------
def _url_base(b) -> str:
    return getattr(b, "url_base", "") or ""


def _window(b, a: dict[str, Any]) -> str | None:
    """The SyncWindow line, computed from the app's project (the Application has no such field)."""
    fn = getattr(b, "sync_window", None)
    return fn(a) if fn is not None else None


@app.command("list")
@click.option("-l", "--selector", help="Label selector, e.g. team=payments.")
@click.option("-p", "--project", "projects", multiple=True, help="Only these projects (repeatable).")
@click.option("-r", "--repo", help="Only apps from this repository.")
@output_option
@client_command
def list_(selector, projects, repo, output):
    """List applications."""
    apps = backend().list_apps(selector, projects)
    if repo:
        from kedge.cli.client.views import sources_of

        apps = [a for a in apps if any(s.get("repoURL") == repo for s in sources_of(a))]
    from kedge.cli.client.views import list_rows

    rows, headers = list_rows(apps)
    emit(apps, output, rows, headers)


@app.command()
@click.argument("name", shell_complete=complete_app_names)
@click.option("--refresh", is_flag=True, help="Refresh (compare with Git) before showing.")
@click.option("--hard-refresh", is_flag=True, help="Refresh and regenerate the manifests (no cache).")
@click.option("--show-params", is_flag=True, help="Show Helm parameters.")
@click.option("--show-operation", is_flag=True, default=True, hidden=True)
@output_option
@client_command
def get(name, refresh, hard_refresh, show_params, show_operation, output):
    """Show an application: summary, conditions, operation, resources."""
    from kedge.cli.client.views import print_app

    b = backend()
    a = b.get_app(name, refresh="hard" if hard_refresh else ("normal" if refresh else None))
    if output in ("json", "yaml"):
        emit_data(a, output)
        return
    print_app(a, _url_base(b), _window(b, a), show_operation, show_params)


@app.command()
@click.argument("name", shell_complete=complete_app_names)
@click.option("--hard", is_flag=True, help="Regenerate manifests without the cache.")
@client_command
def refresh(name, hard):
    """Ask the controller to compare the app with Git now (and wait for it)."""
    a = backend().get_app(name, refresh="hard" if hard else "normal")
    st = a.get("status") or {}
    click.echo(
        f"application '{name}' refreshed: {(st.get('sync') or {}).get('status', 'Unknown')}, "
        f"{(st.get('health') or {}).get('status', 'Unknown')}"
    )


@app.command()
@click.argument("name", shell_complete=complete_app_names)
@click.option(
    "--local", type=click.Path(exists=True, file_okay=False), help="Compare with manifests in this directory."
)
@click.option("--revision", help="Compare with this revision.")
@click.option(
    "--server-side",
    "--server-side-diff",
    "server_side",
    is_flag=True,
    help="Dry-run server-side apply, then compare.",
)
@click.option("--refresh", is_flag=True, help="Refresh first (ignored in core mode: comparisons are fresh).")
@click.option("--hard-refresh", is_flag=True, help="Regenerate manifests without the cache.")
@click.option(
    "--exit-code",
    type=click.BOOL,
    default=True,
    show_default=True,
    help="Exit 1 when there is a diff (--exit-code=false: exit 0).",
)
@click.option(
    "--color/--no-color", default=None, help="Colour the diff (default: when stdout is a terminal)."
)
@client_command
def diff(name, local, revision, server_side, refresh, hard_refresh, exit_code, color):
    """Show the diff between the live state and the target state.

    Exit code: 0 no diff, 1 a diff was found (unless --exit-code=false), 2 an error."""
    from kedge.errors import KedgeError

    colour = sys.stdout.isatty() if color is None else color
    try:
        diffs = backend().diff_app(
            name,
            local=local,
            revision=revision,
            server_side=server_side,
            hard_refresh=hard_refresh,
            color=colour,
        )
    except KedgeError as exc:
        fail(str(exc), code=2)
    found = False
    for d in diffs:
        if not d.modified:
            continue
        found = True
        group = f"{d.group}/" if d.group else "/"
        click.echo(f"\n===== {group}{d.kind} {d.namespace}/{d.name} ======")
        click.echo(d.text, nl=False)
    if found and exit_code:
        raise SystemExit(1)


@app.command()
@click.argument("name", shell_complete=complete_app_names)
@click.option(
    "--orphaned", is_flag=True, help="Only orphaned resources (in the destination namespace, not managed)."
)
@output_option
@client_command
def resources(name, orphaned, output):
    """List the application's resources."""
    b = backend()
    if orphaned:
        items = [{**r, "orphaned": True} for r in b.orphaned_resources(name)]
    else:
        items = [
            {
                "group": r.get("group", ""),
                "kind": r.get("kind"),
                "namespace": r.get("namespace", ""),
                "name": r.get("name"),
                "orphaned": False,
            }
            for r in (b.get_app(name).get("status") or {}).get("resources") or []
        ]
    rows = [
        [r["group"], r["kind"], r["namespace"], r["name"], "Yes" if r["orphaned"] else "No"] for r in items
    ]
    emit(items, output, rows, ["GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED"])


@app.command()
@click.argument("name", shell_complete=complete_app_names)
@click.option(
    "--source",
    type=click.Choice(["git", "live"]),
    default="git",
    show_default=True,
    help="Desired manifests from Git, or the live objects.",
)
@click.option("--revision", help="Revision to render (with --source git).")
@client_command
def manifests(name, source, revision):
    """Print the application's manifests as YAML."""
    import yaml

    docs = backend().manifests(name, source, revision)
    click.echo("\n---\n".join(yaml.safe_dump(d, sort_keys=False).rstrip("\n") for d in docs))


@app.command()
@click.argument("name", shell_complete=complete_app_names)
@output_option
@client_command
def history(name, output):
    """Show the application's deployment history."""
    from kedge.cli.client.views import history_rows, sources_of

    a = backend().get_app(name)
    hist = (a.get("status") or {}).get("history") or []
    if output in ("json", "yaml"):
        emit_data(hist, output)
        return
    srcs = sources_of(a)
    if srcs:
        click.echo(f"SOURCE  {srcs[0].get('repoURL', '')}")
    emit_table(history_rows(a), ["ID", "DATE", "REVISION"])


# -- operations ------------------------------------------------------------------------------------
def _finish(b, name: str, want, timeout: float, since: str | None, output: str) -> None:
    from kedge.cli.client.progress import wait_app
    from kedge.cli.client.views import print_app

    a = wait_app(b, name, want, timeout=timeout, since=since)
    failed = a.pop("_failed", False)
    if output in ("json", "yaml"):
        emit_data(a, output)
    else:
        click.echo()
        print_app(a, _url_base(b), _window(b, a))
    if failed:
        op = (a.get("status") or {}).get("operationState") or {}
        fail(f"Operation has completed with phase: {op.get('phase')}: {op.get('message', '')}".rstrip(": "))


@app.command()
@click.argument("names", nargs=-1, shell_complete=complete_app_names)
@click.option("--revision", help="Sync to this revision.")
@click.option("--prune", is_flag=True, help="Delete resources no longer in Git.")
@click.option("--dry-run", is_flag=True, help="Preview the apply without changing anything.")
@click.option("--preview-changes", is_flag=True, help="Show the diff and ask before syncing.")
@click.option(
    "--resource",
    "resources_",
    multiple=True,
    metavar="GROUP:KIND:NAME",
    help="Sync only this resource (GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME; repeatable).",
)
@click.option("-l", "--selector", "selector", help="Sync every app matching this label selector.")
@click.option(
    "--label",
    "resource_labels",
    multiple=True,
    metavar="KEY=VALUE",
    help="Sync only the app's resources with this label (repeatable; all must match).",
)
@click.option("--force", is_flag=True, help="Use a force apply.")
@click.option("--replace", is_flag=True, help="Use replace/create instead of apply.")
@click.option("--server-side", is_flag=True, help="Use server-side apply.")
@click.option("--apply-out-of-sync-only", is_flag=True, help="Apply only out-of-sync resources.")
@click.option("--strategy", type=click.Choice(["apply", "hook"]), help="Sync strategy.")
@click.option("--retry-limit", type=int, default=0, help="Retries of a failed sync.")
@click.option("--info", "infos", multiple=True, metavar="NAME=VALUE", help="Operation info (repeatable).")
@click.option("--async", "async_", is_flag=True, help="Do not wait for the operation to finish.")
@click.option("--timeout", type=int, default=0, help="Seconds to wait (0: no limit).")
@click.option("-y", "--assumeYes", "--yes", "yes", is_flag=True, help="Answer yes to --preview-changes.")
@output_option
@client_command
def sync(
    names,
    revision,
    prune,
    dry_run,
    preview_changes,
    resources_,
    selector,
    resource_labels,
    force,
    replace,
    server_side,
    apply_out_of_sync_only,
    strategy,
    retry_limit,
    infos,
    async_,
    timeout,
    yes,
    output,
):
    """Sync applications to their target state."""
    import dataclasses

    from kedge.cli.client.base import parse_resource_ref
    from kedge.cli.client.progress import WaitFor

    b = backend()
    targets = list(names)
    if selector:
        targets += [
            a["metadata"]["name"] for a in b.list_apps(selector) if a["metadata"]["name"] not in targets
        ]
        if not targets:
            fail(f"no apps match selector {selector}")
    if not targets:
        fail("an application name (or --selector) is required")
    refs = [parse_resource_ref(r) for r in resources_]
    options = []
    if replace:
        options.append("Replace=true")
    if server_side:
        options.append("ServerSideApply=true")
    if apply_out_of_sync_only:
        options.append("ApplyOutOfSyncOnly=true")
    req = SyncRequest(
        revision=revision or "",
        prune=prune,
        dry_run=dry_run,
        force=force,
        strategy=strategy or "",
        resources=refs,
        sync_options=options,
        retry={"limit": retry_limit} if retry_limit else None,
        infos=[{"name": k, "value": v} for k, v in (i.partition("=")[::2] for i in infos)],
    )
    wanted_labels = dict(_kv_pairs(resource_labels, "--label"))
    for name in targets:
        app_req = req
        if wanted_labels:
            matching = b.labelled_resources(name, wanted_labels)
            if not matching:
                fail(f"no resources of application '{name}' have the label(s) {', '.join(resource_labels)}")
            app_req = dataclasses.replace(req, resources=refs + [r for r in matching if r not in refs])
        if preview_changes:
            diffs = [d for d in b.diff_app(name, revision=revision, color=sys.stdout.isatty()) if d.modified]
            for d in diffs:
                click.echo(
                    f"\n===== {d.group + '/' if d.group else '/'}{d.kind} {d.namespace}/{d.name} ======"
                )
                click.echo(d.text, nl=False)
            if not diffs:
                click.echo(f"application '{name}': no changes")
            if not yes and not click.confirm("Continue?", default=False):
                click.echo(f"sync of '{name}' cancelled")
                continue
        b.sync_app(name, app_req)
        if async_:
            click.echo(f"application '{name}' sync requested")
            continue
        _finish(b, name, WaitFor(operation=True), timeout, None, output)


@app.command()
@click.argument("names", nargs=-1, shell_complete=complete_app_names)
@click.option("--health", is_flag=True, help="Wait for health.")
@click.option("--sync", "sync_", is_flag=True, help="Wait for sync.")
@click.option("--operation", is_flag=True, help="Wait for the pending operation.")
@click.option("--suspended", is_flag=True, help="Wait for the Suspended health status.")
@click.option("--degraded", is_flag=True, help="Wait for the Degraded health status.")
@click.option("-l", "--selector", help="Wait for every app matching this label selector.")
@click.option("--timeout", type=int, default=0, help="Seconds to wait (0: no limit).")
@output_option
@client_command
def wait(names, health, sync_, operation, suspended, degraded, selector, timeout, output):
    """Wait for applications to reach the given state (default: synced, healthy, no operation)."""
    from kedge.cli.client.progress import WaitFor

    b = backend()
    targets = list(names) + ([a["metadata"]["name"] for a in b.list_apps(selector)] if selector else [])
    if not targets:
        fail("an application name (or --selector) is required")
    if not (health or sync_ or operation or suspended or degraded):
        health = sync_ = operation = True
    for name in targets:
        _finish(b, name, WaitFor(operation, health, sync_, suspended, degraded), timeout, None, output)


@app.command()
@click.argument("name", shell_complete=complete_app_names)
@click.argument("history_id", required=False, type=int)
@click.option("--prune", is_flag=True, help="Delete resources not in the target revision.")
@click.option("--dry-run", is_flag=True, help="Preview only.")
@click.option("--timeout", type=int, default=0, help="Seconds to wait (0: no limit).")
@click.option("--async", "async_", is_flag=True, help="Do not wait.")
@output_option
@client_command
def rollback(name, history_id, prune, dry_run, timeout, async_, output):
    """Roll back to a history ID (default: the previous deployment)."""
    from kedge.cli.client.progress import WaitFor

    b = backend()
    a = b.get_app(name)
    hist = (a.get("status") or {}).get("history") or []
    if history_id is None:
        if len(hist) < 2:
            fail(f"application '{name}' has no previous deployment to roll back to")
        history_id = int(hist[-2]["id"])
    b.rollback_app(name, history_id, prune=prune, dry_run=dry_run)
    if async_:
        click.echo(f"application '{name}' rollback to {history_id} requested")
        return
    _finish(b, name, WaitFor(operation=True), timeout, None, output)


@app.command("terminate-op")
@click.argument("name", shell_complete=complete_app_names)
@client_command
def terminate_op(name):
    """Terminate the running operation of an application."""
    backend().terminate_op(name)
    click.echo(f"Application '{name}' operation terminating")


# -- resource actions ----------------------------------------------------------------------------------
@app.group()
def actions() -> None:
    """List and run resource actions (Lua) on an application's resources."""


def _action_ref(kind, group, resource_name, namespace) -> dict[str, str]:
    ref = {"kind": kind, "group": group or "", "name": resource_name or ""}
    if namespace:
        ref["namespace"] = namespace
    return ref


def _resource_options(f):
    for o in reversed(
        [
            click.option("--kind", required=True, help="Resource kind."),
            click.option("--group", default="", help="Resource API group."),
            click.option("--resource-name", help="Resource name."),
            click.option("--resource-namespace", "res_namespace", help="Resource namespace."),
        ]
    ):
        f = o(f)
    return f


@actions.command("list")
@click.argument("name", shell_complete=complete_app_names)
@_resource_options
@output_option
@client_command
def actions_list(name, kind, group, resource_name, res_namespace, output):
    """List the actions available on a resource of the app."""
    if not resource_name:
        fail("--resource-name is required")
    acts = backend().resource_actions(name, _action_ref(kind, group, resource_name, res_namespace))
    rows = [[group, kind, resource_name, a["name"], "true" if a.get("disabled") else "false"] for a in acts]
    emit(acts, output, rows, ["GROUP", "KIND", "NAME", "ACTION", "DISABLED"])


@actions.command("run")
@click.argument("name", shell_complete=complete_app_names)
@click.argument("action")
@_resource_options
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Action parameter (repeatable).")
@client_command
def actions_run(name, action, kind, group, resource_name, res_namespace, params):
    """Run an action on a resource of the app."""
    if not resource_name:
        fail("--resource-name is required")
    backend().run_resource_action(
        name,
        _action_ref(kind, group, resource_name, res_namespace),
        action,
        dict(_kv_pairs(params, "--param")),
    )
    click.echo(f"action '{action}' run on {kind} {resource_name}")
