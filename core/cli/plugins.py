"""``kedge plugins list``: what is installed, where it came from, what it provides, what failed."""

from __future__ import annotations

import click

from kedge.cli.output import emit, output_option


@click.group()
def plugins() -> None:
    """Inspect installed plugins."""


@plugins.command("list")
@output_option
def list_plugins(output: str) -> None:
    """List plugins: name, version, origin (builtin / entrypoint), providers, load errors and conflicts.

    ``-o json`` gives ``plugins`` (registered), ``errors`` (skipped plugins and failing hooks, with
    their distribution), ``families`` (provider name -> plugin, per hook family) and ``conflicts``.
    """
    from kedge import hookspecs
    from kedge.plugins import registry

    reg = registry()
    families = {
        fam: {n: reg.owner(fam, n) for n in sorted(reg.providers(fam))} for fam in hookspecs.FAMILIES.values()
    }
    items = []
    for info in sorted(reg.plugins.values(), key=lambda p: (p.origin != "builtin", p.name)):
        provided = {
            fam: [n for n, owner in table.items() if owner == info.name] for fam, table in families.items()
        }
        items.append(
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "origin": info.origin,
                "hooks": info.hooks,
                "providers": {k: v for k, v in provided.items() if v},
                "errors": [e.error for e in reg.errors if e.name == info.name],
            }
        )
    errors = [{"name": e.name, "distribution": e.distribution, "error": e.error} for e in reg.errors]
    data = {
        "plugins": items,
        "errors": errors,
        "families": families,
        "conflicts": [c.__dict__ for c in reg.conflicts],
    }

    def provides(item: dict) -> str:
        parts = []
        for fam, names in item["providers"].items():
            parts.append(", ".join(names) if len(names) <= 3 else f"{len(names)} {fam.replace('_', ' ')}")
        return "; ".join(parts) or ", ".join(item["hooks"]) or "-"

    rows = [[i["name"], i["version"], i["origin"], provides(i)] for i in items]
    registered = {i["name"] for i in items}
    rows += [
        [e["name"], "", "error", f"{e['distribution']}: {e['error']}"]
        for e in errors
        if e["name"] not in registered
    ]
    rows += [
        [e["name"], "", "hook error", f"{e['distribution']}: {e['error']}"]
        for e in errors
        if e["name"] in registered
    ]
    wide = [
        [i["name"], i["distribution"], i["version"], i["origin"], ", ".join(i["hooks"]), provides(i)]
        for i in items
    ]
    emit(
        data,
        output,
        rows,
        ["name", "version", "origin", "provides"],
        wide_rows=wide,
        wide_headers=["name", "distribution", "version", "origin", "hooks", "provides"],
    )
    if output not in ("json", "yaml"):
        for c in reg.conflicts:
            click.echo(
                f"Warning: {c.family} provider {c.provider!r} is offered by {c.winner} and {c.loser}; "
                f"using {c.winner}'s",
                err=True,
            )
