"""A de-duplicating work queue with delayed adds, as controllers use.

A key is never processed by two workers at once; a key added while it is being processed is
processed again afterwards. ``add_after`` schedules an add (resyncs, debounced refreshes); a
``debounce`` add is dropped when the key is added right away meanwhile (that processing sees
every change the debounce was waiting for), a timer add (a back-off, a window) is not.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import deque
from typing import Generic, TypeVar

K = TypeVar("K")


class WorkQueue(Generic[K]):
    def __init__(self) -> None:
        self._queue: deque[K] = deque()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._delayed: list[tuple[float, int, K]] = []
        self._due: dict[K, tuple[float, int]] = {}  # the pending delayed add per key: (due, seq)
        self._debounce: set[K] = set()  # keys whose pending delayed add is a debounce
        self._seq = 0
        self._cond = threading.Condition()
        self._shutdown = False
        self.added_at: dict[K, float] = {}

    def add(self, key: K) -> None:
        with self._cond:
            if key in self._debounce:  # superseded: its heap entry is skipped when due
                self._debounce.discard(key)
                self._due.pop(key, None)
            if self._shutdown or key in self._dirty:
                return
            self._dirty.add(key)
            self.added_at.setdefault(key, time.monotonic())
            if key not in self._processing:
                self._queue.append(key)
                self._cond.notify()

    def add_after(self, key: K, delay: float, debounce: bool = False) -> None:
        """Add ``key`` after ``delay`` seconds. A key that already has a delayed add pending (or
        is already queued) is not scheduled again: a burst of changes makes one reconcile.
        ``debounce``: the add only collects changes (see the module's docstring)."""
        if delay <= 0:
            self.add(key)
            return
        with self._cond:
            if key in self._due:
                if not debounce:
                    self._debounce.discard(key)  # a timer now shares the pending add
                return
            if key in self._dirty and key not in self._processing:
                return
            due = time.monotonic() + delay
            self._seq += 1
            self._due[key] = (due, self._seq)
            if debounce:
                self._debounce.add(key)
            heapq.heappush(self._delayed, (due, self._seq, key))
            self._cond.notify()

    def _promote(self) -> float | None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            _, seq, key = heapq.heappop(self._delayed)
            pending = self._due.get(key)
            if pending is None or pending[1] != seq:
                continue  # superseded by an immediate add
            del self._due[key]
            self._debounce.discard(key)
            if key not in self._dirty:
                self._dirty.add(key)
                self.added_at.setdefault(key, now)
                if key not in self._processing:
                    self._queue.append(key)
        return self._delayed[0][0] - now if self._delayed else None

    def get(self, timeout: float | None = None) -> K | None:
        """The next key (mark it done with :meth:`done`), or None on shutdown/timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                wait = self._promote()
                if self._queue:
                    key = self._queue.popleft()
                    self._dirty.discard(key)
                    self._processing.add(key)
                    return key
                if self._shutdown:
                    return None
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(wait)

    def done(self, key: K) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._queue.append(key)
                self._cond.notify()
            else:
                self.added_at.pop(key, None)

    def latency(self, key: K) -> float:
        """Seconds since ``key`` was first added and not yet finished."""
        t = self.added_at.get(key)
        return time.monotonic() - t if t is not None else 0.0

    def shutdown(self) -> None:
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)
