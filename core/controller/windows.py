"""Sync windows (``AppProject.spec.syncWindows``), evaluated the way Argo CD evaluates them.

A window is ``{kind: allow|deny, schedule: <cron>, duration: <Go duration>, timeZone,
applications: [globs], namespaces: [globs], clusters: [globs], manualSync, andOperator,
syncOverrun}``. It *matches* an Application when one of its lists matches (the app's name,
``destination.namespace``, ``destination.server`` or ``destination.name``); with
``andOperator: true`` every list the window sets must match. It is *active* from each time the
cron schedule fires (in ``timeZone``, UTC by default) for ``duration``.

Precedence (:func:`can_sync`), over the windows that match the app:

1. no matching windows: syncs are allowed;
2. an active ``deny`` window blocks every sync; a manual sync is let through only if *every*
   active deny window has ``manualSync: true``;
3. otherwise an active ``allow`` window allows the sync;
4. otherwise, if there are matching ``allow`` windows (all inactive now), syncs are blocked; a
   manual sync is let through only if every one of them has ``manualSync: true``;
5. otherwise the sync is allowed.

``syncOverrun`` matters for an operation already running (``started`` given): a deny window
with ``syncOverrun`` that became active *after* the operation started does not stop it, and an
allow window with ``syncOverrun`` that was active when it started keeps allowing it.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from kedge.errors import KedgeError
from kedge.settings.durations import parse_go_duration


class WindowError(KedgeError):
    """A sync window that cannot be evaluated (bad schedule, duration or time zone)."""


@dataclass(frozen=True)
class SyncWindow:
    kind: str
    schedule: str
    duration: str
    applications: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    manual_sync: bool = False
    time_zone: str = ""
    and_operator: bool = False
    sync_overrun: bool = False
    index: int = 0  # position in the project's list (the window's id in `proj windows list`)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], index: int = 0) -> SyncWindow:
        return cls(
            kind=str(raw.get("kind") or ""),
            schedule=str(raw.get("schedule") or ""),
            duration=str(raw.get("duration") or ""),
            applications=tuple(raw.get("applications") or ()),
            namespaces=tuple(raw.get("namespaces") or ()),
            clusters=tuple(raw.get("clusters") or ()),
            manual_sync=bool(raw.get("manualSync")),
            time_zone=str(raw.get("timeZone") or ""),
            and_operator=bool(raw.get("andOperator")),
            sync_overrun=bool(raw.get("syncOverrun")),
            index=index,
        )

    def validate(self) -> None:
        """Raise :class:`WindowError` naming the bad field."""
        where = f"sync window {self.index} ({self.kind} {self.schedule!r})"
        if self.kind not in ("allow", "deny"):
            raise WindowError(f"{where}: kind must be 'allow' or 'deny', got {self.kind!r}")
        if not croniter.is_valid(self.schedule) or len(self.schedule.split()) != 5:
            raise WindowError(f"{where}: cannot parse schedule {self.schedule!r} (a 5-field cron expression)")
        try:
            parse_go_duration(self.duration)
        except (ValueError, KedgeError):
            raise WindowError(f"{where}: cannot parse duration {self.duration!r} (e.g. 1h, 30m)") from None
        self.zone()

    def zone(self) -> ZoneInfo | None:
        if not self.time_zone or self.time_zone == "UTC":
            return None
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise WindowError(
                f"sync window {self.index}: unknown timeZone {self.time_zone!r} (an IANA name like Europe/Berlin)"
            ) from None

    def matches(self, app: dict[str, Any]) -> bool:
        name = (app.get("metadata") or {}).get("name", "")
        dest = (app.get("spec") or {}).get("destination") or {}
        checks: list[bool] = []
        if self.applications:
            checks.append(any(_glob(p, name) for p in self.applications))
        if self.clusters:
            checks.append(
                any(
                    (dest.get("name") and _glob(p, dest["name"]))
                    or (dest.get("server") and _glob(p, dest["server"]))
                    for p in self.clusters
                )
            )
        if self.namespaces:
            checks.append(any(_glob(p, dest.get("namespace") or "") for p in self.namespaces))
        if not checks:
            return False
        return all(checks) if self.and_operator else any(checks)

    def active(self, now: datetime) -> bool:
        """Whether ``now`` (an aware datetime) falls in one of the window's runs."""
        self.validate()
        length = timedelta(seconds=parse_go_duration(self.duration))
        zone = self.zone()
        local = now.astimezone(zone) if zone else now.astimezone(UTC)
        start = croniter(self.schedule, local - length).get_next(datetime)
        return start <= local < start + length if length else False

    def describe(self) -> str:
        """One line naming the window, for messages: ``deny window 0 '0 22 * * *' (1h) ...``."""
        parts = [f"{self.kind} window {self.index} '{self.schedule}' ({self.duration}"]
        if self.time_zone:
            parts[0] += f", {self.time_zone}"
        parts[0] += ")"
        for label, values in (
            ("applications", self.applications),
            ("namespaces", self.namespaces),
            ("clusters", self.clusters),
        ):
            if values:
                parts.append(f"{label}: {','.join(values)}")
        if self.manual_sync:
            parts.append("manual sync allowed")
        return " ".join(parts)


def _glob(pattern: str, value: str) -> bool:
    return pattern == "*" or pattern == value or fnmatch.fnmatchcase(value, pattern)


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def project_windows(project: dict[str, Any] | None) -> list[SyncWindow]:
    raw = ((project or {}).get("spec") or {}).get("syncWindows") or []
    return [SyncWindow.from_dict(w, i) for i, w in enumerate(raw) if isinstance(w, dict)]


def matching_windows(project: dict[str, Any] | None, app: dict[str, Any]) -> list[SyncWindow]:
    return [w for w in project_windows(project) if w.matches(app)]


def active_windows(
    project: dict[str, Any] | None, app: dict[str, Any], now: datetime | None = None
) -> list[SyncWindow]:
    """The project's windows that match ``app`` and are active at ``now`` (default: now)."""
    at = _utc(now)
    return [w for w in matching_windows(project, app) if w.active(at)]


@dataclass(frozen=True)
class WindowDecision:
    allowed: bool
    message: str = ""
    blocking: tuple[SyncWindow, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


def can_sync(
    project: dict[str, Any] | None,
    app: dict[str, Any],
    *,
    manual: bool,
    now: datetime | None = None,
    started: datetime | None = None,
) -> WindowDecision:
    """May ``app`` sync now? ``manual``: the sync was requested by a user (not auto-sync).
    ``started``: when the operation being checked started (enables ``syncOverrun``). The
    decision's ``message`` names the window(s) that block."""
    at = _utc(now)
    windows = matching_windows(project, app)
    if not windows:
        return WindowDecision(True)
    begun = _utc(started) if started is not None else None
    active = [w for w in windows if w.active(at)]
    denies = [w for w in active if w.kind == "deny"]
    if begun is not None:
        # syncOverrun: a deny window that opened after the operation started lets it finish
        denies = [w for w in denies if not (w.sync_overrun and not w.active(begun))]
    if denies:
        if manual and all(w.manual_sync for w in denies):
            return WindowDecision(True)
        return WindowDecision(
            False, "blocked by sync window: " + "; ".join(w.describe() for w in denies), tuple(denies)
        )
    allows_active = [w for w in active if w.kind == "allow"]
    if begun is not None:
        allows_active += [
            w
            for w in windows
            if w.kind == "allow" and w.sync_overrun and w not in allows_active and w.active(begun)
        ]
    if allows_active:
        return WindowDecision(True)
    inactive_allows = [w for w in windows if w.kind == "allow"]
    if inactive_allows:
        if manual and all(w.manual_sync for w in inactive_allows):
            return WindowDecision(True)
        return WindowDecision(
            False,
            "blocked by sync window: no active allow window ("
            + "; ".join(w.describe() for w in inactive_allows)
            + ")",
            tuple(inactive_allows),
        )
    return WindowDecision(True)


def window_rows(project: dict[str, Any] | None, now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per window of the project, for ``proj windows list`` (Argo CD's columns):
    id, status (Active/Inactive, or the validation error), kind, schedule, duration,
    applications, namespaces, clusters, manualSync, timeZone, useAndOperator, syncOverrun."""
    at = _utc(now)
    rows = []
    for w in project_windows(project):
        try:
            status = "Active" if w.active(at) else "Inactive"
        except WindowError as exc:
            status = f"Invalid: {exc}"
        rows.append(
            {
                "id": w.index,
                "status": status,
                "kind": w.kind,
                "schedule": w.schedule,
                "duration": w.duration,
                "applications": list(w.applications),
                "namespaces": list(w.namespaces),
                "clusters": list(w.clusters),
                "manualSync": w.manual_sync,
                "timeZone": w.time_zone or "UTC",
                "useAndOperator": w.and_operator,
                "syncOverrun": w.sync_overrun,
            }
        )
    return rows
