"""A de-duplicating work queue with delayed adds, as controllers use.

A key is never processed by two workers at once; a key added while it is being processed is
processed again afterwards. ``add_after`` schedules an add (resyncs, debounced refreshes).
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
        self._due: dict[K, float] = {}  # earliest pending delayed add per key
        self._seq = 0
        self._cond = threading.Condition()
        self._shutdown = False
        self.added_at: dict[K, float] = {}

    def add(self, key: K) -> None:
        with self._cond:
            if self._shutdown or key in self._dirty:
                return
            self._dirty.add(key)
            self.added_at.setdefault(key, time.monotonic())
            if key not in self._processing:
                self._queue.append(key)
                self._cond.notify()

    def add_after(self, key: K, delay: float) -> None:
        """Add ``key`` after ``delay`` seconds. A key that already has a delayed add pending (or
        is already queued) is not scheduled again: a burst of changes makes one reconcile."""
        if delay <= 0:
            self.add(key)
            return
        with self._cond:
            if key in self._due or (key in self._dirty and key not in self._processing):
                return
            due = time.monotonic() + delay
            self._due[key] = due
            self._seq += 1
            heapq.heappush(self._delayed, (due, self._seq, key))
            self._cond.notify()

    def _promote(self) -> float | None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, key = heapq.heappop(self._delayed)
            self._due.pop(key, None)
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
