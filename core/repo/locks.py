"""Locks shared by threads *and* processes: a per-key ``threading.Lock`` plus ``flock`` on a file.

Several repo server processes (or ``kedge admin app render`` next to a running server) may share
one cache directory; fetching a mirror or materialising a checkout is done by one of them at a
time.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kedge.repo.errors import RepoTimeoutError

_guard = threading.Lock()
_thread_locks: dict[str, threading.Lock] = {}


def _thread_lock(path: str) -> threading.Lock:
    with _guard:
        lock = _thread_locks.get(path)
        if lock is None:
            lock = _thread_locks[path] = threading.Lock()
        return lock


@contextmanager
def file_lock(path: Path, timeout: float = 300.0, what: str = "cache entry") -> Iterator[None]:
    """Hold an exclusive lock named by ``path`` (created if missing) across threads and processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tlock = _thread_lock(str(path))
    if not tlock.acquire(timeout=timeout):
        raise RepoTimeoutError(f"timed out after {timeout:.0f}s waiting for the lock on {what}")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise RepoTimeoutError(
                            f"timed out after {timeout:.0f}s waiting for another process holding {what}"
                        ) from None
                    time.sleep(0.02)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        tlock.release()
