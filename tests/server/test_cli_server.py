"""``kedge server`` as a process: starts against a kubeconfig, initialises the namespace (the
generated admin password in argocd-initial-admin-secret), serves the API, stops on SIGINT."""

import base64
import os
import signal
import subprocess
import sys

import httpx
from conftest import unique, wait_for
from gitservers import free_port


def test_kedge_server_process(local_cluster, kube, tmp_path):
    ns = unique("cli-srv")
    port = free_port()
    env = {**os.environ, "KEDGE_REPO_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kedge",
            "server",
            "--kubeconfig",
            str(local_cluster.kubeconfig_path),
            "-n",
            ns,
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
            "--insecure",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def up():
            try:
                return httpx.get(url + "/healthz", timeout=2).text == "ok"
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read()
                return False

        wait_for(up, 60, 0.2)
        secret = kube.get(kube.resource_for("v1", "Secret"), ns, "argocd-initial-admin-secret")
        password = base64.b64decode(secret["data"]["password"]).decode()
        r = httpx.post(url + "/api/v1/session", json={"username": "admin", "password": password})
        assert r.status_code == 200, r.text
        r = httpx.get(url + "/api/v1/clusters", headers={"Authorization": "Bearer " + r.json()["token"]})
        assert [c["name"] for c in r.json()["items"]] == ["in-cluster"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert "listening on http://127.0.0.1" in err
    assert "Traceback" not in err, err


def test_kedge_server_bad_kubeconfig(tmp_path):
    bad = tmp_path / "kubeconfig"
    bad.write_text("not: [a kubeconfig")
    r = subprocess.run(
        [sys.executable, "-m", "kedge", "server", "--kubeconfig", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    assert r.stderr.startswith("Error: ") and "Traceback" not in r.stderr
