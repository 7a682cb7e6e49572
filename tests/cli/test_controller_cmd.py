"""``kedge controller`` (the install's StatefulSet role) as a real process against the local
cluster, rendering in-process or through a ``kedge repo-server`` process: it reconciles the
Applications of its namespace and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
from conftest import kedge_command, wait_for
from gitservers import free_port, wait_port


@pytest.mark.parametrize("repo_server", [False, True], ids=["in-process", "repo-server"])
def test_controller_process_reconciles_and_stops(
    local_cluster, cli_kube, guestbook_repo, kube_namespace, tmp_path, repo_server
):
    from kedge.up.bootstrap import bootstrap

    ns = f"ctl-proc-{os.getpid() % 10000}-{int(repo_server)}"
    bootstrap(cli_kube, ns)
    args = ["--repo-cache-dir", str(tmp_path / "cache")]
    rs = None
    if repo_server:
        port = free_port()
        rs = subprocess.Popen(
            [
                *kedge_command(),
                "repo-server",
                "--address",
                "127.0.0.1",
                "--port",
                str(port),
                "--cache-dir",
                str(tmp_path / "rs-cache"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(port, timeout=30)
        args = ["--repo-server", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        [
            *kedge_command(),
            "controller",
            "--kubeconfig",
            str(local_cluster.kubeconfig_path),
            "--namespace",
            ns,
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        cli_kube.create(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": "gb", "namespace": ns},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": guestbook_repo.url, "path": "guestbook"},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": kube_namespace},
                },
            }
        )
        res = cli_kube.resource_for("argoproj.io/v1alpha1", "Application")
        status = wait_for(
            lambda: (cli_kube.get(res, ns, "gb") or {}).get("status", {}).get("sync"), timeout=60
        )
        assert status["status"] == "OutOfSync" and status["revision"] == guestbook_repo.head()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        if rs is not None:
            rs.terminate()
            rs.wait(timeout=30)
    assert proc.returncode == 0, err
    assert f"kedge controller running (namespace {ns}" in err and "Traceback" not in err
