"""Operations: requesting, running, terminating and recording syncs (and rollbacks).

A sync is requested by writing ``operation`` on the Application, exactly as Argo CD's API does::

    operation:
      sync: {revision, prune, dryRun, resources: [{group, kind, namespace, name}],
             syncOptions: [...], syncStrategy: {apply: {force}} | {hook: {force}}, source(s)}
      initiatedBy: {username: admin} | {automated: true}
      retry: {limit, backoff: {duration, factor, maxDuration}}

The :class:`OperationRunner` (``controller.operation.processors`` workers, default 10) picks it
up, records progress in ``status.operationState`` (phase ``Running``/``Terminating``/
``Succeeded``/``Failed``/``Error``, message, ``syncResult``, ``startedAt``/``finishedAt``,
``retryCount``), and when done clears ``operation`` and appends a successful sync to
``status.history`` (trimmed to ``spec.revisionHistoryLimit``, default 10). An operation found
``Running`` at start-up (a restart mid-sync) is resumed from its recorded state.

Library API for the API server and the CLI: :func:`request_sync`, :func:`terminate_operation`,
:func:`rollback`, :func:`wait`.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kedge.controller import project as projects
from kedge.controller.ownwrites import OwnWrites
from kedge.controller.status import now_iso
from kedge.controller.windows import can_sync
from kedge.controller.workqueue import WorkQueue
from kedge.errors import KedgeError
from kedge.kube.client import MERGE_PATCH, KubeClient, KubeError
from kedge.kube.keys import ResourceKey
from kedge.kube.tracking import Tracking, app_instance_name
from kedge.sync import annotations as ann
from kedge.sync.engine import ERROR, FAILED, RUNNING, SUCCEEDED, TERMINATING, SyncRequest, SyncRun
from kedge.sync.retry import RetryStrategy

if TYPE_CHECKING:
    from kedge.controller.controller import AppController

log = logging.getLogger(__name__)

API_VERSION = "argoproj.io/v1alpha1"
COMPLETED = (SUCCEEDED, FAILED, ERROR)
DEFAULT_HISTORY_LIMIT = 10
DEFAULT_SYNC_TIMEOUT = 3600.0
DELETION_APPROVED = "argocd.argoproj.io/deletion-approved"


class OperationError(KedgeError):
    """A request the API refuses (another operation running, auto-sync on, no such history id...)."""


# -- small helpers -----------------------------------------------------------------------------------
def _res(client: KubeClient, kind: str = "Application"):
    res = client.resource_for(API_VERSION, kind)
    if res is None:
        raise KedgeError(f"the cluster does not serve {API_VERSION} {kind} (are Kedge's CRDs installed?)")
    return res


def get_app(client: KubeClient, namespace: str, name: str) -> dict[str, Any]:
    app = client.get(_res(client), namespace, name)
    if app is None:
        raise KedgeError(f"application {name!r} not found in namespace {namespace!r}")
    return app


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def operation_in_progress(app: dict[str, Any]) -> bool:
    st = (app.get("status") or {}).get("operationState") or {}
    return bool(st) and st.get("phase") not in COMPLETED


def is_automated(app: dict[str, Any]) -> bool:
    auto = ((app.get("spec") or {}).get("syncPolicy") or {}).get("automated")
    return isinstance(auto, dict) and auto.get("enabled", True) is not False


def parse_resource(spec: str | dict[str, str]) -> dict[str, str]:
    """``GROUP:KIND:NAME`` or ``GROUP:KIND:NAMESPACE/NAME`` (``argocd app sync --resource``) or a
    dict -> ``{group, kind, namespace, name}``."""
    if isinstance(spec, dict):
        if not spec.get("kind") or not spec.get("name"):
            raise OperationError(f"resource {spec!r}: kind and name are required")
        return {k: str(spec.get(k) or "") for k in ("group", "kind", "namespace", "name")}
    parts = str(spec).split(":")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise OperationError(f"resource {spec!r}: expected GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME")
    ns, _, name = parts[2].rpartition("/")
    return {"group": parts[0], "kind": parts[1], "namespace": ns, "name": name}


def _initiator(initiated_by: str | None, automated: bool) -> dict[str, Any]:
    return {"automated": True} if automated else {"username": initiated_by or "admin"}


def _write_operation(
    client: KubeClient,
    app: dict[str, Any],
    operation: dict[str, Any],
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Set ``operation`` unless one is pending or running (optimistic concurrency: a concurrent
    status write by the controller is retried, a concurrent operation is refused). ``status``:
    a merge patch of ``status`` written along (the controller starting the operation at once)."""
    meta = app["metadata"]
    for _ in range(8):
        body: dict[str, Any] = {
            "metadata": {"resourceVersion": meta["resourceVersion"]},
            "operation": operation,
        }
        if status:
            body["status"] = status
        try:
            return client.patch(_res(client), meta["namespace"], meta["name"], body, MERGE_PATCH)
        except KubeError as exc:
            if not exc.conflict:
                raise
        app = get_app(client, meta["namespace"], meta["name"])
        meta = app["metadata"]
        if app.get("operation") or operation_in_progress(app):
            raise OperationError("another operation is already in progress")
    raise OperationError("the application keeps changing while the operation is being requested; try again")


# -- the library API ---------------------------------------------------------------------------------
def request_sync(
    client: KubeClient,
    namespace: str,
    name: str,
    *,
    revision: str | list[str] | None = None,
    prune: bool = False,
    dry_run: bool = False,
    resources: list[str | dict[str, str]] | None = None,
    sync_options: list[str] | None = None,
    strategy: dict[str, Any] | None = None,
    retry: dict[str, Any] | None = None,
    initiated_by: str | None = "admin",
    automated: bool = False,
    project: dict[str, Any] | None = None,
    check_windows: bool = True,
) -> dict[str, Any]:
    """Ask for a sync of Application ``namespace/name``; returns the Application as written.

    ``revision``: a revision to sync to (default: the source's ``targetRevision``; a list for
    multi-source apps). ``resources``: selective sync (``GROUP:KIND:NAME`` strings or dicts).
    ``strategy``: ``{"apply": {"force": bool}}`` (no hooks) or ``{"hook": {"force": bool}}``
    (the default). Refused with :class:`OperationError` while another operation runs, or when a
    sync window blocks manual syncs (``check_windows``; ``project`` saves a read).
    """
    app = get_app(client, namespace, name)
    if app.get("operation") or operation_in_progress(app):
        raise OperationError("another operation is already in progress")
    if check_windows:
        proj = project if project is not None else _project(client, namespace, app)
        try:
            decision = can_sync(proj, app, manual=not automated)
        except KedgeError as exc:
            raise OperationError(f"cannot evaluate the project's sync windows: {exc}") from None
        if not decision:
            raise OperationError(f"cannot sync: {decision.message}")
    spec = app.get("spec") or {}
    sync: dict[str, Any] = {}
    if spec.get("sources"):
        revs = revision if isinstance(revision, list) else None
        sync["revisions"] = revs or [s.get("targetRevision") or "HEAD" for s in spec["sources"]]
    else:
        rev = revision[0] if isinstance(revision, list) else revision
        sync["revision"] = rev or (spec.get("source") or {}).get("targetRevision") or "HEAD"
    if prune:
        sync["prune"] = True
    if dry_run:
        sync["dryRun"] = True
    if resources:
        sync["resources"] = [parse_resource(r) for r in resources]
    if sync_options:  # added to the app's spec.syncPolicy.syncOptions (these win)
        sync["syncOptions"] = list(sync_options)
    if strategy:
        if set(strategy) - {"apply", "hook"}:
            raise OperationError(
                f"strategy {strategy!r}: expected {{'apply': {{...}}}} or {{'hook': {{...}}}}"
            )
        sync["syncStrategy"] = strategy
    operation: dict[str, Any] = {"sync": sync, "initiatedBy": _initiator(initiated_by, automated)}
    retry = retry if retry is not None else (spec.get("syncPolicy") or {}).get("retry")
    if retry:
        RetryStrategy.from_dict(retry)  # validates
        operation["retry"] = retry
    return _write_operation(client, app, operation)


def terminate_operation(client: KubeClient, namespace: str, name: str) -> None:
    """Stop the running operation: the runner stops between tasks and records ``Failed`` with
    ``Operation terminated``."""
    app = get_app(client, namespace, name)
    if not operation_in_progress(app) and not app.get("operation"):
        raise OperationError("Unable to terminate operation. No operation is in progress")
    meta = app["metadata"]
    st = (app.get("status") or {}).get("operationState")
    if not st:
        # requested but not picked up yet: drop the request
        body: dict[str, Any] = {"metadata": {"resourceVersion": meta["resourceVersion"]}, "operation": None}
    else:
        body = {
            "metadata": {"resourceVersion": meta["resourceVersion"]},
            "status": {"operationState": {"phase": TERMINATING}},
        }
    client.patch(_res(client), namespace, name, body, MERGE_PATCH)


def rollback(
    client: KubeClient,
    namespace: str,
    name: str,
    history_id: int | None = None,
    *,
    prune: bool = False,
    dry_run: bool = False,
    initiated_by: str | None = "admin",
) -> dict[str, Any]:
    """Sync to the revision and source of ``status.history`` entry ``history_id`` (default: the
    one before the latest). Refused while auto-sync is enabled, like Argo CD."""
    app = get_app(client, namespace, name)
    if is_automated(app):
        raise OperationError("rollback cannot be initiated when auto-sync is enabled")
    if app.get("operation") or operation_in_progress(app):
        raise OperationError("another operation is already in progress")
    history = (app.get("status") or {}).get("history") or []
    if history_id is None:
        if len(history) < 2:
            raise OperationError(f"application {name} has no previous deployment to roll back to")
        entry = history[-2]
    else:
        entry = next((h for h in history if int(h.get("id", -1)) == int(history_id)), None)
        if entry is None:
            raise OperationError(f"application {name} does not have deployment with id {history_id}")
    sync: dict[str, Any] = {}
    if entry.get("revisions"):
        sync["revisions"] = entry["revisions"]
        sync["sources"] = entry.get("sources") or []
    else:
        sync["revision"] = entry.get("revision", "")
        if entry.get("source"):
            sync["source"] = entry["source"]
    if prune:
        sync["prune"] = True
    if dry_run:
        sync["dryRun"] = True
    return _write_operation(client, app, {"sync": sync, "initiatedBy": _initiator(initiated_by, False)})


def wait(
    client: KubeClient,
    namespace: str,
    name: str,
    *,
    health: bool = True,
    sync: bool = True,
    operation: bool = True,
    suspended: bool = False,
    degraded: bool = False,
    timeout: float = 300.0,
    poll: float = 0.5,
) -> dict[str, Any]:
    """Block until the app matches the wanted state (like ``argocd app wait``); returns it.
    ``health``: Healthy (or Suspended/Degraded when asked); ``sync``: Synced; ``operation``: no
    operation pending or running. Raises :class:`KedgeError` on timeout."""
    deadline = time.monotonic() + timeout
    wanted_health = (
        {"Healthy"} | ({"Suspended"} if suspended else set()) | ({"Degraded"} if degraded else set())
    )
    while True:
        app = get_app(client, namespace, name)
        st = app.get("status") or {}
        ok = True
        if operation and (app.get("operation") or operation_in_progress(app)):
            ok = False
        if ok and sync and (st.get("sync") or {}).get("status") != "Synced":
            ok = False
        if ok and health and (st.get("health") or {}).get("status") not in wanted_health:
            ok = False
        if ok:
            return app
        if time.monotonic() >= deadline:
            raise KedgeError(
                f"timed out ({timeout:.0f}s) waiting for app {name!r} match desired state: "
                f"sync {(st.get('sync') or {}).get('status', 'Unknown')}, "
                f"health {(st.get('health') or {}).get('status', 'Unknown')}, "
                f"operation {(st.get('operationState') or {}).get('phase', 'none')}"
            )
        time.sleep(poll)


def _project(client: KubeClient, namespace: str, app: dict[str, Any]) -> dict[str, Any] | None:
    pname = (app.get("spec") or {}).get("project") or "default"
    proj = client.get(_res(client, "AppProject"), namespace, pname)
    if proj is None and pname == "default":
        return projects.DEFAULT_PROJECT
    return proj


def history_entry(
    history: list[dict[str, Any]], operation: dict[str, Any], sync_result: dict[str, Any], started: str
) -> dict[str, Any]:
    """The next ``status.history`` entry for a successful sync."""
    next_id = (max(int(h.get("id", 0)) for h in history) + 1) if history else 0
    entry: dict[str, Any] = {"id": next_id, "deployedAt": now_iso(), "deployStartedAt": started}
    for k in ("revision", "revisions", "source", "sources"):
        if sync_result.get(k):
            entry[k] = sync_result[k]
    entry["initiatedBy"] = operation.get("initiatedBy") or {}
    return entry


def trim_history(history: list[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    limit = DEFAULT_HISTORY_LIMIT if limit is None else max(int(limit), 0)
    return history[-limit:] if limit else []


# -- the runner --------------------------------------------------------------------------------------
class OperationRunner:
    """Executes operations for an :class:`~kedge.controller.controller.AppController`."""

    def __init__(
        self,
        controller: AppController,
        processors: int | None = None,
        wave_delay: float | None = None,
        poll: float | None = None,
        sync_timeout: float | None = None,
    ) -> None:
        self.ctl = controller
        s = controller.settings.current
        self.processors = processors or s.controller_operation_processors
        params = s.params
        env_delay = os.environ.get("ARGOCD_SYNC_WAVE_DELAY")
        self.wave_delay = (
            wave_delay
            if wave_delay is not None
            else float(params.get("controller.sync.wave.delay.seconds") or env_delay or 2.0)
        )
        # health is read from the watch cache, so polling it often is cheap and cuts each sync short
        self.poll = poll if poll is not None else min(0.1, max(self.wave_delay, 0.05))
        timeout = (
            sync_timeout
            if sync_timeout is not None
            else float(params.get("controller.sync.timeout.seconds") or 0)
        )
        self.sync_timeout = timeout if timeout > 0 else DEFAULT_SYNC_TIMEOUT
        self.queue: WorkQueue[str] = WorkQueue()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self.stats: dict[str, float] = {"operations": 0, "succeeded": 0, "failed": 0, "cpu_seconds": 0.0}
        self.last_skip: dict[str, str] = {}  # auto-sync decisions, for the API
        #: this runner's writes the informer has not delivered yet; while one is pending the app
        #: is read from the server
        self._mine = OwnWrites()

    # -- lifecycle ----------------------------------------------------------------------------------
    def attach(self) -> None:
        """Register for Application events (before the informer starts, to see every app)."""
        self.ctl.apps.add_handler(self._on_app)

    def start(self) -> None:
        for i in range(self.processors):
            t = threading.Thread(target=self._worker, name=f"operation-processor-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self.queue.shutdown()

    def _on_app(self, etype: str, new: dict[str, Any] | None, old: dict[str, Any] | None) -> None:
        if new is None:
            if old is not None:
                self._mine.forget((old.get("metadata") or {}).get("name", ""))
            return
        meta = new.get("metadata") or {}
        self._mine.observed(meta.get("name", ""), meta.get("resourceVersion") or "")
        if new.get("operation") or operation_in_progress(new) or meta.get("deletionTimestamp"):
            self.queue.add(meta.get("name", ""))

    def _worker(self) -> None:
        while not self._stop.is_set():
            name = self.queue.get()
            if name is None:
                return
            cpu = time.thread_time()
            try:
                self.process(name)
            except Exception:  # noqa: BLE001 - one app must never stop the others
                log.exception("operation of %s failed", name)
            finally:
                self.stats["cpu_seconds"] += time.thread_time() - cpu
                self.queue.done(name)

    # -- one app ------------------------------------------------------------------------------------
    @property
    def client(self) -> KubeClient:
        return self.ctl.client

    def _patch(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        out = self.client.patch(_res(self.client), self.ctl.namespace, name, body, MERGE_PATCH)
        self._mine.wrote(name, out)
        return out

    def _current(self, name: str) -> dict[str, Any]:
        """The app: the informer's copy (this runner is woken by its events, so that copy has
        the operation) unless this runner's own last write is not delivered yet; then read."""
        if self._mine.pending(name) is None:
            cached = self.ctl.apps.get(name)
            if cached is not None:
                return cached
        return get_app(self.client, self.ctl.namespace, name)

    def process(self, name: str) -> None:
        try:
            app = self._current(name)
        except KedgeError:
            return
        if (app.get("metadata") or {}).get("deletionTimestamp"):
            from kedge.controller.deletion import process_deletion

            process_deletion(self, app)
            return
        op = app.get("operation")
        st = copy.deepcopy((app.get("status") or {}).get("operationState") or {})
        in_progress = bool(st) and st.get("phase") not in COMPLETED
        if not op:
            if in_progress:  # the request vanished (e.g. deleted by hand): close the state
                st.update(
                    phase=FAILED, message="operation was removed before it completed", finishedAt=now_iso()
                )
                self._patch(name, {"status": {"operationState": st}})
            return
        previous: list[dict[str, Any]] | None = None
        if not in_progress or st.get("operation") != op:
            st = {"operation": op, "phase": RUNNING, "message": "", "startedAt": now_iso()}
            self._patch(name, {"status": {"operationState": st}})
        else:
            retry_count = int(st.get("retryCount") or 0)
            if st.get("finishedAt") and retry_count > 0 and st.get("phase") == RUNNING:
                strategy = RetryStrategy.from_dict(op.get("retry"))
                due = _parse_time(st["finishedAt"])
                if due is not None:
                    due += timedelta(seconds=strategy.delay(retry_count - 1))
                    left = (due - datetime.now(UTC)).total_seconds()
                    if left > 0:
                        self.queue.add_after(name, left)
                        return
                st.pop("finishedAt", None)
            else:
                previous = ((st.get("syncResult") or {}).get("resources")) or None  # resume after a restart
            if st.get("phase") == TERMINATING:
                self._finish(app, st, FAILED, "Operation terminated", st.get("syncResult"))
                return
        project = self.ctl.project_of(app)
        if project is None:
            pname = (app.get("spec") or {}).get("project")
            msg = f"Application referencing project {pname} which does not exist"
            self._finish(app, st, FAILED, msg, None)
            return
        try:
            decision = can_sync(
                project,
                app,
                manual=not (op.get("initiatedBy") or {}).get("automated"),
                started=_parse_time(st.get("startedAt")),
            )
        except KedgeError as exc:
            self._finish(app, st, ERROR, f"cannot evaluate the project's sync windows: {exc}", None)
            return
        if not decision:
            msg = f"Sync operation blocked by sync window: {decision.message.removeprefix('blocked by sync window: ')}"
            if st.get("message") != msg:
                self._patch(name, {"status": {"operationState": {"message": msg}}})
            self.queue.add_after(name, max(self.poll * 10, 5.0))
            return
        self.stats["operations"] += 1
        phase, message, sync_result = self._run_sync(app, op, st, previous)
        self._finish(app, st, phase, message, sync_result)

    def _run_sync(
        self,
        app: dict[str, Any],
        op: dict[str, Any],
        st: dict[str, Any],
        previous: list[dict[str, Any]] | None,
    ) -> tuple[str, str, dict[str, Any] | None]:
        name = app["metadata"]["name"]
        spec = app.get("spec") or {}
        sync = op.get("sync") or {}
        multi = bool(spec.get("sources"))
        render_app = copy.deepcopy(app)
        if multi and sync.get("sources"):
            render_app["spec"]["sources"] = sync["sources"]
        elif not multi and sync.get("source"):
            render_app["spec"]["source"] = sync["source"]
        revision = sync.get("revisions") if multi else sync.get("revision")
        settings = self.ctl.settings.current
        try:
            view = self.ctl.clusters.view(spec.get("destination") or {})
            kube_version, api_versions = self.ctl._cluster_versions(view)
            response = self.ctl.repo.generate_manifests(
                render_app,
                revision=revision or None,
                kube_version=kube_version,
                api_versions=api_versions,
                settings=settings.cm,
            )
        except (KedgeError, KubeError) as exc:
            return ERROR, f"Failed to load target state: {exc}", None
        sync_result: dict[str, Any] = {}
        if multi:
            sync_result["revisions"] = list(response.revisions)
            sync_result["sources"] = render_app["spec"].get("sources") or []
        else:
            sync_result["revision"] = response.revisions[0] if response.revisions else ""
            sync_result["source"] = render_app["spec"].get("source") or {}
        instance = app_instance_name(name, app["metadata"].get("namespace", ""), self.ctl.namespace)
        tracking = Tracking(
            settings.resource_tracking_method, settings.instance_label_key, settings.installation_id or ""
        )
        live = {k: e.obj for k, e in view.cache.managed(instance).items() if e.obj is not None}
        options = {
            **ann.parse_options((spec.get("syncPolicy") or {}).get("syncOptions")),
            **ann.parse_options(sync.get("syncOptions")),
        }
        strategy = sync.get("syncStrategy") or {}
        request = SyncRequest(
            prune=bool(sync.get("prune")),
            dry_run=bool(sync.get("dryRun")),
            force=bool((strategy.get("apply") or strategy.get("hook") or {}).get("force")),
            hooks="apply" not in strategy,
            options=options,
            resources=sync.get("resources") or None,
        )
        state = self.ctl.states.get(name)
        out_of_sync: set[ResourceKey] | None = None
        if state is not None and state.result is not None:
            out_of_sync = {r.key for r in state.result.resources if r.status != "Synced"}
        project = self.ctl.project_of(app)
        dest = spec.get("destination") or {}

        def permitted(obj: dict[str, Any], namespaced: bool) -> str | None:
            meta = obj.get("metadata") or {}
            group = (
                str(obj.get("apiVersion", "")).rpartition("/")[0] if "/" in obj.get("apiVersion", "") else ""
            )
            pname = ((project or {}).get("metadata") or {}).get("name", "")
            if not projects.resource_permitted(project, group, obj.get("kind", ""), namespaced):
                return f"resource {group}:{obj.get('kind')} is not permitted in project {pname}"
            if namespaced and not projects.destination_permitted(
                project, view.server, view.name, meta.get("namespace") or ""
            ):
                return f"namespace {meta.get('namespace')} is not permitted in project '{pname}'"
            return None

        def owner_of(key: ResourceKey) -> str | None:
            entry = view.cache.get(key)
            return entry.app if entry is not None else None

        def ignore_pointers(key: ResourceKey) -> list[str]:
            from kedge.diff.ignore import rules_from_application, rules_from_settings

            try:
                rules = rules_from_application(app) + rules_from_settings(settings.cm)
            except KedgeError:
                return []
            out: list[str] = []
            for r in rules:
                if r.matches(key.group, key.kind, key.namespace, key.name):
                    out.extend(r.json_pointers)
            return out

        def stop() -> bool:
            cur = self.ctl.apps.get(name) or {}
            return ((cur.get("status") or {}).get("operationState") or {}).get("phase") == TERMINATING

        def progress(message: str, resources: list[dict[str, Any]]) -> None:
            self._patch(
                name,
                {
                    "status": {
                        "operationState": {
                            "message": message,
                            "syncResult": {**sync_result, "resources": resources},
                        }
                    }
                },
            )

        def prune_confirmed() -> bool:
            cur = self.ctl.apps.get(name) or {}
            return bool(((cur.get("metadata") or {}).get("annotations") or {}).get(DELETION_APPROVED))

        run = SyncRun(
            view.client,
            instance,
            [m for m in response.manifests if isinstance(m, dict)],
            live,
            request,
            tracking=tracking,
            health=self.ctl._health,
            dest_namespace=dest.get("namespace") or "",
            managed_namespace_metadata=(spec.get("syncPolicy") or {}).get("managedNamespaceMetadata"),
            out_of_sync=out_of_sync,
            owner_of=owner_of,
            permitted=permitted,
            ignore_pointers=ignore_pointers,
            wave_delay=self.wave_delay,
            poll=self.poll,
            timeout=self.sync_timeout,
            stop=stop,
            progress=progress,
            prune_confirmed=prune_confirmed,
            previous=previous,
            revision=(sync_result.get("revision") or (sync_result.get("revisions") or [""])[0] or ""),
            started_at=st.get("startedAt") or "",
        )
        outcome = run.run()
        self.stats["cpu_seconds"] += run.pool_cpu
        sync_result["resources"] = outcome.resource_dicts()
        return outcome.phase, outcome.message, sync_result

    def _finish(
        self,
        app: dict[str, Any],
        st: dict[str, Any],
        phase: str,
        message: str,
        sync_result: dict[str, Any] | None,
    ) -> None:
        name = app["metadata"]["name"]
        # first try: the newest copy known (this runner's last write), with its resourceVersion
        # as the precondition; a conflict (someone wrote meanwhile) reads the app
        cur = self._mine.pending(name) or app
        for attempt in range(10):
            if attempt:
                cur = get_app(self.client, self.ctl.namespace, name)
            op = cur.get("operation") or st.get("operation") or {}
            new_state = {**st, "operation": op, "phase": phase, "message": message, "finishedAt": now_iso()}
            if sync_result is not None:
                new_state["syncResult"] = sync_result
            body: dict[str, Any] = {"metadata": {"resourceVersion": cur["metadata"]["resourceVersion"]}}
            retry_count = int(st.get("retryCount") or 0)
            strategy = RetryStrategy.from_dict(op.get("retry")) if op.get("retry") else None
            terminated = message == "Operation terminated"
            if (
                phase in (FAILED, ERROR)
                and strategy is not None
                and strategy.allows(retry_count)
                and not terminated
            ):
                at = datetime.now(UTC) + timedelta(seconds=strategy.delay(retry_count))
                new_state.update(
                    phase=RUNNING,
                    retryCount=retry_count + 1,
                    message=f"{message}. Retrying attempt #{retry_count + 1} at {at.strftime('%H:%M:%S')}.",
                )
                body["status"] = {"operationState": new_state}
                self.queue.add_after(name, strategy.delay(retry_count))
            else:
                body["operation"] = None
                status: dict[str, Any] = {"operationState": new_state}
                if (
                    phase == SUCCEEDED
                    and not (op.get("sync") or {}).get("dryRun")
                    and sync_result is not None
                ):
                    history = list((cur.get("status") or {}).get("history") or [])
                    history.append(history_entry(history, op, sync_result, st.get("startedAt") or now_iso()))
                    status["history"] = trim_history(
                        history, (cur.get("spec") or {}).get("revisionHistoryLimit")
                    )
                body["status"] = status
            try:
                self._patch(name, body)
                if "operation" in body:
                    self.stats["succeeded" if phase == SUCCEEDED else "failed"] += 1
                break
            except KubeError as exc:
                if not exc.conflict:
                    raise
        self.ctl.operation_finished(name)
        self.ctl.queue.add(name)  # compare again now that the cluster changed
