"""Failed-login rate limiting (Argo CD's defaults: 5 failures per user in a 300 s window; the
cache of tracked users is bounded)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class LoginRateLimiter:
    def __init__(
        self,
        max_failures: int = 5,
        window: float = 300.0,
        max_entries: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_entries = max_entries
        self._clock = clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, username: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(username, []) if now - t < self.window]
        if times:
            self._failures[username] = times
        else:
            self._failures.pop(username, None)
        return times

    def retry_after(self, username: str) -> float:
        """Seconds until ``username`` may try again; 0 when allowed now."""
        with self._lock:
            now = self._clock()
            times = self._recent(username, now)
            if len(times) < self.max_failures:
                return 0.0
            return max(0.0, self.window - (now - times[-self.max_failures]))

    def failed(self, username: str) -> None:
        with self._lock:
            now = self._clock()
            times = self._recent(username, now)
            times.append(now)
            self._failures[username] = times
            self._failures.move_to_end(username)
            while len(self._failures) > self.max_entries:
                self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)
