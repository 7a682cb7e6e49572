"""``/api/v1/stream/applications``: server-sent events of application changes, as Argo CD's
watch: every line is ``data: {"result": {"type": "ADDED|MODIFIED|DELETED", "application": {...}}}``.

A new watcher first gets the current applications as ADDED, then live changes. Each event is
filtered by the same query parameters as the list, and by RBAC (``applications, get``) against
the current policy. The token is re-checked every keep-alive period; a revoked or expired
token ends the stream. A watcher that falls more than :data:`QUEUE_SIZE` events behind is
disconnected (it reconnects and gets a fresh snapshot) rather than buffering without bound.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from kedge.server.api.applications import LIST_QUERY, app_filter
from kedge.server.api.common import project_of, with_kind
from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.routes import route

QUEUE_SIZE = 10_000
#: open streams per server; more answer 503 (each costs memory and a filter per event)
MAX_WATCHERS = 2_000
KEEPALIVE = 15.0
_OVERFLOW = object()


def encode(etype: str, app: dict[str, Any]) -> bytes:
    return (
        b"data: "
        + orjson.dumps({"result": {"type": etype, "application": with_kind(app, "Application")}})
        + b"\n\n"
    )


class _Watcher:
    """One stream. ``accept(app)`` runs in the informer's thread, so events a watcher does not
    want never wake the event loop; accepted ones are queued on the watcher's loop."""

    __slots__ = ("loop", "queue", "closed", "accept")

    def __init__(self, loop: asyncio.AbstractEventLoop, accept: Any) -> None:
        self.loop = loop
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.closed = False
        self.accept = accept

    def push(self, item: Any) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.closed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(_OVERFLOW)


class Broadcaster:
    """Fans informer events out to watchers (filtered in the informer thread, encoded once)."""

    def __init__(self, apps_informer: Any) -> None:
        self._watchers: set[_Watcher] = set()
        self._lock = threading.Lock()
        apps_informer.add_handler(self._on_app)

    def subscribe(self, accept: Any = None) -> _Watcher:
        w = _Watcher(asyncio.get_running_loop(), accept or (lambda app: True))
        with self._lock:
            self._watchers.add(w)
        return w

    def unsubscribe(self, w: _Watcher) -> None:
        with self._lock:
            self._watchers.discard(w)

    @property
    def count(self) -> int:
        return len(self._watchers)

    def _on_app(self, etype: str, new: dict[str, Any] | None, old: dict[str, Any] | None) -> None:
        app = new if new is not None else old
        if app is None:
            return
        with self._lock:
            watchers = list(self._watchers)
        payload: bytes | None = None
        for w in watchers:
            try:
                if not w.accept(app):
                    continue
            except Exception:  # noqa: BLE001 - a broken filter drops the event for that watcher only
                continue
            if payload is None:
                payload = encode(etype, app)
            try:
                w.loop.call_soon_threadsafe(w.push, (etype, app, payload))
            except RuntimeError:  # the loop is closed
                self.unsubscribe(w)


@route(
    "GET",
    "/api/v1/stream/applications",
    summary="Server-sent events of application changes (filtered like the list, and by RBAC)",
    tag="ApplicationService",
    query=LIST_QUERY,
    content_type="text/event-stream",
)
async def watch_applications(req: APIRequest) -> StreamingResponse:
    b = req.backend
    ok = app_filter(req)
    authz = b.authz
    principal = req.principal
    broadcaster: Broadcaster = b.extras["broadcaster"]
    token = principal.token if principal else ""
    # the RBAC index is rebuilt when the policy changes (settings or AppProjects)
    state: dict[str, Any] = {"key": None, "may": None}

    def may(app: dict[str, Any]) -> bool:
        enforcer = authz.enforcer()
        if state["key"] is not enforcer:
            state["key"], state["may"] = enforcer, authz.project_scoped(principal, "applications", "get")
        return state["may"](project_of(app), (app.get("metadata") or {}).get("name", ""))

    def accept(app: dict[str, Any]) -> bool:
        return ok(app) and may(app)

    if broadcaster.count >= MAX_WATCHERS:
        raise APIError(503, f"too many open event streams ({MAX_WATCHERS}); retry later")
    watcher = broadcaster.subscribe(accept)
    snapshot = b.extras["apps"].items()

    async def events():
        try:
            for app in snapshot:
                if accept(app):
                    yield encode("ADDED", app)
            checked = time.monotonic()
            while True:
                if token and time.monotonic() - checked >= KEEPALIVE:
                    checked = time.monotonic()
                    try:
                        await run_in_threadpool(b.authenticate, token)
                    except Exception:  # noqa: BLE001 - any auth failure ends the stream
                        return
                try:
                    item = await asyncio.wait_for(watcher.queue.get(), timeout=KEEPALIVE)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if item is _OVERFLOW:
                    return
                yield item[2]
        finally:
            broadcaster.unsubscribe(watcher)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
