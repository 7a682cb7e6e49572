"""Unified text diffs of Kubernetes objects, optionally coloured."""

from __future__ import annotations

import difflib
from typing import Any

import yaml

RED, GREEN, CYAN, RESET = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[0m"


def to_yaml(obj: dict[str, Any] | None) -> str:
    if obj is None:
        return ""
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False)


def unified(
    live: dict[str, Any] | None,
    target: dict[str, Any] | None,
    live_label: str = "live",
    target_label: str = "desired",
    color: bool = False,
    context: int = 3,
) -> str:
    """A ``diff -u`` style text of live -> target, empty when they are equal."""
    a = to_yaml(live).splitlines(keepends=True)
    b = to_yaml(target).splitlines(keepends=True)
    lines = list(difflib.unified_diff(a, b, live_label, target_label, n=context))
    if not color:
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    out = []
    for line in lines:
        text = line.rstrip("\n")
        if line.startswith(("+++", "---")):
            out.append(text)
        elif line.startswith("+"):
            out.append(GREEN + text + RESET)
        elif line.startswith("-"):
            out.append(RED + text + RESET)
        elif line.startswith("@@"):
            out.append(CYAN + text + RESET)
        else:
            out.append(text)
    return "\n".join(out) + ("\n" if out else "")
