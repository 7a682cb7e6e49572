"""A de-duplicating work queue with delayed adds, as controllers use.

A key is never processed by two workers at once; a key added while it is being processed is
processed again afterwards. ``add_after`` schedules an add (resyncs, debounced refreshes); a
``debounce`` add is dropped when the key is added right away or starts being processed meanwhile
(that processing sees every change the debounce was waiting for), a timer add (a back-off, a
window) is not. A debounce is never held back by a later timer.
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
        self._delayed: list[tuple[float, int, K]] = []  # heap of (due, seq, key)
        #: the pending delayed adds of each key: seq -> (due, is a debounce); a heap entry whose
        #: seq is no longer here was superseded and is skipped
        self._pending: dict[K, dict[int, tuple[float, bool]]] = {}
        self._seq = 0
        self._cond = threading.Condition()
        self._shutdown = False
        self.added_at: dict[K, float] = {}

    def _drop_debounces(self, key: K) -> None:
        pend = self._pending.get(key)
        if pend:
            for seq in [s for s, (_, debounce) in pend.items() if debounce]:
                del pend[seq]
            if not pend:
                del self._pending[key]

    def add(self, key: K) -> None:
        with self._cond:
            self._drop_debounces(key)
            if self._shutdown or key in self._dirty:
                return
            self._dirty.add(key)
            self.added_at.setdefault(key, time.monotonic())
            if key not in self._processing:
                self._queue.append(key)
                self._cond.notify()

    def add_after(self, key: K, delay: float, debounce: bool = False) -> None:
        """Add ``key`` after ``delay`` seconds. A key that already has an add pending at that
        time or earlier (or is already queued) is not scheduled again: a burst of changes makes
        one reconcile. ``debounce``: the add only collects changes (see the module's docstring).
        """
        if delay <= 0:
            self.add(key)
            return
        with self._cond:
            if self._shutdown or (key in self._dirty and key not in self._processing):
                return
            due = time.monotonic() + delay
            pend = self._pending.setdefault(key, {})
            earlier = [s for s, (d, _) in pend.items() if d <= due]
            if earlier:
                if not debounce:  # a timer sharing an earlier debounce: no longer cancellable
                    for s in earlier:
                        pend[s] = (pend[s][0], False)
                return
            self._seq += 1
            pend[self._seq] = (due, debounce)
            heapq.heappush(self._delayed, (due, self._seq, key))
            self._cond.notify()

    def _promote(self) -> float | None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            _, seq, key = heapq.heappop(self._delayed)
            pend = self._pending.get(key)
            if not pend or seq not in pend:
                continue  # superseded
            del pend[seq]
            if not pend:
                del self._pending[key]
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
                    self._drop_debounces(key)  # this processing sees every change so far
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
