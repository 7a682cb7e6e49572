"""The manifest cache: compact JSON values, in-process LRU bounded by bytes or Redis, single-flight.

Values are stored as compact JSON bytes (never YAML: parsing YAML is ~35x slower). Two backends:

* :class:`MemoryBackend` (default): an LRU bounded by the total size of keys and values.
* :class:`RedisBackend` (``redis`` configured): shared by every repo server replica; every call
  has socket timeouts, and a Redis outage degrades to "no cache" with a warning instead of
  failing manifest generation.

:meth:`ManifestCache.single_flight` makes N concurrent requests for the same key run the work
once: the others wait and receive the same result or the same error. Errors are never cached.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import orjson

log = logging.getLogger(__name__)

T = TypeVar("T")
_ENTRY_OVERHEAD = 96  # rough per-entry bookkeeping bytes, counted against the budget


class CacheBackend(Protocol):
    """Where cached bytes live."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl: float) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryBackend:
    """A thread-safe LRU of bytes values bounded by ``max_bytes`` (keys + values + overhead)."""

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._data: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _cost(key: str, value: bytes) -> int:
        return len(key) + len(value) + _ENTRY_OVERHEAD

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            value, expires = item
            if expires and expires < time.monotonic():
                self._bytes -= self._cost(key, value)
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl: float = 0) -> None:
        cost = self._cost(key, value)
        if cost > self.max_bytes:
            return  # larger than the whole cache: never stored
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= self._cost(key, old[0])
            self._data[key] = (value, time.monotonic() + ttl if ttl else 0.0)
            self._bytes += cost
            while self._bytes > self.max_bytes and self._data:
                k, (v, _) = self._data.popitem(last=False)
                self._bytes -= self._cost(k, v)

    def delete(self, key: str) -> None:
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= self._cost(key, old[0])

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._data)


class RedisBackend:
    """Redis (``host:port``, ``redis://...`` or ``unix:///path/redis.sock``) with socket timeouts."""

    def __init__(
        self, address: str, *, prefix: str = "kedge|", timeout: float = 2.0, password: str | None = None
    ):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        opts = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "password": password,
            "retry": Retry(NoBackoff(), 1),  # one quick retry, then degrade
        }
        if address.startswith(("redis://", "rediss://", "unix://")):
            self.client = redis.Redis.from_url(address, **opts)
        else:
            host, _, port = address.rpartition(":")
            self.client = redis.Redis(host=host or "127.0.0.1", port=int(port or 6379), **opts)
        self.prefix = prefix
        self.address = address
        self._warned = 0.0
        self._down_until = 0.0

    def _up(self) -> bool:
        return time.monotonic() >= self._down_until

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        self._down_until = now + 5.0  # skip Redis for a few seconds instead of timing out per call
        if now - self._warned > 30:
            self._warned = now
            log.warning("redis %s unavailable, manifest cache bypassed: %s", self.address, exc)

    def get(self, key: str) -> bytes | None:
        import redis

        if not self._up():
            return None
        try:
            return self.client.get(self.prefix + key)
        except redis.RedisError as exc:
            self._warn(exc)
            return None

    def set(self, key: str, value: bytes, ttl: float = 0) -> None:
        import redis

        if not self._up():
            return
        try:
            self.client.set(self.prefix + key, value, px=int(ttl * 1000) if ttl else None)
        except redis.RedisError as exc:
            self._warn(exc)

    def delete(self, key: str) -> None:
        import redis

        if not self._up():
            return
        try:
            self.client.delete(self.prefix + key)
        except redis.RedisError as exc:
            self._warn(exc)


class _Call:
    __slots__ = ("event", "result", "error")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class ManifestCache:
    """JSON values over a :class:`CacheBackend`, plus single-flight execution."""

    def __init__(self, backend: CacheBackend | None = None, *, ttl: float = 24 * 3600.0) -> None:
        self.backend = backend if backend is not None else MemoryBackend()
        self.ttl = ttl
        self._inflight: dict[str, _Call] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        raw = self.backend.get(key)
        if raw is None:
            return None
        try:
            return orjson.loads(raw)
        except ValueError:
            self.backend.delete(key)
            return None

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        try:
            raw = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:  # e.g. an integer beyond 64 bits
            raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode()
        self.backend.set(key, raw, self.ttl if ttl is None else ttl)

    def delete(self, key: str) -> None:
        self.backend.delete(key)

    def single_flight(self, key: str, fn: Callable[[], T]) -> tuple[T, bool]:
        """Run ``fn`` once for concurrent callers of the same key: ``(result, ran_here)``.

        Waiters get the leader's result or re-raise its error. Nothing is cached here; ``fn``
        decides what to store (and stores only complete results).
        """
        with self._lock:
            call = self._inflight.get(key)
            leader = call is None
            if leader:
                call = self._inflight[key] = _Call()
        assert call is not None
        if not leader:
            call.event.wait()
            if call.error is not None:
                raise call.error
            return call.result, False
        try:
            call.result = fn()
            return call.result, True
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            call.event.set()


def make_cache(redis: str = "", *, max_bytes: int = 256 * 2**20, ttl: float = 24 * 3600.0) -> ManifestCache:
    """A :class:`ManifestCache` on Redis when ``redis`` is set, else in-process."""
    backend: CacheBackend = RedisBackend(redis) if redis else MemoryBackend(max_bytes)
    return ManifestCache(backend, ttl=ttl)
