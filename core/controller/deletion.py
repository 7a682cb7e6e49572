"""Deleting an Application with its resources (cascading delete), as Argo CD does.

An Application with the finalizer ``resources-finalizer.argocd.argoproj.io`` (or
``.../foreground``) deletes its managed resources with foreground propagation when it is
deleted; ``resources-finalizer.argocd.argoproj.io/background`` uses background propagation.
Without one of them, deleting the Application leaves its resources alone.

Order: ``PreDelete`` hooks (rendered from the app's current manifests) run and must succeed;
then every managed resource is deleted, except those annotated with the sync option
``Delete=false`` (``Delete=confirm`` waits for the ``argocd.argoproj.io/deletion-approved``
annotation on the Application); once they are gone, ``PostDelete`` hooks run; then the
finalizer is removed and Kubernetes deletes the Application.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kedge.errors import KedgeError
from kedge.kube.client import KubeError
from kedge.kube.tracking import Tracking, app_instance_name
from kedge.sync import annotations as ann
from kedge.sync import apply as applier
from kedge.sync.engine import SyncRequest, SyncRun, _Stop
from kedge.sync.plan import SyncTask

if TYPE_CHECKING:
    from kedge.controller.operations import OperationRunner

log = logging.getLogger(__name__)

FINALIZER = "resources-finalizer.argocd.argoproj.io"
FOREGROUND_FINALIZER = FINALIZER + "/foreground"
BACKGROUND_FINALIZER = FINALIZER + "/background"
FINALIZERS = (FINALIZER, FOREGROUND_FINALIZER, BACKGROUND_FINALIZER)
RECHECK = 0.5


def _run_hooks(
    runner: OperationRunner,
    view: Any,
    instance: str,
    manifests: list[dict[str, Any]],
    phase: str,
    dest_ns: str,
) -> str | None:
    hooks = [m for m in manifests if isinstance(m, dict) and phase in ann.hook_types(m)]
    if not hooks:
        return None
    settings = runner.ctl.settings.current
    run = SyncRun(
        view.client,
        instance,
        hooks,
        {},
        SyncRequest(),
        tracking=Tracking(
            settings.resource_tracking_method, settings.instance_label_key, settings.installation_id or ""
        ),
        health=runner.ctl._health,
        dest_namespace=dest_ns,
        poll=runner.poll,
        timeout=runner.sync_timeout,
    )
    tasks = [SyncTask(phase, obj, None) for obj in run._prepare_hooks(hooks)]
    try:
        run._execute(tasks)
    except _Stop as stop:
        return stop.message
    return None


def process_deletion(runner: OperationRunner, app: dict[str, Any]) -> None:
    ctl = runner.ctl
    meta = app["metadata"]
    name = meta["name"]
    finalizers = list(meta.get("finalizers") or [])
    ours = [f for f in finalizers if f in FINALIZERS]
    if not ours:
        return
    background = BACKGROUND_FINALIZER in ours
    spec = app.get("spec") or {}
    try:
        view = ctl.clusters.view(spec.get("destination") or {})
    except KedgeError as exc:
        log.warning(
            "%s: destination unavailable (%s); removing the finalizer without deleting resources", name, exc
        )
        _remove_finalizers(runner, app, ours)
        return
    instance = app_instance_name(name, meta.get("namespace", ""), ctl.namespace)
    dest_ns = (spec.get("destination") or {}).get("namespace") or ""
    state = ctl.states.get(name)
    manifests = list(state.manifests) if state is not None else []
    if state is None:  # not compared since the controller started: render for the hooks
        try:
            manifests = list(ctl.repo.generate_manifests(app, settings=ctl.settings.current.cm).manifests)
        except (KedgeError, KubeError) as exc:
            log.warning("%s: cannot render PreDelete/PostDelete hooks: %s", name, exc)
    annotations = meta.get("annotations") or {}
    done_pre = annotations.get("kedge.dev/predelete-done") == "true"
    if not done_pre:
        failure = _run_hooks(runner, view, instance, manifests, ann.PRE_DELETE, dest_ns)
        if failure:
            log.warning("%s: PreDelete hooks failed: %s; the application is not deleted", name, failure)
            runner.queue.add_after(name, 30.0)
            return
        if any(ann.PRE_DELETE in ann.hook_types(m) for m in manifests if isinstance(m, dict)):
            runner._patch(name, {"metadata": {"annotations": {"kedge.dev/predelete-done": "true"}}})
    approved = bool(annotations.get("argocd.argoproj.io/deletion-approved"))
    remaining = 0
    for key, entry in view.cache.managed(instance).items():
        obj = entry.obj
        if obj is None or ann.is_hook(obj):
            continue
        option = ann.sync_options(obj).get("Delete")
        if option == "false":
            continue
        if option == "confirm" and not approved:
            remaining += 1
            continue
        if (obj.get("metadata") or {}).get("deletionTimestamp"):
            remaining += 1
            continue
        try:
            applier.delete(view.client, obj, propagation="Background" if background else "Foreground")
        except KubeError as exc:
            log.warning("%s: could not delete %s: %s", name, key, exc)
        remaining += 1
    if remaining:
        # objects are going away (watch events will update the cache); look again shortly
        runner.queue.add_after(name, RECHECK)
        return
    failure = _run_hooks(runner, view, instance, manifests, ann.POST_DELETE, dest_ns)
    if failure:
        log.warning("%s: PostDelete hooks failed: %s", name, failure)
        runner.queue.add_after(name, 30.0)
        return
    _remove_finalizers(runner, app, ours)


def _remove_finalizers(runner: OperationRunner, app: dict[str, Any], ours: list[str]) -> None:
    name = app["metadata"]["name"]
    for _ in range(5):
        try:
            cur = runner.client.get(
                runner.client.resource_for("argoproj.io/v1alpha1", "Application"), runner.ctl.namespace, name
            )
        except KubeError:
            return
        if cur is None:
            return
        keep = [f for f in cur["metadata"].get("finalizers") or [] if f not in ours]
        body = {
            "metadata": {"resourceVersion": cur["metadata"]["resourceVersion"], "finalizers": keep or None}
        }
        try:
            runner._patch(name, body)
            return
        except KubeError as exc:
            if not exc.conflict:
                raise
