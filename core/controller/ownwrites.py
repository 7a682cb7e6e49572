"""The controller's own writes of Applications that its informer has not delivered yet.

A write's answer is the newest copy of the app there is; the informer's copy catches up a
moment later. Until it does, whoever wrote must not trust the informer's copy alone (a status
diffed against it could skip a needed write; an operation could be run twice).
:class:`OwnWrites` keeps each app's last answer until the informer delivers that version (or a
time limit passes), and remembers the versions the informer delivered recently, so that an
answer the informer has already passed is never kept.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

TTL = 30.0  # seconds an answer waits to be delivered before it is dropped
HISTORY = 8  # resourceVersions remembered per app from the informer


class OwnWrites:
    """Thread-safe; one per writer (the status processors, the operation runner)."""

    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._pending: dict[str, tuple[str, dict[str, Any], float]] = {}
        self._seen: dict[str, deque[str]] = {}
        self._lock = threading.Lock()

    def observed(self, name: str, rv: str) -> None:
        """The informer delivered version ``rv`` of app ``name``."""
        with self._lock:
            seen = self._seen.get(name)
            if seen is None:
                seen = self._seen[name] = deque(maxlen=HISTORY)
            seen.append(rv)
            pending = self._pending.get(name)
            if pending is not None and pending[0] == rv:
                del self._pending[name]

    def forget(self, name: str) -> None:
        """The app was deleted."""
        with self._lock:
            self._pending.pop(name, None)
            self._seen.pop(name, None)

    def wrote(self, name: str, answer: Any) -> None:
        """Keep a write's answer, unless the informer has delivered that version already."""
        rv = (
            ((answer or {}).get("metadata") or {}).get("resourceVersion")
            if isinstance(answer, dict)
            else None
        )
        if not rv:
            return
        with self._lock:
            if rv in (self._seen.get(name) or ()):
                self._pending.pop(name, None)
            else:
                self._pending[name] = (rv, answer, time.monotonic())

    def pending(self, name: str) -> dict[str, Any] | None:
        """The answer of our last write of ``name`` the informer has not delivered yet."""
        with self._lock:
            item = self._pending.get(name)
            if item is None:
                return None
            if time.monotonic() - item[2] > self.ttl:
                del self._pending[name]
                return None
            return item[1]
