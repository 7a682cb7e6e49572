"""Clocks for the simulator. Controllers read time only through a :class:`Clock`, so tests
can drive CronJob schedules, progress deadlines and pod start-up delays with a
:class:`ManualClock` instead of sleeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Current time, epoch seconds."""
        ...

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the time jumps (manual clocks); real clocks ignore it."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> float:
        return time.time()

    def add_listener(self, callback: Callable[[], None]) -> None:
        return None


class ManualClock:
    """A clock that only moves when told to: ``clock.advance(60)`` jumps a minute ahead and
    wakes the simulator's timers at once. Starts at ``start`` (default: the current time)."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
            listeners = list(self._listeners)
        for cb in listeners:
            cb()

    def set(self, when: float) -> None:
        with self._lock:
            self._now = float(when)
            listeners = list(self._listeners)
        for cb in listeners:
            cb()

    def add_listener(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(callback)
