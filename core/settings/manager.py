"""Holding the current settings, swapping them atomically, and telling subscribers.

A loader (the config-directory watcher here; a management-cluster watcher later) calls
:meth:`SettingsManager.update` with ConfigMap/Secret dicts. Invalid new content never replaces
good settings: the old snapshot stays, and the problem is kept in :attr:`SettingsManager.last_error`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from kedge.settings.directory import read_dir, snapshot
from kedge.settings.snapshot import Settings, SettingsError

log = logging.getLogger(__name__)

Callback = Callable[[Settings, Settings], None]


class SettingsManager:
    """The process's settings: ``current``, ``update(...)``, ``subscribe(callback)``."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._current = settings if settings is not None else Settings()
        self._subscribers: list[Callback] = []
        self._lock = threading.Lock()
        self.last_error: SettingsError | None = None
        self.generation = 0

    @property
    def current(self) -> Settings:
        return self._current

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(old, new)`` after every successful change; returns an unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def update_sourced(self, docs: Iterable[tuple[str, Any]], problems: Iterable[str] = ()) -> Settings:
        """Replace the settings with new ``(source, dict)`` documents; raises :class:`SettingsError` and keeps the old."""
        problems = list(problems)
        new = Settings.from_sourced(docs)
        if problems or new.errors:
            err = SettingsError(problems + [m for _, m in new.errors])
            self.last_error = err
            log.error("settings not reloaded, keeping the previous ones: %s", err)
            raise err
        with self._lock:
            old, self._current = self._current, new
            self.generation += 1
            subscribers = list(self._subscribers)
        self.last_error = None
        for w in new.warnings:
            log.warning("settings: %s", w)
        for cb in subscribers:
            try:
                cb(old, new)
            except Exception:  # noqa: BLE001 - one broken subscriber must not stop the others
                log.exception("settings subscriber %r failed", cb)
        return new

    def update(self, docs: Iterable[dict[str, Any]], source: str = "") -> Settings:
        """Replace the settings with new ConfigMap/Secret dicts (the loader contract)."""
        return self.update_sourced((source, d) for d in docs)

    def load_dir(self, path: str | os.PathLike[str]) -> Settings:
        """Load a config directory (raises :class:`SettingsError` on invalid content)."""
        docs, problems = read_dir(path)
        return self.update_sourced(docs, problems)


def load_dir(path: str | os.PathLike[str]) -> Settings:
    """A :class:`Settings` snapshot from a config directory, errors included (it never raises)."""
    docs, problems = read_dir(path)
    s = Settings.from_sourced(docs)
    if problems:
        s.errors[:0] = [("general", p) for p in problems]
    return s


class DirectoryWatcher:
    """Polls a config directory's file mtimes/sizes and reloads the manager when they change.

    ``interval`` is clamped to [0.05, 60] seconds. Use :meth:`poll` from your own loop, or
    :meth:`start` / :meth:`stop` for a daemon thread.
    """

    MIN_INTERVAL = 0.05
    MAX_INTERVAL = 60.0

    def __init__(self, manager: SettingsManager, path: str | os.PathLike[str], interval: float = 2.0) -> None:
        self.manager = manager
        self.path = path
        self.interval = min(max(float(interval), self.MIN_INTERVAL), self.MAX_INTERVAL)
        self._seen: dict[str, tuple[int, int, int]] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> bool:
        """Reload if anything changed; True when new settings were applied."""
        snap = snapshot(self.path)
        if snap == self._seen:
            return False
        self._seen = snap
        try:
            self.manager.load_dir(self.path)
        except SettingsError:
            return False
        return True

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kedge-settings-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - keep watching whatever happens
                log.exception("settings watcher poll failed")
            self._stop.wait(self.interval)
