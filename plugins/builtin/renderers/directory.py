"""Plain directories: YAML, JSON and Jsonnet files, like Argo CD's "Directory" tool.

``source.directory`` options: ``recurse`` (default false), ``include`` / ``exclude`` globs
matched against the path relative to the source directory (``*`` crosses ``/``, ``{a,b}``
alternatives), ``jsonnet`` (see :mod:`kedge.builtin.renderers.jsonnet`).

Rules:

* files ``*.yaml``, ``*.yml``, ``*.json``, ``*.jsonnet``, in name order (directories are
  entered where they sort); dot-directories (``.git``, ``.github``...) are not entered and
  ``.argocd-source*.yaml`` files are not manifests;
* a YAML file that does not parse as Kubernetes objects and does not look like one (no
  ``apiVersion:``, ``kind:`` and ``metadata:``) is ignored, as in Argo CD (e.g. Helm values);
  one that does look like a manifest is an error naming ``file:line``;
* a JSON file holds exactly one object;
* a symlink must point inside the repository; files over ``kedge.render.maxFileBytes``
  (10 MiB) and directories whose manifests total over
  ``reposerver.max.combined.directory.manifests.size`` (10M) are refused.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from wcmatch import fnmatch

from kedge.errors import RenderError
from kedge.hookspecs import hookimpl
from kedge.repo.detect import tool_enabled
from kedge.repo.paths import is_within, relative_to_root
from kedge.repo.render import DEFAULT_MAX_FILE_BYTES, parse_yaml_stream, setting_bytes
from kedge.repo.types import RenderRequest

_EXTS = (".yaml", ".yml", ".json", ".jsonnet")
_GLOB_FLAGS = fnmatch.BRACE | fnmatch.DOTMATCH
MAX_FILE_KEY = "kedge.render.maxFileBytes"
MAX_COMBINED_KEY = "reposerver.max.combined.directory.manifests.size"
DEFAULT_MAX_COMBINED = 10 * 1000 * 1000


def _glob_match(pattern: str, rel: str) -> bool:
    return fnmatch.fnmatch(rel, pattern, flags=_GLOB_FLAGS)


def list_manifest_files(request: RenderRequest, opts: dict[str, Any]) -> list[Path]:
    """The candidate files, in Argo CD's walk order, after include/exclude and the size caps."""
    root = request.root
    app = Path(request.path)
    if not app.is_dir():
        raise RenderError(f"{relative_to_root(root, app)}: app path does not exist or is not a directory")
    recurse = bool(opts.get("recurse"))
    include = str(opts.get("include") or "")
    exclude = str(opts.get("exclude") or "")
    max_file = setting_bytes(request.settings, MAX_FILE_KEY, DEFAULT_MAX_FILE_BYTES)
    max_combined = setting_bytes(request.settings, MAX_COMBINED_KEY, DEFAULT_MAX_COMBINED)
    found: list[Path] = []
    total = 0

    def walk(directory: Path) -> None:
        nonlocal total
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            raise RenderError(
                f"{relative_to_root(root, directory)}: cannot list directory: {exc.strerror}"
            ) from None
        for entry in entries:
            full = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if recurse and not entry.name.startswith("."):
                    walk(full)
                continue
            name = entry.name
            if not name.endswith(_EXTS) or name.startswith(".argocd-source"):
                continue
            rel_app = full.relative_to(app).as_posix()
            rel = relative_to_root(root, full)
            if entry.is_symlink():
                target = os.path.realpath(full)
                if not is_within(root, target):
                    raise RenderError(f"{rel}: illegal symlink: it points outside the repository")
                if not os.path.exists(target):
                    continue  # dangling symlink: skipped, like Argo CD
            try:
                st = os.stat(full)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            if exclude and _glob_match(exclude, rel_app):
                continue
            if include and not _glob_match(include, rel_app):
                continue
            if st.st_size > max_file:
                raise RenderError(
                    f"{rel}: file is {st.st_size} bytes, over the {max_file}-byte limit ({MAX_FILE_KEY})"
                )
            if not name.endswith(".jsonnet"):
                total += st.st_size
                if max_combined and total > max_combined:
                    raise RenderError(
                        f"{relative_to_root(root, app)}: manifests total more than {max_combined} bytes "
                        f"({MAX_COMBINED_KEY})"
                    )
            found.append(full)

    walk(app)
    return found


def _looks_like_manifest(text: str) -> bool:
    return "apiVersion:" in text and "kind:" in text and "metadata:" in text


def read_yaml_objects(text: str, rel: str) -> list[tuple[Any, str]]:
    """Objects of one YAML file with Argo CD's tolerance for non-manifest YAML files."""
    try:
        docs = parse_yaml_stream(text, rel)
    except RenderError:
        if _looks_like_manifest(text):
            raise
        return []
    out: list[tuple[Any, str]] = []
    for i, (doc, line) in enumerate(docs):
        if not isinstance(doc, dict) or not doc.get("kind"):
            if i == 0 and not _looks_like_manifest(text):
                return []  # an unrelated YAML file (values, config...)
            what = "a mapping" if not isinstance(doc, dict) else "an object without 'kind'"
            raise RenderError(f"{rel}:{line}: not a Kubernetes object ({what})")
        out.append((doc, f"{rel}:{line}"))
    return out


def read_json_object(text: str, rel: str) -> list[tuple[Any, str]]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            raise RenderError(
                f"{rel}:{exc.lineno}: found multiple objects; a JSON file holds a single object"
            ) from None
        raise RenderError(f"{rel}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise RenderError(f"{rel}:1: a JSON manifest must be an object, got {type(value).__name__}")
    return [(value, rel)]


class DirectoryRenderer:
    name = "directory"

    def detect(self, path: Path) -> bool:
        return Path(path).is_dir()

    def render(self, request: RenderRequest) -> list[Any]:
        opts = request.source.get("directory") or {}
        jsonnet_on = tool_enabled("jsonnet", request.settings)
        out: list[Any] = []
        for file in list_manifest_files(request, opts):
            rel = relative_to_root(request.root, file)
            if file.name.endswith(".jsonnet"):
                if not jsonnet_on:
                    continue
                from kedge.builtin.renderers.jsonnet import evaluate, objects_from_value

                out.extend(objects_from_value(evaluate(request, file, opts.get("jsonnet") or {}), rel))
                continue
            try:
                text = file.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                raise RenderError(f"{rel}: not UTF-8 text") from None
            except OSError as exc:
                raise RenderError(f"{rel}: cannot read: {exc.strerror}") from None
            if file.name.endswith(".json"):
                out.extend(read_json_object(text, rel))
            else:
                out.extend(read_yaml_objects(text, rel))
        return out

    def cache_key(self, request: RenderRequest) -> str:
        return ""


@hookimpl
def kedge_renderers() -> list[Any]:
    return [DirectoryRenderer()]
