"""``kedge localcluster serve`` as a process: SQLite persistence, crash safety, restart, shutdown."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

from tests.conftest import kubectl_binary


class Served:
    def __init__(self, data_dir: Path, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig
        if kubeconfig.exists():
            kubeconfig.unlink()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kedge",
                "localcluster",
                "serve",
                "--data-dir",
                str(data_dir),
                "--port",
                "0",
                "--no-simulate",
                "--kubeconfig-out",
                str(kubeconfig),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not (kubeconfig.exists() and kubeconfig.read_text().strip()):
            assert self.proc.poll() is None, self.proc.communicate()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        kc = yaml.safe_load(kubeconfig.read_text())
        cluster = kc["clusters"][0]["cluster"]
        self.host, port = cluster["server"].removeprefix("https://").rsplit(":", 1)
        self.port = int(port)
        self.token = kc["users"][0]["user"]["token"]
        self.ctx = ssl.create_default_context(
            cadata=base64.b64decode(cluster["certificate-authority-data"]).decode()
        )

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=10)
        try:
            c.request(
                method,
                path,
                body=json.dumps(body) if body else None,
                headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            )
            r = c.getresponse()
            return r.status, json.loads(r.read())
        finally:
            c.close()


def test_kill_mid_write_loses_no_acknowledged_write_and_restart_keeps_versions(tmp_path):
    data, kc = tmp_path / "data", tmp_path / "kubeconfig"
    srv = Served(data, kc)
    acked: dict[str, str] = {}
    stop = threading.Event()

    def writer() -> None:
        c = http.client.HTTPSConnection(srv.host, srv.port, context=srv.ctx, timeout=10)
        i = 0
        while not stop.is_set():
            body = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"cm-{i}"},
                "data": {"i": str(i)},
            }
            try:
                c.request(
                    "POST",
                    "/api/v1/namespaces/default/configmaps",
                    body=json.dumps(body),
                    headers={"Authorization": f"Bearer {srv.token}", "Content-Type": "application/json"},
                )
                r = c.getresponse()
                obj = json.loads(r.read())
            except (OSError, http.client.HTTPException, ValueError):
                return
            if r.status == 201:
                acked[obj["metadata"]["name"]] = obj["metadata"]["resourceVersion"]
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    deadline = time.monotonic() + 30
    while len(acked) < 30 and time.monotonic() < deadline:
        time.sleep(0.02)
    srv.proc.send_signal(signal.SIGKILL)  # no shutdown path at all, in the middle of writes
    srv.proc.wait(timeout=10)
    stop.set()
    t.join(timeout=10)
    assert len(acked) > 20
    srv2 = Served(data, kc)
    try:
        status, listed = srv2.request("GET", "/api/v1/namespaces/default/configmaps")
        assert status == 200
        found = {o["metadata"]["name"]: o["metadata"]["resourceVersion"] for o in listed["items"]}
        missing = set(acked) - set(found)
        assert not missing, f"acknowledged writes lost: {sorted(missing)[:5]}"
        assert all(found[n] == rv for n, rv in acked.items())
        # the resourceVersion keeps increasing after the restart
        status, created = srv2.request(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "after"}},
        )
        assert status == 201 and int(created["metadata"]["resourceVersion"]) > max(
            int(v) for v in found.values()
        )
        # the same token and certificate keep working: kubectl with the rewritten kubeconfig
        out = subprocess.run(
            [kubectl_binary(), "--kubeconfig", str(kc), "get", "cm", "after", "-o", "name"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.stdout.strip() == "configmap/after", out.stderr
    finally:
        srv2.proc.send_signal(signal.SIGTERM)
        out, err = srv2.proc.communicate(timeout=15)
    assert srv2.proc.returncode == 0, err
    assert "Local cluster stopped." in out


def test_serve_reports_a_busy_port_without_a_traceback(tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "kedge",
                "localcluster",
                "serve",
                "--in-memory",
                "--port",
                str(port),
                "--no-simulate",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "HOME": str(tmp_path)},
        )
    finally:
        s.close()
    assert out.returncode != 0
    assert out.stderr.startswith("Error: cannot listen on 127.0.0.1") and "Traceback" not in out.stderr


def test_factory_starts_isolated_clusters(local_cluster, local_cluster_factory, tmp_path):
    other = local_cluster_factory(simulate=False, data_dir=tmp_path / "second")
    assert other.url != local_cluster.url and other.token != local_cluster.token
    other.store.create("/v1/configmaps", {"metadata": {"name": "only-here"}})
    assert local_cluster.store.get("/v1/configmaps", "default", "only-here") is None
    assert (tmp_path / "second" / "cluster.db").exists()


def test_one_server_per_data_dir(local_cluster_factory, tmp_path):
    import pytest

    from kedge.errors import KedgeError
    from kedge.localcluster.cluster import LocalCluster

    local_cluster_factory(simulate=False, data_dir=tmp_path / "d")
    with pytest.raises(KedgeError, match="in use by another local cluster"):
        LocalCluster(tmp_path / "d").start()
