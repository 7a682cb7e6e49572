"""Server-sent events: a snapshot, then live changes, filtered by query and by RBAC."""

import json
import threading

from conftest import application, unique, wait_for

EX = "https://example.com/repo.git"


def _collect(server, token, query, sink, stop):
    try:
        _read(server, token, query, sink, stop)
    except Exception:  # noqa: BLE001 - the server closes open streams when the session ends
        pass


def _read(server, token, query, sink, stop):
    with server.client(token) as c:
        with c.stream("GET", "/api/v1/stream/applications" + query, timeout=30) as r:
            sink.append(("status", r.status_code, r.headers.get("content-type")))
            for line in r.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("data: "):
                    sink.append(json.loads(line[6:])["result"])


def test_stream_snapshot_changes_and_rbac(server, admin):
    prefix = unique("sse")
    first = f"{prefix}-a"
    assert admin.post("/api/v1/applications", json=application(first, EX, "default")).status_code == 200
    wait_for(lambda: server.backend.controller.apps.get(first) is not None)
    sinks = {"admin": [], "alice": [], "bob": []}
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_collect, args=(server, server.login(u), f"?search={prefix}", sinks[u], stop), daemon=True
        )
        for u in sinks
    ]
    for t in threads:
        t.start()

    def events(user, etype=None, name=None):
        return [
            e
            for e in sinks[user]
            if isinstance(e, dict)
            and (etype is None or e["type"] == etype)
            and (name is None or e["application"]["metadata"]["name"] == name)
        ]

    wait_for(lambda: events("admin", "ADDED", first) and events("alice", "ADDED", first))
    assert sinks["admin"][0][1:] == (200, "text/event-stream; charset=utf-8")
    second = f"{prefix}-b"
    assert admin.post("/api/v1/applications", json=application(second, EX, "default")).status_code == 200
    wait_for(lambda: events("admin", "ADDED", second) and events("alice", "ADDED", second))
    assert admin.delete(f"/api/v1/applications/{first}?cascade=false").status_code == 200
    wait_for(lambda: events("admin", "DELETED", first))
    # another app outside the search filter never shows up
    other = unique("not-matching")
    assert admin.post("/api/v1/applications", json=application(other, EX, "default")).status_code == 200
    wait_for(lambda: server.backend.controller.apps.get(other) is not None)
    assert not any(e["application"]["metadata"]["name"] == other for e in events("admin"))
    # bob has no role on the default project: nothing
    assert events("bob") == []
    stop.set()
    # the stream needs authentication like everything else
    with server.client() as c:
        assert c.get("/api/v1/stream/applications").status_code == 401
