"""The config-directory loader: every ``*.yaml``/``*.yml``/``*.json`` file, several documents per file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kedge.settings.yamlio import YAMLProblem, load_all

SUFFIXES = (".yaml", ".yml", ".json")


def settings_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files a config directory contributes, sorted (sub-directories included, dot-files skipped)."""
    root = Path(path)
    if root.is_file():
        return [root]
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.endswith(SUFFIXES) and not f.startswith("."):
                out.append(Path(dirpath) / f)
    return sorted(out)


def read_dir(path: str | os.PathLike[str]) -> tuple[list[tuple[str, Any]], list[str]]:
    """``([(source, document)], problems)`` for a config directory; ``source`` is the path relative to it."""
    root = Path(path)
    if not root.exists():
        return [], [f"{root}: no such directory"]
    docs: list[tuple[str, Any]] = []
    problems: list[str] = []
    for file in settings_files(root):
        rel = str(file.relative_to(root)) if root.is_dir() else file.name
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{rel}: cannot read: {exc}")
            continue
        try:
            found = load_all(text)
        except YAMLProblem as exc:
            problems.append(f"{rel}: invalid YAML: {exc}")
            continue
        for doc in found:
            if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
                docs += [(rel, item) for item in doc["items"]]
            else:
                docs.append((rel, doc))
    return docs, problems


def snapshot(path: str | os.PathLike[str]) -> dict[str, tuple[int, int, int]]:
    """``{file: (mtime_ns, size, inode)}`` for change detection (an atomic rename changes the inode)."""
    out = {}
    for f in settings_files(path):
        try:
            st = f.stat()
        except OSError:
            continue
        out[str(f)] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return out
