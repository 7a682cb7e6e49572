"""Building an Application's status from a comparison, and the minimal patch to write it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kedge.controller.compare import CompareResult

#: status fields the comparison owns; everything else (operationState, history...) is left alone
COMPARISON_FIELDS = (
    "sync",
    "health",
    "resources",
    "conditions",
    "summary",
    "sourceType",
    "sourceTypes",
    "reconciledAt",
    "observedAt",
    "controllerNamespace",
)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_conditions(
    previous: list[dict[str, Any]] | None, current: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """Keep ``lastTransitionTime`` of conditions that did not change."""
    prev = {(c.get("type"), c.get("message")): c.get("lastTransitionTime") for c in previous or []}
    out = []
    seen = set()
    for c in current:
        key = (c["type"], c["message"])
        if key in seen:
            continue
        seen.add(key)
        out.append({**c, "lastTransitionTime": prev.get(key) or now_iso()})
    return out


def comparison_status(
    app: dict[str, Any],
    result: CompareResult | None,
    revisions: list[str],
    source_types: list[str],
    conditions: list[dict[str, str]],
    namespace: str,
) -> dict[str, Any]:
    """The comparison-owned part of ``status``. ``result`` None means the comparison failed
    (sync Unknown; resources and health keep their previous values)."""
    spec = app.get("spec") or {}
    old = app.get("status") or {}
    compared: dict[str, Any] = {"destination": spec.get("destination") or {}}
    multi = bool(spec.get("sources"))
    if multi:
        compared["sources"] = spec.get("sources")
    else:
        compared["source"] = spec.get("source") or {}
    if spec.get("ignoreDifferences"):
        compared["ignoreDifferences"] = spec["ignoreDifferences"]
    sync: dict[str, Any] = {"status": result.sync_status if result else "Unknown", "comparedTo": compared}
    if revisions:
        if multi:
            sync["revisions"] = revisions
        else:
            sync["revision"] = revisions[0]
    status: dict[str, Any] = {
        "sync": sync,
        "health": result.health if result else (old.get("health") or {"status": "Unknown"}),
        "resources": [r.status_entry() for r in result.resources] if result else old.get("resources") or [],
        "conditions": merge_conditions(
            old.get("conditions"), conditions + (result.conditions if result else [])
        ),
        "summary": result.summary if result else old.get("summary") or {},
        "reconciledAt": now_iso(),
        "controllerNamespace": namespace,
    }
    if source_types:
        if multi:
            status["sourceTypes"] = source_types
        else:
            status["sourceType"] = source_types[0] or "Directory"
    return status


def _stable(status: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in status.items() if k not in ("reconciledAt", "observedAt")}


def status_patch(
    old_status: dict[str, Any] | None, new: dict[str, Any], max_age: float | None = None
) -> dict | None:
    """A merge patch of ``status`` that turns ``old`` into ``new`` for the comparison fields, or
    None when nothing but timestamps changed (and ``reconciledAt`` is younger than ``max_age``)."""
    old_status = old_status or {}
    old_part = {k: old_status[k] for k in COMPARISON_FIELDS if k in old_status}
    if _stable(old_part) == _stable(new):
        if max_age is None or not old_part.get("reconciledAt"):
            return None
        try:
            then = datetime.strptime(old_part["reconciledAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            then = None
        if then is not None and (datetime.now(UTC) - then).total_seconds() < max_age:
            return None
    patch: dict[str, Any] = {}
    for k in COMPARISON_FIELDS:
        if k in new:
            if old_part.get(k) != new[k]:
                patch[k] = new[k]
        elif k in old_part:
            patch[k] = None
    return patch or None
