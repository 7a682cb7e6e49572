"""Auto-sync requests and starts its operation in the reconcile's status write, conditioned on
the app being unchanged; a stale copy costs a read and a second decision, never a second sync."""

from __future__ import annotations

import inspect
import threading

from conftest import wait_for
from test_sync_e2e import application, configmap, files, get_app

from kedge.controller import operations as ops


class PatchLog:
    """Records the Application patches the controller sends and the conflicts it gets."""

    def __init__(self, client, app_name: str) -> None:
        self.bodies: list[dict] = []  # every patch sent
        self.written: list[dict] = []  # the ones the server accepted
        self.conflicts = 0
        self._lock = threading.Lock()
        original = client.patch

        def patch(res, namespace, name, body, *args, **kwargs):
            if res.kind == "Application" and name == app_name:
                with self._lock:
                    self.bodies.append(body)
                try:
                    out = original(res, namespace, name, body, *args, **kwargs)
                except Exception as exc:
                    if getattr(exc, "conflict", False):
                        with self._lock:
                            self.conflicts += 1
                    raise
                with self._lock:
                    self.written.append(body)
                return out
            return original(res, namespace, name, body, *args, **kwargs)

        client.patch = patch

    def operation_writes(self) -> list[dict]:
        """The accepted writes that requested an operation."""
        with self._lock:
            return [b for b in self.written if b.get("operation")]


def _auto(name, ns, url, dest):
    return application(name, ns, url, dest, syncPolicy={"automated": {"prune": True}})


def test_the_operation_goes_out_started_with_the_status_write(
    kube, sync_controller, control_ns, app_repo, kube_namespace
):
    log = PatchLog(sync_controller.client, "merged")
    head = app_repo.commit(files(configmap("one")), "v1")
    kube.apply(_auto("merged", control_ns, app_repo.url, kube_namespace))
    app = ops.wait(kube, control_ns, "merged", timeout=30, poll=0.1)
    assert app["status"]["history"][-1]["revision"] == head

    writes = log.operation_writes()
    assert len(writes) == 1  # one request, not a request and then a separate "Running" write
    body = writes[0]
    assert body["metadata"]["resourceVersion"]  # conditioned on the copy it was decided on
    assert body["operation"]["initiatedBy"] == {"automated": True}
    assert body["status"]["operationState"]["phase"] == "Running"
    assert body["status"]["operationState"]["operation"] == body["operation"]
    assert body["status"]["sync"]["status"] == "OutOfSync"  # the comparison, in the same write
    # the runner did not write "Running" again: it found the operation started
    running_only = [
        b
        for b in log.bodies
        if not b.get("operation")
        and ((b.get("status") or {}).get("operationState") or {}).get("phase") == "Running"
    ]
    assert running_only == []


def test_a_stale_copy_is_read_again_and_synced_once(
    kube, sync_controller, control_ns, app_repo, kube_namespace
):
    first = app_repo.commit(files(configmap("a")), "v1")
    kube.apply(_auto("stale", control_ns, app_repo.url, kube_namespace))
    app = wait_for(
        lambda: (
            (a := ops.wait(kube, control_ns, "stale", timeout=30, poll=0.1))["status"]["history"][-1][
                "revision"
            ]
            == first
            and a
        )
    )
    stale = get_app(kube, control_ns, "stale")
    # the next auto-sync decision is made on an old copy of the app (as if the informer lagged)
    real_latest = sync_controller.latest
    served = []

    def latest(name):
        if name == "stale" and not served:
            if inspect.stack()[1].function == "plan":
                served.append(True)
                return stale
        return real_latest(name)

    sync_controller.latest = latest
    kube.patch(  # the app moves on: its resourceVersion no longer matches the stale copy's
        kube.resource_for("argoproj.io/v1alpha1", "Application"),
        control_ns,
        "stale",
        {"metadata": {"labels": {"touched": "yes"}}},
    )
    log = PatchLog(sync_controller.client, "stale")

    second = app_repo.commit(files(configmap("a", {"k": "2"})), "v2")
    sync_controller.refresh("stale")
    app = wait_for(
        lambda: (
            (a := get_app(kube, control_ns, "stale"))
            .get("status", {})
            .get("history", [{}])[-1]
            .get("revision")
            == second
            and not a.get("operation")
            and a
        ),
        timeout=30,
    )
    assert served and log.conflicts >= 1  # the write conditioned on the stale copy was refused...
    requested = [b for b in log.operation_writes() if b["operation"]["sync"].get("revision") == second]
    assert len(requested) == 1  # ...and the sync was requested once, after reading the app
    assert [h["revision"] for h in app["status"]["history"]] == [first, second]
    assert app["metadata"]["labels"]["touched"] == "yes"
