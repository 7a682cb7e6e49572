"""``kedge up`` end to end: a real subprocess with its own local cluster in a temporary data
directory, checked with the real kubectl and the CLI, stopped with SIGTERM, started again."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time

from conftest import kedge_command, kubectl_path, wait_for
from gitservers import free_port


class UpProcess:
    def __init__(self, data_dir, port, *extra, env_extra=None):
        env = {**os.environ, "HOME": str(data_dir.parent), "KEDGE_CONFIG": str(data_dir.parent / "cfg")}
        env.update(env_extra or {})
        self.proc = subprocess.Popen(
            [*kedge_command(), "up", "--data-dir", str(data_dir), "--port", str(port), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for_line(self, text, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.output.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not printed; output so far:\n{''.join(self.output)}")

    def stop(self, timeout=30.0):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return code


def test_up_starts_everything_and_keeps_state(tmp_path):
    data = tmp_path / "kedge"
    port = free_port()
    up = UpProcess(data, port)
    try:
        up.wait_for_line("Kedge is ready", timeout=90)
        password = up.wait_for_line("Admin password:").split(":", 1)[1].split()[0]
        up.wait_for_line("Press Ctrl-C to stop.")
        text = "".join(up.output)
        assert f"API server:       http://localhost:{port}" in text
        assert "Creating the guestbook example" in text

        kubeconfig = data / "kubeconfig"
        kc = [kubectl_path(), "--kubeconfig", str(kubeconfig)]

        def app_json():
            out = subprocess.run(
                [*kc, "get", "application", "guestbook", "-n", "argocd", "-o", "json"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            return json.loads(out.stdout) if out.returncode == 0 else None

        app = wait_for(
            lambda: (a := app_json()) and a.get("status", {}).get("sync", {}).get("status") and a, timeout=60
        )
        assert app["status"]["sync"]["status"] == "OutOfSync"
        assert app["spec"]["destination"] == {
            "server": "https://kubernetes.default.svc",
            "namespace": "default",
        }
        assert app["spec"]["source"]["repoURL"].startswith("file://")
        secret = subprocess.run(
            [
                *kc,
                "get",
                "secret",
                "argocd-initial-admin-secret",
                "-n",
                "argocd",
                "-o",
                "jsonpath={.data.password}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        import base64

        assert base64.b64decode(secret.stdout).decode() == password
        clusters = subprocess.run(
            [
                *kc,
                "get",
                "secrets",
                "-n",
                "argocd",
                "-l",
                "argocd.argoproj.io/secret-type=cluster",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        names = [base64.b64decode(s["data"]["name"]).decode() for s in json.loads(clusters.stdout)["items"]]
        assert names == ["in-cluster"]

        env = {**os.environ, "HOME": str(tmp_path), "KEDGE_CONFIG": str(tmp_path / "cfg")}
        login = subprocess.run(
            [
                *kedge_command(),
                "login",
                f"localhost:{port}",
                "--plaintext",
                "--username",
                "admin",
                "--password",
                password,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert login.returncode == 0, login.stderr
        listed = subprocess.run(
            [*kedge_command(), "app", "list"], capture_output=True, text=True, env=env, timeout=60
        )
        assert "argocd/guestbook" in listed.stdout
        # a second kedge up on the same data directory is refused (one cluster database, one owner)
        second = subprocess.run(
            [*kedge_command(), "up", "--data-dir", str(data), "--port", str(free_port())],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert second.returncode == 1 and f"pid {up.proc.pid})" in second.stderr, second.stderr
        subprocess.run(
            [*kc, "create", "configmap", "survivor", "-n", "default", "--from-literal=a=b"],
            check=True,
            capture_output=True,
            timeout=30,
        )
    finally:
        code = up.stop()
    assert code == 0, "".join(up.output)
    assert "Kedge stopped. State is kept in" in "".join(up.output)

    again = UpProcess(data, port)
    try:
        again.wait_for_line("Press Ctrl-C to stop.", timeout=90)
        text = "".join(again.output)
        assert "Creating the guestbook example" not in text
        assert f"Admin password:   {password}" in text
        app = app_json()
        assert app is not None and app["metadata"]["uid"]
        out = subprocess.run(
            [*kc, "get", "configmap", "survivor", "-n", "default", "-o", "jsonpath={.data.a}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.stdout == "b"
    finally:
        assert again.stop() == 0


def test_up_refuses_a_busy_port(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        out = subprocess.run(
            [*kedge_command(), "up", "--data-dir", str(tmp_path / "d"), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr and "Traceback" not in out.stderr


def test_up_with_an_existing_cluster(tmp_path, local_cluster):
    """--kubeconfig: no embedded cluster; the control plane goes into --namespace there."""
    import base64

    ns = f"up-existing-{os.getpid() % 10000}"
    port = free_port()
    up = UpProcess(
        tmp_path / "d",
        port,
        "--kubeconfig",
        str(local_cluster.kubeconfig_path),
        "--namespace",
        ns,
        "--no-example",
    )
    try:
        up.wait_for_line("Press Ctrl-C to stop.", timeout=90)
        text = "".join(up.output)
        assert "Starting the local cluster" not in text and "guestbook" not in text
        assert not (tmp_path / "d" / "cluster").exists()
        secret = local_cluster.store.get("/v1/secrets", ns, "argocd-initial-admin-secret")
        password = base64.b64decode(secret["data"]["password"]).decode()
        assert f"Admin password:   {password}" in text
        import httpx

        r = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/session",
            json={"username": "admin", "password": password},
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["token"]
    finally:
        assert up.stop() == 0


def test_bootstrap_leaves_foreign_crds_alone(tmp_path):
    """An Argo CD installation's CRDs are never overwritten; Kedge's own are applied."""
    import copy

    from kedge.kube.client import KubeClient
    from kedge.localcluster.cluster import LocalCluster
    from kedge.manifests import crds
    from kedge.up.bootstrap import bootstrap

    with LocalCluster(in_memory=True, kubeconfig_path=tmp_path / "kubeconfig") as lc:
        client = KubeClient.from_kubeconfig(lc.kubeconfig_path)
        foreign = copy.deepcopy(next(c for c in crds() if c["metadata"]["name"] == "appprojects.argoproj.io"))
        foreign["metadata"]["labels"] = {"app.kubernetes.io/part-of": "argocd"}
        client.apply(foreign, field_manager="argocd-server")
        result = bootstrap(client, "argocd")
        assert result.created_secret and result.admin_password
        res = client.resource_for("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        managers = {
            n: {m["manager"] for m in client.get(res, None, n)["metadata"]["managedFields"]}
            for n in ("appprojects.argoproj.io", "applications.argoproj.io")
        }
        assert managers["appprojects.argoproj.io"] == {"argocd-server"}
        assert "kedge-up" in managers["applications.argoproj.io"]
        again = bootstrap(client, "argocd")  # idempotent: the same password, no new secret
        assert not again.created_secret and again.admin_password == result.admin_password
        client.close()


def test_up_without_git_still_starts(tmp_path):
    """No git on PATH: no example (a warning says why), everything else runs."""
    import shutil
    import sys

    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("kedge", "python3"):
        found = shutil.which(tool) or sys.executable
        (bindir / tool).symlink_to(found)
    up = UpProcess(tmp_path / "d", free_port(), env_extra={"PATH": str(bindir)})
    try:
        up.wait_for_line("Press Ctrl-C to stop.", timeout=90)
        text = "".join(up.output)
        assert "Warning: the guestbook example was not created: git is not installed" in text
        assert "Kedge is ready." in text
    finally:
        assert up.stop() == 0
