"""The applications in name order, re-sorted only after a change (lists and streams read it)."""

from __future__ import annotations

import threading
from typing import Any


class SortedApps:
    def __init__(self, informer: Any) -> None:
        self._informer = informer
        self._lock = threading.Lock()
        self._dirty = True
        self._items: list[dict[str, Any]] = []
        informer.add_handler(self._changed)

    def _changed(self, *_: Any) -> None:
        self._dirty = True

    def items(self) -> list[dict[str, Any]]:
        if self._dirty:
            with self._lock:
                if self._dirty:
                    self._dirty = False
                    self._items = sorted(
                        self._informer.list(), key=lambda a: (a.get("metadata") or {}).get("name", "")
                    )
        return self._items
