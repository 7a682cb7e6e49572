"""``kedge plugins list``."""

from __future__ import annotations

import click

from kedge.cli.output import emit, output_option


@click.group()
def plugins() -> None:
    """Inspect installed plugins."""


@plugins.command("list")
@output_option
def list_plugins(output: str) -> None:
    """List plugins: name, version, origin (builtin / entrypoint), hooks and load errors."""
    from kedge import hookspecs
    from kedge.plugins import registry

    reg = registry()
    families = {fam: sorted(reg.providers(fam)) for fam in hookspecs.FAMILIES.values()}
    items = []
    for info in sorted(reg.plugins.values(), key=lambda p: (p.origin != "builtin", p.name)):
        provided = {
            fam: [n for n in names if reg.owner(fam, n) == info.name] for fam, names in families.items()
        }
        items.append(
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "origin": info.origin,
                "hooks": info.hooks,
                "providers": {k: v for k, v in provided.items() if v},
                "error": None,
            }
        )
    for err in reg.errors:
        items.append(
            {
                "name": err.name,
                "distribution": err.distribution,
                "version": "",
                "origin": "error",
                "hooks": [],
                "providers": {},
                "error": err.error,
            }
        )
    data = {
        "plugins": items,
        "families": families,
        "conflicts": [c.__dict__ for c in reg.conflicts],
    }
    rows = [
        [
            i["name"],
            i["version"],
            i["origin"],
            ",".join(p for ps in i["providers"].values() for p in ps) or ",".join(i["hooks"]) or "-",
            i["error"] or "",
        ]
        for i in items
    ]
    emit(data, output, rows, ["name", "version", "origin", "provides", "error"])
