"""``kedge admin settings rbac can|validate``, mirroring ``argocd admin settings rbac``."""

from __future__ import annotations

from pathlib import Path

import click

from kedge.cli.output import fail


def _load(policy_file: str) -> tuple[object, str, str]:
    """(Policy, default role, match mode) from a CSV file or an argocd-rbac-cm ConfigMap YAML."""
    import yaml

    from kedge.rbac.policy import Policy, from_rbac_configmap

    path = Path(policy_file)
    try:
        text = path.read_text()
    except OSError as exc:
        fail(f"cannot read policy file {policy_file}: {exc.strerror}")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
        data = {str(k): str(v) for k, v in doc["data"].items()}
        return (
            from_rbac_configmap(data, f"{policy_file} (argocd-rbac-cm)"),
            data.get("policy.default", ""),
            data.get("policy.matchMode", "glob"),
        )
    return Policy.parse(text, policy_file), "", "glob"


@click.group()
def rbac() -> None:
    """Validate RBAC policies and test what a subject may do."""


@rbac.command()
@click.argument("subject")
@click.argument("action")
@click.argument("resource")
@click.argument("obj", required=False, default="")
@click.option("--policy-file", required=True, help="policy.csv, or an argocd-rbac-cm ConfigMap in YAML.")
@click.option("--default-role", default=None, help="Default role (overrides policy.default in the file).")
@click.option(
    "--use-builtin-policy/--no-use-builtin-policy",
    default=True,
    show_default=True,
    help="Include the built-in policy.",
)
@click.option("--strict", is_flag=True, help="Refuse unknown resources and actions.")
@click.option("-q", "--quiet", is_flag=True, help="No output; answer with the exit code only.")
def can(subject, action, resource, obj, policy_file, default_role, use_builtin_policy, strict, quiet) -> None:
    """Check whether SUBJECT may perform ACTION on RESOURCE [OBJECT] (prints Yes or No).

    Example: kedge admin settings rbac can role:readonly get applications default/guestbook --policy-file policy.csv
    """
    from kedge.errors import ConfigError
    from kedge.rbac import Enforcer
    from kedge.rbac.policy import ACTIONS, RESOURCES

    if strict:
        if resource not in RESOURCES:
            fail(f"unknown resource {resource!r} (known: {', '.join(RESOURCES)})", code=2)
        if action.split("/", 1)[0] not in ACTIONS:
            fail(f"unknown action {action!r} (known: {', '.join(ACTIONS)})", code=2)
    try:
        policy, file_default, mode = _load(policy_file)
        enforcer = Enforcer(
            policy,
            default_role=file_default if default_role is None else default_role,
            match_mode=mode,
            use_builtin=use_builtin_policy,
        )
    except ConfigError as exc:
        fail(str(exc), code=2)
    allowed = enforcer.enforce(subject, resource, action, obj)
    if not quiet:
        click.echo("Yes" if allowed else "No")
    raise SystemExit(0 if allowed else 1)


@rbac.command()
@click.option("--policy-file", required=True, help="policy.csv, or an argocd-rbac-cm ConfigMap in YAML.")
def validate(policy_file: str) -> None:
    """Check that a policy parses and uses known resources, actions and effects."""
    from kedge.errors import ConfigError

    try:
        policy, _, mode = _load(policy_file)
    except ConfigError as exc:
        fail(str(exc))
    problems = policy.validate_strict()
    if mode not in ("glob", "regex"):
        problems.append(f"{policy_file}: policy.matchMode must be 'glob' or 'regex', got {mode!r}")
    if problems:
        for p in problems:
            click.echo(f"Error: {p}", err=True)
        raise SystemExit(1)
    click.echo(
        f"Policy is valid ({len(policy.lines)} policy lines, {len(policy.groupings)} role assignments)."
    )
