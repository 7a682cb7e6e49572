"""``kedge admin settings resource-overrides``: try health checks and actions on a resource file.

Mirrors ``argocd admin settings resource-overrides``: the argocd-cm customizations come from
``--argocd-cm-path`` (alias ``--config``): a ConfigMap manifest, a plain map of its ``data``, or a
Kedge config directory (its argocd-cm is used).
Without it only plugins, Kedge's Lua library and the built-in checks apply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kedge.cli.output import emit, emit_data, fail, output_option


def _cm_option(f: Any) -> Any:
    return click.option(
        "--argocd-cm-path",
        "--config",
        "argocd_cm_path",
        type=click.Path(path_type=Path),
        help="argocd-cm ConfigMap manifest (or a map of its data), or a Kedge config directory.",
    )(f)


@click.group("resource-overrides")
def resource_overrides() -> None:
    """Assess health and run actions on a resource file with argocd-cm customizations."""


def _load_resource(path: Path) -> dict:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read resource file {path}: {exc.strerror or exc}")
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        fail(f"resource file {path} is not valid YAML: {exc}")
    if len(docs) != 1 or not isinstance(docs[0], dict):
        fail(f"resource file {path} must hold exactly one Kubernetes object")
    obj = docs[0]
    if not obj.get("kind") or not obj.get("apiVersion"):
        fail(f"resource file {path}: the object needs apiVersion and kind")
    return obj


def _load_overrides(path: Path | None) -> Any:
    from kedge.errors import KedgeError
    from kedge.lua.overrides import ResourceOverrides

    if path is None:
        return ResourceOverrides()
    if path.is_dir():
        from kedge.settings import load_dir

        try:
            return ResourceOverrides.from_configmap(load_dir(path).cm)
        except KedgeError as exc:
            fail(f"{path}: {exc}")
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"cannot read argocd-cm file {path}: {exc.strerror or exc}")
    except yaml.YAMLError as exc:
        fail(f"argocd-cm file {path} is not valid YAML: {exc}")
    if isinstance(doc, dict) and doc.get("kind") == "ConfigMap":
        data = doc.get("data") or {}
    elif isinstance(doc, dict) or doc is None:
        data = doc or {}
    else:
        fail(f"argocd-cm file {path}: expected a ConfigMap or a map of settings")
    if not isinstance(data, dict):
        fail(f"argocd-cm file {path}: data must be a map")
    try:
        return ResourceOverrides.from_configmap({str(k): v for k, v in data.items()})
    except KedgeError as exc:
        fail(f"{path}: {exc}")


def _group_kind(obj: dict) -> str:
    from kedge.health import group_kind

    group, kind = group_kind(obj)
    return f"{group}/{kind}"


@resource_overrides.command("health")
@click.argument("resource_yaml", type=click.Path(dir_okay=False, path_type=Path))
@_cm_option
@output_option
def health(resource_yaml: Path, argocd_cm_path: Path | None, output: str) -> None:
    """Assess the health of the resource in RESOURCE_YAML."""
    from kedge.errors import KedgeError
    from kedge.health import assess

    obj = _load_resource(resource_yaml)
    overrides = _load_overrides(argocd_cm_path)
    try:
        result = assess(obj, overrides, raise_errors=True)
    except KedgeError as exc:
        fail(str(exc))
    if output in ("json", "yaml"):
        emit_data(result, output)
    elif result is None:
        click.echo(f"Health script is not configured for '{_group_kind(obj)}'")
    else:
        click.echo(f"STATUS: {result['status']}")
        click.echo(f"MESSAGE: {result['message']}")


@resource_overrides.command("list-actions")
@click.argument("resource_yaml", type=click.Path(dir_okay=False, path_type=Path))
@_cm_option
@output_option
def list_actions(resource_yaml: Path, argocd_cm_path: Path | None, output: str) -> None:
    """List the actions available for the resource in RESOURCE_YAML."""
    from kedge.actions import discover
    from kedge.errors import KedgeError

    obj = _load_resource(resource_yaml)
    overrides = _load_overrides(argocd_cm_path)
    try:
        actions = discover(obj, overrides)
    except KedgeError as exc:
        fail(str(exc))
    if not actions and output not in ("json", "yaml"):
        click.echo(f"Actions are not configured for '{_group_kind(obj)}'")
        return
    emit(
        actions,
        output,
        [(a["name"], str(a["disabled"]).lower()) for a in actions],
        ["NAME", "DISABLED"],
        [
            (a["name"], str(a["disabled"]).lower(), a.get("displayName", ""), a.get("iconClass", ""))
            for a in actions
        ],
        ["NAME", "DISABLED", "DISPLAY NAME", "ICON"],
    )


def _parse_params(values: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep or not name:
            fail(f"--param {v!r}: expected NAME=VALUE")
        params[name] = value
    return params


@resource_overrides.command("run-action")
@click.argument("resource_yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("action")
@_cm_option
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Action parameter (repeatable).")
@output_option
def run_action(
    resource_yaml: Path, action: str, argocd_cm_path: Path | None, params: tuple[str, ...], output: str
) -> None:
    """Run ACTION on the resource in RESOURCE_YAML and show what it changes.

    By default prints the changed fields as a diff (and created resources in full); -o yaml|json
    prints the resulting object, or a list of {operation, resource} when the action returns
    several.
    """
    from kedge.actions import run
    from kedge.errors import KedgeError

    obj = _load_resource(resource_yaml)
    overrides = _load_overrides(argocd_cm_path)
    parsed = _parse_params(params)
    try:
        result = run(obj, action, parsed, overrides)
    except KedgeError as exc:
        fail(str(exc))
    if output in ("json", "yaml"):
        if len(result) == 1 and result[0]["operation"] == "patch":
            emit_data(result[0]["resource"], output)
        else:
            emit_data(result, output)
        return
    import yaml

    for item in result:
        res = item["resource"]
        if item["operation"] == "patch":
            if res == _drop_nulls(obj):
                click.echo(f"No fields had been changed by action: \n{action}")
                continue
            click.echo("Following fields have been changed:\n")
            click.echo(_diff(obj, res, (obj.get("metadata") or {}).get("name", "")))
        else:
            click.echo("Following resource was created:")
            click.echo(yaml.safe_dump(res, sort_keys=False, default_flow_style=False).rstrip("\n"))


def _drop_nulls(value: Any) -> Any:
    """JSON nulls never reach Lua, so they are absent from an action's result: hide them in the diff."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _diff(old: dict, new: dict, name: str) -> str:
    import difflib

    import yaml

    a = yaml.safe_dump(_drop_nulls(old), sort_keys=True, default_flow_style=False).splitlines(keepends=True)
    b = yaml.safe_dump(new, sort_keys=True, default_flow_style=False).splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"{name} (live)", f"{name} (after action)", n=2)).rstrip("\n")
