"""CLI output: tidy tables by default, ``-o json|yaml|wide`` for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

FORMATS = ("table", "wide", "json", "yaml")


def output_option(f: Callable) -> Callable:
    """Add ``-o/--output`` to a command; defaults to the root's ``-o`` (or ``table``)."""

    def _default() -> str:
        ctx = click.get_current_context(silent=True)
        root = ctx.find_root() if ctx else None
        return (root.obj or {}).get("output", "table") if root else "table"

    return click.option(
        "-o",
        "--output",
        "output",
        type=click.Choice(FORMATS),
        default=_default,
        show_default="table",
        help="Output format.",
    )(f)


def emit_data(data: Any, fmt: str) -> None:
    """Print a document as JSON or YAML."""
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
    else:
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip("\n"))


def emit_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    """Print an aligned table with upper-case headers, like ``argocd``/``kubectl``."""
    cells = [[str(h).upper() for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = sys.stdout
    for r in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")


def emit(
    data: Any,
    fmt: str,
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    wide_rows: Sequence[Sequence[Any]] | None = None,
    wide_headers: Sequence[str] | None = None,
) -> None:
    """Print ``data`` for json/yaml, or the table (the wide table for ``-o wide``)."""
    if fmt in ("json", "yaml"):
        emit_data(data, fmt)
    elif fmt == "wide" and wide_rows is not None:
        emit_table(wide_rows, wide_headers or headers)
    else:
        emit_table(rows, headers)


def fail(message: str, code: int = 1) -> None:
    """Print an error to stderr and exit with ``code`` (no traceback)."""
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(code)
