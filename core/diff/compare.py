"""Compare one desired object with its live counterpart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kedge.diff import textdiff
from kedge.diff.ignore import IgnoreRule, apply_rules
from kedge.diff.normalize import mask_secrets, strip_server_fields
from kedge.diff.predict import DEFAULT_MANAGER, predict
from kedge.jsoncopy import deep_copy


@dataclass
class Change:
    """One differing field: ``path`` is a JSON pointer."""

    path: str
    op: str  # "add" | "remove" | "replace"
    live: Any = None
    target: Any = None


@dataclass
class ResourceDiff:
    """The comparison of one resource.

    ``live`` and ``target`` are the normalised documents to show side by side (Secret values
    masked); ``target`` is the live object as it would be after the apply.
    """

    modified: bool
    live: dict[str, Any] | None
    target: dict[str, Any] | None
    changes: list[Change] = field(default_factory=list)

    def unified(self, color: bool = False, live_label: str = "live", target_label: str = "desired") -> str:
        return textdiff.unified(self.live, self.target, live_label, target_label, color=color)


def _pointer_token(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _named(items: list[Any]) -> bool:
    names = [i.get("name") for i in items if isinstance(i, dict)]
    return (
        len(names) == len(items) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)
    )


def changes(live: Any, target: Any, path: str = "") -> list[Change]:
    """Field-level differences between two JSON-like documents."""
    if isinstance(live, dict) and isinstance(target, dict):
        out: list[Change] = []
        for k in sorted(set(live) | set(target), key=str):
            p = f"{path}/{_pointer_token(k)}"
            if k not in target:
                out.append(Change(p, "remove", live[k], None))
            elif k not in live:
                out.append(Change(p, "add", None, target[k]))
            else:
                out.extend(changes(live[k], target[k], p))
        return out
    if isinstance(live, list) and isinstance(target, list) and _named(live) and _named(target):
        # lists of named items (containers, env, volumes...): pair by name, not position
        out = []
        live_idx = {item["name"]: i for i, item in enumerate(live)}
        target_names = {item["name"] for item in target}
        for i, item in enumerate(live):
            if item["name"] not in target_names:
                out.append(Change(f"{path}/{i}", "remove", item, None))
        for j, item in enumerate(target):
            i = live_idx.get(item["name"])
            if i is None:
                out.append(Change(f"{path}/{j}", "add", None, item))
            else:
                out.extend(changes(live[i], item, f"{path}/{j}"))
        return out
    if isinstance(live, list) and isinstance(target, list) and len(live) == len(target):
        out = []
        for i, (a, b) in enumerate(zip(live, target, strict=True)):
            out.extend(changes(a, b, f"{path}/{i}"))
        return out
    if live == target and type(live) is type(target):
        return []
    if isinstance(live, int | float) and isinstance(target, int | float) and live == target:
        return []
    return [Change(path or "/", "replace", live, target)]


def compare(
    desired: dict[str, Any] | None,
    live: dict[str, Any] | None,
    rules: Iterable[IgnoreRule] = (),
    manager: str = DEFAULT_MANAGER,
    ignore_status: bool = True,
    jq_timeout: float = 1.0,
    predicted: dict[str, Any] | None = None,
) -> ResourceDiff:
    """Compare ``desired`` (from Git) with ``live`` (from the cluster).

    ``rules`` are the ignoreDifferences rules matching this resource. Neither input is
    modified. ``desired is None`` means the resource is extraneous (a prune candidate);
    ``live is None`` means it is missing. ``predicted`` replaces the local prediction with the
    API server's own (the result of a dry-run server-side apply: server-side diff).
    """
    rules = list(rules)
    if predicted is not None:
        target = deep_copy(predicted)
    else:
        target = predict(live, desired, manager) if desired is not None else None
    live_n = deep_copy(live)
    if ignore_status and target is not None and live_n is not None and "status" in live_n:
        target["status"] = live_n["status"]
    live_n = apply_rules(live_n, rules, live, jq_timeout)
    target = apply_rules(target, rules, live, jq_timeout)
    for obj in (live_n, target):
        if obj is not None:
            strip_server_fields(obj, drop_status=ignore_status)
    mask_secrets(live_n, target)
    if live_n is None or target is None:
        return ResourceDiff(True, live_n, target, [])
    found = changes(live_n, target)
    return ResourceDiff(bool(found), live_n, target, found)
