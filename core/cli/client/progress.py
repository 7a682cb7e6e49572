"""Waiting for an application (``kedge app wait``, ``app sync``, ``app rollback``) with a live view.

On a terminal the view is a small table redrawn in place (rich): the operation phase and, per
resource, its sync wave, kind/name, sync status, health and the last message. When stdout is not
a terminal, one line is printed per change (like ``argocd app sync``), so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

import click

from kedge.cli.client.base import COMPLETED_PHASES, Backend
from kedge.errors import KedgeError

POLL_INTERVAL = 0.5
SETTLE_TIMEOUT = 10.0


@dataclass
class WaitFor:
    operation: bool = False
    health: bool = False
    sync: bool = False
    suspended: bool = False
    degraded: bool = False


def _rows(app: dict[str, Any]) -> list[tuple[str, ...]]:
    st = app.get("status") or {}
    results = ((st.get("operationState") or {}).get("syncResult") or {}).get("resources") or []
    by_key = {(r.get("group", ""), r.get("kind"), r.get("namespace", ""), r.get("name")): r for r in results}
    rows = []
    seen = set()
    for r in st.get("resources") or []:
        key = (r.get("group", ""), r.get("kind"), r.get("namespace", ""), r.get("name"))
        seen.add(key)
        res = by_key.get(key) or {}
        rows.append(
            (
                str(r.get("syncWave", 0)),
                key[0],
                key[1],
                key[2],
                key[3],
                r.get("status", ""),
                (r.get("health") or {}).get("status", ""),
                res.get("hookType", ""),
                res.get("message", ""),
            )
        )
    for key, res in by_key.items():
        if key not in seen:
            rows.append(
                (
                    "",
                    key[0],
                    key[1],
                    key[2],
                    key[3],
                    res.get("hookPhase") or res.get("status", ""),
                    "",
                    res.get("hookType", ""),
                    res.get("message", ""),
                )
            )
    return sorted(rows, key=lambda r: (int(r[0]) if r[0].lstrip("-").isdigit() else 0, r[2], r[4]))


def _done(app: dict[str, Any], want: WaitFor, since: str | None) -> bool:
    st = app.get("status") or {}
    if want.operation:
        if app.get("operation"):
            return False
        op = st.get("operationState") or {}
        if op.get("phase") not in COMPLETED_PHASES:
            return False
        if since and (op.get("startedAt") or "") < since:
            return False
    health = (st.get("health") or {}).get("status")
    if want.health and health != "Healthy":
        return False
    if want.suspended and health != "Suspended":
        return False
    if want.degraded and health != "Degraded":
        return False
    if want.sync and (st.get("sync") or {}).get("status") != "Synced":
        return False
    return True


def _compared_after_operation(app: dict[str, Any]) -> bool:
    st = app.get("status") or {}
    finished = (st.get("operationState") or {}).get("finishedAt") or ""
    return not finished or (st.get("reconciledAt") or "") >= finished


def _header(app: dict[str, Any]) -> str:
    st = app.get("status") or {}
    op = st.get("operationState") or {}
    phase = op.get("phase") or ("Pending" if app.get("operation") else "")
    parts = [f"{app['metadata']['name']}:"]
    if phase:
        parts.append(f"operation {phase}")
        if op.get("message"):
            parts.append(f"({op['message']})")
    parts.append(f"sync {(st.get('sync') or {}).get('status', 'Unknown')}")
    parts.append(f"health {(st.get('health') or {}).get('status', 'Unknown')}")
    return "  ".join(parts)


def wait_app(
    b: Backend,
    name: str,
    want: WaitFor,
    timeout: float = 0,
    since: str | None = None,
    live: bool | None = None,
) -> dict[str, Any]:
    """Poll until ``want`` holds; returns the app. ``timeout`` 0 waits forever.

    Raises KedgeError on timeout; a failed operation sets ``app["_failed"]``."""
    deadline = time.monotonic() + timeout if timeout else None
    interactive = sys.stdout.isatty() if live is None else live
    view = _LiveView(name) if interactive else _LineView()
    try:
        while True:
            app = b.get_app(name)
            view.update(app)
            if _done(app, want, since):
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise KedgeError(f"timed out ({int(timeout)}s) waiting for app {name!r} match desired state")
            time.sleep(POLL_INTERVAL)
        # the controller compares again right after an operation; show that fresh status
        settle = time.monotonic() + SETTLE_TIMEOUT
        while want.operation and not _compared_after_operation(app) and time.monotonic() < settle:
            time.sleep(POLL_INTERVAL / 2)
            app = b.get_app(name)
            view.update(app)
    finally:
        view.close()
    if want.operation:
        op = (app.get("status") or {}).get("operationState") or {}
        if op.get("phase") in ("Failed", "Error"):
            app["_failed"] = True
    return app


class _LineView:
    """One line per resource change (non-interactive output)."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.header = ""
        self.printed_header = False

    def update(self, app: dict[str, Any]) -> None:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        for row in _rows(app):
            key = row[1:5]
            if self.last.get(key) != row:
                self.last[key] = row
                if not self.printed_header:
                    click.echo(
                        f"{'TIMESTAMP':<25} {'GROUP':<12} {'KIND':<22} {'NAMESPACE':<16} {'NAME':<30} "
                        f"{'STATUS':<10} {'HEALTH':<12} {'HOOK':<8} MESSAGE"
                    )
                    self.printed_header = True
                click.echo(
                    f"{ts:<25} {row[1]:<12} {row[2]:<22} {row[3]:<16} {row[4]:<30} {row[5]:<10} "
                    f"{row[6]:<12} {row[7]:<8} {row[8]}".rstrip()
                )

    def close(self) -> None:
        pass


class _LiveView:
    """A rich table redrawn in place."""

    def __init__(self, name: str) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console()
        self.live = Live(console=self.console, refresh_per_second=4, transient=False)
        self.live.start()

    def update(self, app: dict[str, Any]) -> None:
        from rich.markup import escape
        from rich.table import Table

        table = Table(
            title=escape(_header(app)), title_justify="left", box=None, header_style="bold", pad_edge=False
        )
        for col in ("WAVE", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"):
            table.add_column(col, overflow="fold" if col == "MESSAGE" else "ellipsis")
        colours = {
            "Synced": "green",
            "OutOfSync": "yellow",
            "Healthy": "green",
            "Progressing": "cyan",
            "Degraded": "red",
            "Missing": "yellow",
            "SyncFailed": "red",
            "Running": "cyan",
            "Succeeded": "green",
            "Failed": "red",
        }
        for r in _rows(app):
            cells = [
                escape(c)
                for c in (r[0], f"{r[1] + '/' if r[1] else ''}{r[2]}", r[3], r[4], r[5], r[6], r[7], r[8])
            ]
            for i in (4, 5):
                if cells[i] in colours:
                    cells[i] = f"[{colours[cells[i]]}]{cells[i]}[/]"
            table.add_row(*cells)
        self.live.update(table)

    def close(self) -> None:
        self.live.stop()
