"""``kedge lua ...``: work with Lua health checks and resource actions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kedge.cli.output import emit_data, fail, output_option


@click.group()
def lua() -> None:
    """Test Lua health checks and resource actions."""


def _default_dir() -> Path:
    import importlib.resources

    return Path(str(importlib.resources.files("kedge.lualib")))


@lua.command("test")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=True, path_type=Path))
@output_option
def test(directory: Path | None, output: str) -> None:
    """Run every health_test.yaml and action_test.yaml under DIRECTORY.

    DIRECTORY defaults to Kedge's built-in Lua library. The layout is Argo CD's:
    <group>/<Kind>/health.lua with health_test.yaml and testdata/, and
    <group>/<Kind>/actions/ with discovery.lua, <action>/action.lua and action_test.yaml.
    Exits non-zero when a case fails.
    """
    from kedge.errors import KedgeError
    from kedge.lua.testrunner import run_tests

    root = directory or _default_dir()
    try:
        results = run_tests(root)
    except KedgeError as exc:
        fail(str(exc))
    if not results:
        fail(f"no health_test.yaml or action_test.yaml found under {root}")
    failed = [r for r in results if not r.passed]
    if output in ("json", "yaml"):
        emit_data(
            {
                "directory": str(root),
                "passed": len(results) - len(failed),
                "failed": len(failed),
                "results": [r.as_dict() for r in results],
            },
            output,
        )
    else:
        out = sys.stdout
        for r in results:
            if r.passed:
                if output == "wide":
                    out.write(f"PASS  {r.file}  {r.case}\n")
            else:
                out.write(f"FAIL  {r.file}  {r.case}: {r.message}\n")
        files = len({r.file for r in results})
        out.write(
            f"{len(results) - len(failed)} passed, {len(failed)} failed ({files} test files under {root})\n"
        )
    if failed:
        raise SystemExit(1)
