"""A work queue keyed by object, as client-go's: a key queued while it is being processed is
processed again afterwards (never twice at once); duplicates collapse; failed keys come back
after a bounded exponential back-off. Plus a timer heap for "look at this key again at time T"
(pod start-up delays, progress deadlines, cron schedules) driven by a :class:`Clock`."""

from __future__ import annotations

import heapq
import threading
from collections import deque
from collections.abc import Callable, Hashable

from kedge.localcluster.simulator.clock import Clock


class WorkQueue:
    """Thread-safe de-duplicating FIFO of keys."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: deque[Hashable] = deque()
        self._dirty: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._shutdown = False

    def add(self, key: Hashable) -> None:
        with self._cond:
            if self._shutdown or key in self._dirty:
                return
            self._dirty.add(key)
            if key in self._processing:
                return  # re-queued by done()
            self._queue.append(key)
            self._cond.notify()

    def get(self) -> Hashable | None:
        """Block until a key is available; None after :meth:`shutdown`."""
        with self._cond:
            while not self._queue and not self._shutdown:
                self._cond.wait()
            if self._shutdown:
                return None
            key = self._queue.popleft()
            self._dirty.discard(key)
            self._processing.add(key)
            return key

    def done(self, key: Hashable) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._queue.append(key)
                self._cond.notify()
            elif not self._queue and not self._processing:
                self._cond.notify_all()

    def shutdown(self) -> None:
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()

    def idle(self) -> bool:
        with self._cond:
            return not self._queue and not self._processing

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)


class TimerQueue:
    """Calls ``fire(key)`` when the clock reaches a key's deadline. One thread, sleeping until
    the earliest deadline (or until a manual clock jumps); one pending deadline per key (the
    earliest wins), so the heap stays bounded by the number of keys."""

    def __init__(self, clock: Clock, fire: Callable[[Hashable], None], max_sleep: float = 60.0) -> None:
        self._clock = clock
        self._fire = fire
        self._max_sleep = max_sleep
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Hashable]] = []
        self._due: dict[Hashable, float] = {}
        self._seq = 0
        self._stopped = False
        self._thread: threading.Thread | None = None
        clock.add_listener(self.wake)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kedge-sim-timers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def add_at(self, key: Hashable, when: float) -> None:
        with self._cond:
            current = self._due.get(key)
            if current is not None and current <= when:
                return
            self._due[key] = when
            self._seq += 1
            heapq.heappush(self._heap, (when, self._seq, key))
            if self._heap[0][2] == key:
                self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._due)

    def next_due(self) -> float | None:
        with self._cond:
            return min(self._due.values()) if self._due else None

    def _run(self) -> None:
        while True:
            fired: list[Hashable] = []
            with self._cond:
                if self._stopped:
                    return
                now = self._clock.now()
                while self._heap and self._heap[0][0] <= now:
                    when, _, key = heapq.heappop(self._heap)
                    if self._due.get(key) == when:
                        del self._due[key]
                        fired.append(key)
                if not fired:
                    timeout = self._max_sleep
                    if self._heap:
                        timeout = min(timeout, max(self._heap[0][0] - now, 0.001))
                    self._cond.wait(timeout)
                    continue
            for key in fired:
                self._fire(key)
