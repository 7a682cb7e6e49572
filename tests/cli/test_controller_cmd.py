"""``kedge controller`` (the install's StatefulSet role) as a real process against the local
cluster: it reconciles Applications of its namespace and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess

from conftest import kedge_command, wait_for


def test_controller_process_reconciles_and_stops(
    local_cluster, cli_kube, guestbook_repo, kube_namespace, tmp_path
):
    from kedge.up.bootstrap import bootstrap

    ns = f"ctl-proc-{os.getpid() % 10000}"
    bootstrap(cli_kube, ns)
    proc = subprocess.Popen(
        [
            *kedge_command(),
            "controller",
            "--kubeconfig",
            str(local_cluster.kubeconfig_path),
            "--namespace",
            ns,
            "--repo-cache-dir",
            str(tmp_path / "cache"),
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
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"kedge controller running (namespace {ns}" in err and "Traceback" not in err
