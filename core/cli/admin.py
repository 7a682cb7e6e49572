"""``kedge admin ...``: commands that work locally, without a Kedge server (like ``argocd admin``)."""

from __future__ import annotations

import click

from kedge.cli.lazy import LazyGroup

#: admin subcommands: name -> ("module:attribute", short help)
ADMIN_COMMANDS: dict[str, tuple[str, str]] = {
    "settings": ("kedge.cli.admin:settings", "Validate settings, test resource overrides and RBAC"),
    "app": ("kedge.cli.render:app", "Render Application manifests locally (no server, no cluster)"),
    "export": ("kedge.cli.export:export", "Export settings, projects, applications and appsets as YAML"),
    "import": ("kedge.cli.export:import_", "Import an export (--dry-run, --prune)"),
    "initial-password": ("kedge.cli.export:initial_password", "Print the generated admin password"),
}

#: admin settings subcommands
SETTINGS_COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("kedge.cli.settings:validate", "Validate settings in a config directory"),
    "resource-overrides": (
        "kedge.cli.resource_overrides:resource_overrides",
        "Test health checks and actions",
    ),
    "rbac": ("kedge.cli.rbac:rbac", "Validate RBAC policies and test what a subject may do"),
}


@click.group(cls=LazyGroup, lazy=ADMIN_COMMANDS)
def admin() -> None:
    """Administration commands that run locally."""


@click.group(cls=LazyGroup, lazy=SETTINGS_COMMANDS)
def settings() -> None:
    """Validate settings, resource overrides and RBAC policies."""
