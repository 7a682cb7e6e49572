"""The libcurl transport of KubeClient (core/kube/transport.py): real requests against the local
cluster, a reused per-thread handle, transport failures, TLS settings, the urllib3 fallback and
basic auth (against a plain-HTTP recording server)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import certifi
import pytest
from kubernetes import client as kclient

from kedge.kube.client import MERGE_PATCH, KubeClient, KubeError
from kedge.kube.transport import CurlTransport, curl_transport


def _uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _configuration(host: str, **attrs) -> kclient.Configuration:
    cfg = kclient.Configuration()
    cfg.host = host
    for k, v in attrs.items():
        setattr(cfg, k, v)
    return cfg


def _cluster_client(local_cluster, timeout: float = 30.0, host: str | None = None, **attrs) -> KubeClient:
    """A client built by hand from the cluster's URL, token and (by default) CA."""
    attrs.setdefault("ssl_ca_cert", local_cluster.ca_path)
    attrs.setdefault("api_key", {"authorization": "Bearer " + local_cluster.token})
    cfg = _configuration(host or local_cluster.url, **attrs)
    return KubeClient(kclient.ApiClient(cfg), timeout=timeout)


@pytest.fixture
def kube(local_cluster):
    c = KubeClient.from_kubeconfig(str(local_cluster.kubeconfig_path))
    yield c
    c.close()


def _cm(name: str, ns: str, data: dict[str, str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": data,
    }


# -- against the real cluster ---------------------------------------------------------------------
def test_kubeconfig_client_uses_curl(kube):
    assert isinstance(kube._curl, CurlTransport)
    assert kube.version()  # a real answer through libcurl


def test_one_thread_every_verb_in_sequence_no_method_or_body_leaks(kube, kube_namespace):
    ns = kube_namespace
    res = kube.resource_for("v1", "ConfigMap")
    a, keep, other = _uid("a"), _uid("keep"), _uid("other")

    created = kube.create(_cm(a, ns, {"v": "1"}))  # POST with a body
    first_handle = kube._curl._local.curl
    assert created["metadata"]["name"] == a and created["data"] == {"v": "1"}
    kube.create(_cm(keep, ns, {"k": "1"}))
    kube.create(_cm(other, ns, {"o": "1"}))

    got = kube.request("GET", res.path(ns, a))  # GET after a POST: no body, not a POST
    assert got["data"] == {"v": "1"} and got["kind"] == "ConfigMap"

    patched = kube.patch(res, ns, a, {"data": {"p": "2"}}, patch_type=MERGE_PATCH)
    assert patched["data"] == {"v": "1", "p": "2"}
    assert kube.get(res, ns, a)["data"] == {"v": "1", "p": "2"}

    applied = kube.apply(_cm(a, ns, {"v": "1", "p": "2", "s": "3"}), field_manager="transport-test")
    assert applied["data"] == {"v": "1", "p": "2", "s": "3"}
    assert any(m.get("manager") == "transport-test" for m in applied["metadata"].get("managedFields", []))

    current = kube.get(res, ns, a)
    current["data"] = {"put": "4"}
    replaced = kube.replace(current)  # PUT
    assert replaced["data"] == {"put": "4"}
    assert int(replaced["metadata"]["resourceVersion"]) > int(current["metadata"]["resourceVersion"])
    assert kube.get(res, ns, a)["data"] == {"put": "4"}

    # DELETE with a DeleteOptions body, then a body-less DELETE (curl's HTTPGET + CUSTOMREQUEST)
    assert kube.delete(res, ns, a, propagation="Background", grace_period=0) is not None
    kube.request("DELETE", res.path(ns, other))

    with pytest.raises(KubeError) as err:
        kube.request("GET", res.path(ns, a))
    assert err.value.not_found and err.value.status == 404 and err.value.reason == "NotFound"
    assert kube.get(res, ns, a) is None
    # a DELETE leaking into the following GETs would have removed this one
    assert kube.get(res, ns, keep)["data"] == {"k": "1"}
    assert kube.get(res, ns, keep)["data"] == {"k": "1"}
    assert kube.get(res, ns, other) is None
    items, _ = kube.list(res, ns)
    assert {i["metadata"]["name"] for i in items} >= {keep}
    assert a not in {i["metadata"]["name"] for i in items}

    # every one of these requests went through one libcurl handle (this thread's)
    assert kube._curl._local.curl is first_handle


def test_api_error_carries_the_servers_status_reason_and_message(kube, kube_namespace):
    name = _uid("dup")
    kube.create(_cm(name, kube_namespace, {}))
    with pytest.raises(KubeError) as err:
        kube.create(_cm(name, kube_namespace, {}))
    assert err.value.status == 409 and err.value.conflict
    assert err.value.reason == "AlreadyExists"
    assert name in str(err.value) and "already exists" in str(err.value)
    assert err.value.details.get("name") == name

    with pytest.raises(KubeError) as err:
        kube.create(_cm("Not_A_Valid_Name", kube_namespace, {}))
    assert err.value.status == 422 and err.value.reason == "Invalid"
    assert "Not_A_Valid_Name" in str(err.value)
    # the handle is still good after errors
    assert kube.get(kube.resource_for("v1", "ConfigMap"), kube_namespace, name) is not None


def test_unreachable_port_is_a_fast_status_0_error(local_cluster):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = _cluster_client(local_cluster, timeout=10.0, host=f"https://127.0.0.1:{port}")
    try:
        assert c._curl is not None
        t0 = time.monotonic()
        with pytest.raises(KubeError) as err:
            c.request("GET", "/version")
        assert time.monotonic() - t0 < 3.0
        assert err.value.status == 0 and err.value.reason == "Unreachable"
        assert "/version" in str(err.value)
    finally:
        c.close()


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never sends a byte."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    conns: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conns.append(conn)

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join(5)
    for c in conns:
        c.close()
    srv.close()


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_a_server_that_never_answers_times_out(local_cluster, silent_server, scheme):
    c = _cluster_client(local_cluster, timeout=1.0, host=f"{scheme}://127.0.0.1:{silent_server}")
    try:
        t0 = time.monotonic()
        with pytest.raises(KubeError) as err:
            c.request("GET", "/version")
        took = time.monotonic() - t0
        assert 0.8 <= took < 5.0, took
        assert err.value.status == 0 and err.value.reason == "Unreachable"
        # a per-request timeout overrides the client's
        t0 = time.monotonic()
        with pytest.raises(KubeError) as err:
            c.request("GET", "/version", timeout=0.3)
        took = time.monotonic() - t0
        assert 0.2 <= took < 0.9 + 2.0, took
        assert err.value.status == 0
    finally:
        c.close()


def test_verify_ssl_false_works_without_the_ca(local_cluster):
    c = _cluster_client(local_cluster, ssl_ca_cert=None, verify_ssl=False)
    try:
        assert c._curl is not None
        assert c.version()
        assert c.request("GET", "/api/v1")["kind"] == "APIResourceList"
    finally:
        c.close()


def test_a_wrong_ca_fails(local_cluster):
    c = _cluster_client(local_cluster, timeout=5.0, ssl_ca_cert=certifi.where())  # public CAs only
    try:
        with pytest.raises(KubeError) as err:
            c.version()
        assert err.value.status == 0 and err.value.reason == "Unreachable"
    finally:
        c.close()


def test_eight_threads_thirty_gets_each(kube, kube_namespace):
    res = kube.resource_for("v1", "ConfigMap")
    names = [_uid(f"t{i}") for i in range(8)]
    for i, n in enumerate(names):
        kube.create(_cm(n, kube_namespace, {"i": str(i)}))
    start = threading.Barrier(8)

    def work(i: int) -> list[str]:
        start.wait(10)
        out = []
        handles = set()
        for _ in range(30):
            obj = kube.request("GET", res.path(kube_namespace, names[i]))
            out.append(obj["data"]["i"])
            handles.add(id(kube._curl._local.curl))
        assert len(handles) == 1  # one handle per thread, reused for all 30 requests
        return out

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    assert results == [[str(i)] * 30 for i in range(8)]


def test_tls_server_name_falls_back_to_urllib3(local_cluster, kube_namespace):
    cfg = _configuration(
        local_cluster.url,
        ssl_ca_cert=local_cluster.ca_path,
        api_key={"authorization": "Bearer " + local_cluster.token},
        tls_server_name="localhost",
    )
    assert curl_transport(cfg) is None
    c = KubeClient(kclient.ApiClient(cfg))
    try:
        assert c._curl is None
        assert c.version()
        name = _uid("u3")
        created = c.create(_cm(name, kube_namespace, {"x": "1"}))
        assert created["data"] == {"x": "1"}
        res = c.resource_for("v1", "ConfigMap")
        assert c.get(res, kube_namespace, name)["data"] == {"x": "1"}
        assert c.delete(res, kube_namespace, name) is not None
        with pytest.raises(KubeError) as err:
            c.request("GET", res.path(kube_namespace, name))
        assert err.value.not_found
    finally:
        c.close()


def test_curl_transport_for_other_configurations(local_cluster):
    assert curl_transport(_configuration(local_cluster.url)) is not None
    assert curl_transport(_configuration("http://127.0.0.1:1")) is not None
    assert curl_transport(_configuration("unix:///var/run/x.sock")) is None


# -- a plain-HTTP recording server ------------------------------------------------------------------
class _Recorder:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.lock = threading.Lock()


@pytest.fixture
def recording_server():
    rec = _Recorder()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with rec.lock:
                rec.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "content_type": self.headers.get("Content-Type"),
                        "chunked": self.headers.get("Transfer-Encoding"),
                        "body": body,
                    }
                )
            out = json.dumps({"kind": "Echo", "method": self.command}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, *args) -> None:  # quiet
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    rec.url = f"http://127.0.0.1:{srv.server_address[1]}"
    yield rec
    srv.shutdown()
    srv.server_close()
    t.join(5)


def test_basic_auth_header(recording_server):
    cfg = _configuration(recording_server.url, username="alice", password="pa:ss wörd")
    c = KubeClient(kclient.ApiClient(cfg), timeout=5.0)
    try:
        assert c._curl is not None
        assert c.request("GET", "/version") == {"kind": "Echo", "method": "GET"}
    finally:
        c.close()
    expected = "Basic " + base64.b64encode("alice:pa:ss wörd".encode()).decode()
    assert recording_server.requests[-1]["auth"] == expected


def test_basic_auth_through_the_urllib3_fallback(recording_server):
    cfg = _configuration(recording_server.url, username="bob", password="pw")
    c = KubeClient(kclient.ApiClient(cfg), timeout=5.0)
    c._curl = None  # as when curl_transport declines the configuration
    try:
        assert c.request("GET", "/version") == {"kind": "Echo", "method": "GET"}
    finally:
        c.close()
    assert recording_server.requests[-1]["auth"] == "Basic " + base64.b64encode(b"bob:pw").decode()


def test_bearer_token_wins_over_basic_auth(recording_server):
    cfg = _configuration(
        recording_server.url, username="bob", password="pw", api_key={"authorization": "Bearer tok"}
    )
    c = KubeClient(kclient.ApiClient(cfg), timeout=5.0)
    try:
        c.request("GET", "/version")
    finally:
        c.close()
    assert recording_server.requests[-1]["auth"] == "Bearer tok"


def test_wire_methods_and_bodies_on_a_reused_handle(recording_server):
    """What actually goes on the wire, request after request on one handle."""
    c = KubeClient(kclient.ApiClient(_configuration(recording_server.url)), timeout=5.0)
    try:
        c.request("POST", "/p", body={"a": 1})
        c.request("GET", "/g1")
        c.request("PATCH", "/m", body={"b": 2}, content_type=MERGE_PATCH)
        c.request("DELETE", "/d0")
        c.request("GET", "/g2")
        c.request("DELETE", "/d1", body={"kind": "DeleteOptions"})
        c.request("PUT", "/u", body=b'{"c":3}')
        c.request("GET", "/g3", query={"limit": 5, "continue": None})
        c.request("PATCH", "/e", body="")  # an empty body is still a body
        handle = c._curl._local.curl
        c.request("GET", "/g4")
        assert c._curl._local.curl is handle
    finally:
        c.close()
    seen = [(r["method"], r["path"], r["body"], r["content_type"]) for r in recording_server.requests]
    assert seen == [
        ("POST", "/p", b'{"a":1}', "application/json"),
        ("GET", "/g1", b"", None),
        ("PATCH", "/m", b'{"b":2}', MERGE_PATCH),
        ("DELETE", "/d0", b"", None),
        ("GET", "/g2", b"", None),
        ("DELETE", "/d1", b'{"kind":"DeleteOptions"}', "application/json"),
        ("PUT", "/u", b'{"c":3}', "application/json"),
        ("GET", "/g3?limit=5", b"", None),
        ("PATCH", "/e", b"", "application/json"),
        ("GET", "/g4", b"", None),
    ]
    assert all(r["chunked"] is None for r in recording_server.requests)


def test_a_thread_handle_and_its_connection_go_with_the_thread(kube, kube_namespace):
    import gc
    import os

    res = kube.resource_for("v1", "ConfigMap")
    kube.request("GET", res.path(kube_namespace))  # this thread's handle exists already
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(30):  # short-lived threads, one request each (like an idle-trimmed pool)
        t = threading.Thread(target=lambda: kube.request("GET", res.path(kube_namespace)))
        t.start()
        t.join()
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) <= before + 5
