"""Watch streams of the local cluster's API (``?watch=1``): JSON lines, one event per line.

Events come from :meth:`kedge.localcluster.store.Store.watch` (registered under the store's lock,
so none is missed between the initial state and the live stream), are queued on the event loop in
commit order and written in batches. Supports resourceVersion ("" and "0": current state first),
``sendInitialEvents`` with the ``k8s.io/initial-events-end`` bookmark, periodic bookmarks,
``timeoutSeconds``, Table output, and ``410 Expired`` as an ERROR event for resourceVersions
older than the store's event window.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

from kedge.localcluster import tables
from kedge.localcluster.contract import GoneError, StoreError
from kedge.localcluster.registry import ResourceInfo
from kedge.localcluster.status import status_body
from kedge.localcluster.store import dumps, loads

if TYPE_CHECKING:
    from kedge.localcluster.server import Request

#: seconds between bookmarks on an idle watch that allows them
BOOKMARK_INTERVAL = 10.0


class _Stream:
    """The events waiting to be written to one watch connection (touched on the loop only)."""

    __slots__ = ("items", "ready")

    def __init__(self) -> None:
        self.items: deque[tuple[str, bytes, int] | None] = deque()
        self.ready = asyncio.Event()

    def push(self, item: tuple[str, bytes, int] | None) -> None:
        self.items.append(item)
        self.ready.set()


class WatchHandler:
    """Mixin of :class:`kedge.localcluster.server.APIServer` (uses its store, selectors and
    open-watch bookkeeping)."""

    store: Any
    watches: int
    _watch_queues: set[_Stream]

    async def _watch(self, req: Request, info: ResourceInfo, ns: str | None, receive: Any, send: Any) -> None:  # noqa: C901
        labels, fields = self._parse_selectors(req, info)
        rv = req.query.get("resourceVersion", "")
        initial = req.query.get("sendInitialEvents", "").lower() == "true"
        bookmarks = req.flag("allowWatchBookmarks")
        since: int | None = None
        if rv and rv != "0":
            try:
                since = int(rv)
            except ValueError:
                raise StoreError(
                    400, "BadRequest", f'resourceVersion: Invalid value: "{rv}": must be an integer'
                ) from None
        if initial and not bookmarks:
            raise StoreError(
                422,
                "Invalid",
                "allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true",
            )
        send_state = initial or since is None
        timeout_s = req.query.get("timeoutSeconds", "")
        try:
            timeout = float(timeout_s) if timeout_s else 1800.0
        except ValueError:
            raise StoreError(400, "BadRequest", f"timeoutSeconds: Invalid value: {timeout_s!r}") from None
        table = self._wants_table(req)
        metadata_only = not table and "as=PartialObjectMetadata" in req.headers.get("accept", "")
        include = req.query.get("includeObject", "Metadata")
        loop = asyncio.get_running_loop()
        q = _Stream()
        loop_thread = threading.get_ident()

        def sink(typ: str, raw: bytes, ev_rv: int) -> None:
            # always through the loop's FIFO: keeps commit order across writer threads
            if threading.get_ident() == loop_thread:
                loop.call_soon(q.push, (typ, raw, ev_rv))
            else:
                loop.call_soon_threadsafe(q.push, (typ, raw, ev_rv))

        ctype = (
            b"application/json;as=Table;v=v1;g=meta.k8s.io"
            if table
            else b"application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
            if metadata_only
            else b"application/json"
        )
        req.streaming = True
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", ctype), (b"cache-control", b"no-cache, private")],
            }
        )
        try:
            watcher = self.store.watch(info, ns, since, labels, fields, sink, send_state)
        except GoneError as e:
            frame = b'{"type":"ERROR","object":' + status_body(410, "Expired", e.message) + b"}\n"
            await send({"type": "http.response.body", "body": frame, "more_body": False})
            return
        with self.store._lock:
            start_rv = self.store.resource_version
        if initial:
            sink("BOOKMARK!", b"", start_rv)
        self.watches += 1
        self._watch_queues.add(q)
        first_table = [True]

        def frame(typ: str, raw: bytes, ev_rv: int) -> bytes:
            if typ.startswith("BOOKMARK"):
                meta: dict[str, Any] = {"resourceVersion": str(ev_rv)}
                if typ == "BOOKMARK!":
                    meta["annotations"] = {"k8s.io/initial-events-end": "true"}
                obj = {"kind": info.kind, "apiVersion": info.api_version, "metadata": meta}
                return b'{"type":"BOOKMARK","object":' + dumps(obj) + b"}\n"
            if table:
                o = loads(raw)
                t = tables.table(
                    info,
                    [o],
                    {"resourceVersion": o["metadata"].get("resourceVersion", "")},
                    include,
                    first_table[0],
                )
                first_table[0] = False
                raw = dumps(t)
            elif metadata_only:
                raw = dumps(
                    {
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": loads(raw).get("metadata", {}),
                    }
                )
            return b'{"type":"' + typ.encode() + b'","object":' + raw + b"}\n"

        async def disconnected() -> None:
            while True:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    q.push(None)
                    return

        def bookmark() -> None:
            nonlocal timer
            with self.store._lock:  # every event up to this version is already queued
                sink("BOOKMARK", b"", self.store.resource_version)
            timer = loop.call_later(BOOKMARK_INTERVAL, bookmark)

        disc = asyncio.ensure_future(disconnected())
        ender = loop.call_later(timeout, q.push, None)
        timer = loop.call_later(BOOKMARK_INTERVAL, bookmark) if bookmarks else None
        try:
            ended = False
            while not ended:
                await q.ready.wait()
                q.ready.clear()
                frames = []
                while q.items:
                    item = q.items.popleft()
                    if item is None:
                        ended = True
                        break
                    frames.append(frame(*item))
                if frames:
                    await send({"type": "http.response.body", "body": b"".join(frames), "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            return
        finally:
            self.watches -= 1
            self._watch_queues.discard(q)
            watcher.close()
            disc.cancel()
            ender.cancel()
            if timer is not None:
                timer.cancel()
