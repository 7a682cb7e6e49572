"""``kedge admin settings validate``: check a config directory group by group."""

from __future__ import annotations

import click

from kedge.cli.output import emit_data, fail, output_option


@click.command()
@click.option(
    "--config-dir",
    "config_dir",
    required=True,
    type=click.Path(file_okay=True, dir_okay=True),
    help="Directory of YAML files holding argocd-cm, argocd-rbac-cm, argocd-secret, repository Secrets...",
)
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="Validate only these groups (general, accounts, repositories, clusters, rbac, resource-overrides, "
    "kustomize, notifications, cmd-params). Repeatable.",
)
@output_option
def validate(config_dir: str, groups: tuple[str, ...], output: str) -> None:
    """Validate settings in a config directory; exits non-zero if any group is invalid."""
    import os

    from kedge.settings import GROUPS, load_dir
    from kedge.settings.validate import validate_groups

    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        fail(f"unknown group {', '.join(unknown)} (known: {', '.join(GROUPS)})", 2)
    if not os.path.exists(config_dir):
        fail(f"{config_dir}: no such file or directory", 2)
    settings = load_dir(config_dir)
    results = validate_groups(settings, list(groups) or None)
    ok = all(r.valid for r in results)
    if output in ("json", "yaml"):
        emit_data(
            {"valid": ok, "groups": [r.as_dict() for r in results], "warnings": settings.warnings},
            output,
        )
    else:
        blocks = []
        for r in results:
            body = r.summary if r.valid else "\n".join(r.errors)
            blocks.append(f"{'✅' if r.valid else '❌'} {r.group}\n{body}")
        click.echo("\n\n".join(blocks))
        for w in settings.warnings:
            click.echo(f"Warning: {w}", err=True)
    if not ok:
        raise SystemExit(1)
