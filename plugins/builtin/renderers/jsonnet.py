"""Jsonnet: ``.jsonnet`` files evaluated with the fast Go implementation (``gojsonnet``).

Options come from ``source.directory.jsonnet`` (Argo CD has no separate Jsonnet tool):
``extVars`` and ``tlas`` (``code: true`` for Jsonnet code, else strings; both with build
environment substitution), ``libs`` (library directories, relative to the repository root).
Imports are resolved like the Go importer (the importing file's directory first, then the
library paths, last first) and must stay inside the repository.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from kedge.errors import RenderError
from kedge.hookspecs import hookimpl
from kedge.repo.paths import UnsafePathError, is_within, relative_to_root, safe_join
from kedge.repo.render import DEFAULT_MAX_FILE_BYTES, envsubst, setting_bytes
from kedge.repo.types import RenderRequest

_MAX_IMPORT_KEY = "kedge.render.maxFileBytes"


def _vm_args(request: RenderRequest, opts: dict[str, Any]) -> dict[str, Any]:
    env = request.env
    ext_vars: dict[str, str] = {}
    ext_codes: dict[str, str] = {}
    tla_vars: dict[str, str] = {}
    tla_codes: dict[str, str] = {}
    for i, var in enumerate(opts.get("extVars") or []):
        name = str(var.get("name") or "")
        if not name:
            raise RenderError(f"spec.source.directory.jsonnet.extVars[{i}]: name is required")
        value = envsubst(str(var.get("value") if var.get("value") is not None else ""), env)
        (ext_codes if var.get("code") else ext_vars)[name] = value
    for i, var in enumerate(opts.get("tlas") or []):
        name = str(var.get("name") or "")
        if not name:
            raise RenderError(f"spec.source.directory.jsonnet.tlas[{i}]: name is required")
        value = envsubst(str(var.get("value") if var.get("value") is not None else ""), env)
        (tla_codes if var.get("code") else tla_vars)[name] = value
    return {"ext_vars": ext_vars, "ext_codes": ext_codes, "tla_vars": tla_vars, "tla_codes": tla_codes}


def _jpaths(request: RenderRequest, opts: dict[str, Any]) -> list[str]:
    paths = [os.fspath(request.path)]
    for lib in opts.get("libs") or []:
        try:
            resolved = safe_join(request.root, str(lib).lstrip("/"))
        except UnsafePathError as exc:
            raise RenderError(f"spec.source.directory.jsonnet.libs: {exc}") from None
        paths.append(os.fspath(resolved))
    return paths


def evaluate(request: RenderRequest, file: Path, opts: dict[str, Any] | None = None) -> Any:
    """Evaluate one ``.jsonnet`` file of ``request``; returns the parsed JSON value."""
    import _gojsonnet

    opts = opts or {}
    root = os.fspath(request.root)
    jpaths = _jpaths(request, opts)
    max_bytes = setting_bytes(request.settings, _MAX_IMPORT_KEY, DEFAULT_MAX_FILE_BYTES)

    def import_callback(base: str, rel: str) -> tuple[str, bytes]:
        if os.path.isabs(rel):
            raise RuntimeError(f"import {rel!r}: absolute imports are not allowed")
        for directory in [base, *reversed(jpaths)]:
            candidate = os.path.normpath(os.path.join(directory, rel))
            if not is_within(root, candidate):
                raise RuntimeError(f"import {rel!r} resolves outside the repository")
            if os.path.isfile(candidate):
                size = os.path.getsize(candidate)
                if size > max_bytes:
                    raise RuntimeError(f"import {rel!r} is {size} bytes, over the {max_bytes}-byte limit")
                with open(candidate, "rb") as fh:
                    return candidate, fh.read()
        raise RuntimeError(f"couldn't open import {rel!r}: no match locally or in the Jsonnet library paths")

    rel_file = relative_to_root(request.root, file)
    if not is_within(root, file):
        raise RenderError(f"{rel_file}: resolves outside the repository")
    try:
        text = _gojsonnet.evaluate_file(
            os.fspath(file), jpathdir=jpaths, import_callback=import_callback, **_vm_args(request, opts)
        )
    except RuntimeError as exc:
        raise RenderError(_format_error(str(exc), root, rel_file)) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise RenderError(f"{rel_file}: jsonnet produced invalid JSON: {exc}") from None


_FRAME = re.compile(r"(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+)(?:-(?:\d+:)?\d+)?")


def _format_error(message: str, root: str, rel_file: str) -> str:
    """``<file>:<line>: <first line>`` plus a short, repository-relative trace."""
    text = message.replace(os.path.realpath(root) + os.sep, "").replace(root + os.sep, "")
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    head = lines[0] if lines else "jsonnet evaluation failed"
    where = rel_file
    for ln in lines:
        m = _FRAME.search(ln)
        if m:
            where = f"{m.group('file')}:{m.group('line')}"
            break
    trace = "; ".join(lines[1:4])
    return f"{where}: jsonnet: {head}" + (f" ({trace})" if trace else "")


def jsonnet_options(source: dict[str, Any]) -> dict[str, Any]:
    return ((source.get("directory") or {}).get("jsonnet")) or {}


class JsonnetRenderer:
    """Every ``.jsonnet`` file in the source directory (not recursive), evaluated."""

    name = "jsonnet"

    def detect(self, path: Path) -> bool:
        return False  # never chosen by detection: a directory with .jsonnet files is "directory"

    def render(self, request: RenderRequest) -> list[Any]:
        opts = jsonnet_options(request.source)
        out: list[Any] = []
        for file in sorted(Path(request.path).glob("*.jsonnet")):
            out.extend(
                objects_from_value(evaluate(request, file, opts), relative_to_root(request.root, file))
            )
        return out

    def cache_key(self, request: RenderRequest) -> str:
        try:
            import _gojsonnet

            return f"gojsonnet {_gojsonnet.version()}"
        except Exception:  # noqa: BLE001
            return "gojsonnet"


def objects_from_value(value: Any, label: str) -> list[tuple[Any, str]]:
    """A Jsonnet result (one object or an array of objects) as ``(object, origin)`` pairs."""
    if isinstance(value, list):
        return [(v, label) for v in value]
    if isinstance(value, dict):
        return [(value, label)]
    raise RenderError(
        f"{label}: jsonnet must produce an object or an array of objects, got {type(value).__name__}"
    )


@hookimpl
def kedge_renderers() -> list[Any]:
    return [JsonnetRenderer()]
