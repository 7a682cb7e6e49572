"""The reconcile loop: watch Applications, compare each with its destination, write status.

Triggers for a refresh: a new or changed Application (spec, or the
``argocd.argoproj.io/refresh: normal|hard`` annotation), a change of any live object the app
manages (debounced), a settings change, and the resync period (``timeout.reconciliation``,
with jitter). ``controller.status.processors`` worker threads (default 20) reconcile; a key is
never reconciled twice at once.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kedge.controller import autosync
from kedge.controller import project as projects
from kedge.controller.autosync import FAILED_ATTEMPT
from kedge.controller.clusters import ClusterRegistry
from kedge.controller.compare import CompareResult, ServerSideDiffCache, compare_app, condition
from kedge.controller.ownwrites import OwnWrites
from kedge.controller.status import comparison_status, status_patch
from kedge.controller.workqueue import WorkQueue
from kedge.errors import KedgeError
from kedge.health import ResourceOverrides, assess
from kedge.kube.client import MERGE_PATCH, KubeClient, KubeError
from kedge.kube.informer import Informer
from kedge.kube.tracking import Tracking, app_instance_name

log = logging.getLogger(__name__)

API_VERSION = "argoproj.io/v1alpha1"
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
DEBOUNCE = 0.2
DEBOUNCE_OPERATION = 1.0  # the debounce while the app's operation runs, and while it settles
SETTLING = 5.0  # seconds after a sync during which its rollout's changes are collected longer


@dataclass
class AppState:
    """The last comparison of an app, for the API and CLI (diffs, tree)."""

    result: CompareResult | None = None
    revisions: list[str] = field(default_factory=list)
    manifests: list[dict[str, Any]] = field(default_factory=list)
    commit: dict[str, Any] | None = None
    reconciled: float = 0.0
    duration: float = 0.0
    cpu: float = 0.0  # CPU seconds of the last reconcile (this thread only)
    error: str | None = None


class AppController:
    def __init__(
        self,
        client: KubeClient,
        repo: Any,
        settings: Any,
        namespace: str = "argocd",
        processors: int | None = None,
        resync: float | None = None,
    ) -> None:
        self.client = client
        self.repo = repo
        self.settings = settings  # a kedge.settings.SettingsManager
        self.namespace = namespace
        s = settings.current
        self.processors = processors or s.controller_status_processors
        self.resync = resync if resync is not None else s.reconciliation_timeout
        self.apps = Informer(client, API_VERSION, "Application", namespace)
        self.projects = Informer(client, API_VERSION, "AppProject", namespace)
        self.queue: WorkQueue[str] = WorkQueue()
        self._overrides = ResourceOverrides.from_configmap(s.cm)
        self.clusters = ClusterRegistry(
            client, lambda: self.settings.current, on_change=self._on_resource, health=self._health
        )
        self.states: dict[str, AppState] = {}
        self._ssd = ServerSideDiffCache()
        self._next_resync: dict[str, float] = {}
        self._status_subresource: bool | None = None
        self._settling: dict[str, float] = {}  # name -> until when a finished sync settles
        self._own = OwnWrites()  # status writes the Application informer has not delivered yet
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._cluster_info: dict[str, tuple[str, list[str]]] = {}
        self.stats = {"reconciles": 0, "status_writes": 0}
        #: called as ``hook(app, state)`` after each reconcile (auto-sync is one)
        self.on_reconciled: list[Any] = []
        self.operations: Any = None  # the sync OperationRunner, created by start()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, wait: float = 30.0) -> None:
        self.apps.add_handler(self._on_app)
        from kedge.controller.operations import OperationRunner

        if self.operations is None:
            self.operations = OperationRunner(self)
        self.operations.attach()
        self.projects.add_handler(lambda *_: self._refresh_all())
        self.settings.subscribe(self._on_settings)
        self.projects.start()
        self.apps.start()
        self.projects.synced.wait(wait)
        self.apps.synced.wait(wait)
        for i in range(self.processors):
            t = threading.Thread(target=self._worker, name=f"status-processor-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        self.operations.start()
        t = threading.Thread(target=self._resync_loop, name="resync", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self.queue.shutdown()
        if self.operations is not None:
            self.operations.stop()
        self.apps.stop()
        self.projects.stop()
        self.clusters.stop()

    # -- triggers ----------------------------------------------------------------------------
    def _on_app(self, etype: str, new: dict[str, Any] | None, old: dict[str, Any] | None) -> None:
        obj = new or old or {}
        name = (obj.get("metadata") or {}).get("name", "")
        if etype == "DELETED":
            self.states.pop(name, None)
            self._next_resync.pop(name, None)
            self._own.forget(name)
            self._settling.pop(name, None)
            return
        assert new is not None
        self._own.observed(name, (new.get("metadata") or {}).get("resourceVersion") or "")
        refresh = ((new.get("metadata") or {}).get("annotations") or {}).get(REFRESH_ANNOTATION)
        # Not metadata.generation: Applications have no status subresource (as in Argo CD), so every
        # status write bumps it, and comparing it made each of our own writes queue another reconcile.
        if (
            old is None
            or refresh
            or old.get("spec") != new.get("spec")
            or (old.get("metadata") or {}).get("deletionTimestamp")
            != (new.get("metadata") or {}).get("deletionTimestamp")
        ):
            self.queue.add(name)

    def _on_resource(self, key: Any, entry: Any, app_instance: str | None) -> None:
        if not app_instance:
            return
        ns, sep, name = app_instance.partition("_")
        name = name if sep else app_instance
        app = self.apps.get(name)
        # while the app's operation runs, its writes change many objects in a row and the
        # operation's end refreshes the app anyway: collect the changes longer
        busy = app is not None and (app.get("operation") or _operation_running(app))
        settling = self._settling.get(name, 0.0) > time.monotonic()
        self.queue.add_after(name, DEBOUNCE_OPERATION if busy or settling else DEBOUNCE, debounce=True)

    def operation_finished(self, name: str) -> None:
        """Called by the operation runner: the workloads a sync changed roll out for a while
        (ReplicaSets, Pods, status updates); collect their changes longer meanwhile."""
        self._settling[name] = time.monotonic() + SETTLING

    def _on_settings(self, old: Any, new: Any) -> None:
        self._overrides = ResourceOverrides.from_configmap(new.cm)
        self._refresh_all()

    def _refresh_all(self) -> None:
        for app in self.apps.list():
            self.queue.add((app.get("metadata") or {}).get("name", ""))

    def refresh(self, name: str, hard: bool = False) -> None:
        """Ask for a refresh the way the CLI and API do: through the annotation."""
        patch = {"metadata": {"annotations": {REFRESH_ANNOTATION: "hard" if hard else "normal"}}}
        res = self.client.resource_for(API_VERSION, "Application")
        assert res is not None
        self.client.patch(res, self.namespace, name, patch, MERGE_PATCH)

    def _resync_loop(self) -> None:
        while not self._stop.wait(1.0):
            now = time.monotonic()
            for name, due in list(self._next_resync.items()):
                if due <= now:
                    self._next_resync[name] = (
                        now + self.resync + random.uniform(0, self.settings.current.reconciliation_jitter)
                    )
                    self.queue.add(name)

    def _worker(self) -> None:
        while not self._stop.is_set():
            name = self.queue.get()
            if name is None:
                return
            try:
                self.reconcile(name)
            except Exception:  # noqa: BLE001 - one app must never stop the others
                log.exception("reconcile of %s failed", name)
            finally:
                self.queue.done(name)

    # -- reconcile ---------------------------------------------------------------------------
    def _health(self, obj: dict[str, Any]) -> dict[str, str] | None:
        return assess(obj, self._overrides)

    def _cluster_versions(self, view: Any) -> tuple[str, list[str]]:
        cached = self._cluster_info.get(view.server)
        if cached is None:
            v = view.client.version()
            kube_version = f"{v.get('major', '1')}.{str(v.get('minor', '0')).rstrip('+')}.0"
            api_versions = sorted(
                {r.api_version for r in view.client.discover()}
                | {f"{r.api_version}/{r.kind}" for r in view.client.discover()}
            )
            cached = (kube_version, api_versions)
            self._cluster_info[view.server] = cached
        return cached

    def project_of(self, app: dict[str, Any]) -> dict[str, Any] | None:
        name = (app.get("spec") or {}).get("project") or "default"
        proj = self.projects.get(name)
        if proj is None and name == "default":
            return projects.DEFAULT_PROJECT
        return proj

    def reconcile(self, name: str) -> AppState | None:
        app = self.apps.get(name)
        if app is None:
            return None
        started = time.monotonic()
        cpu_started = time.thread_time()
        self.stats["reconciles"] += 1
        meta = app.get("metadata") or {}
        spec = app.get("spec") or {}
        refresh = (meta.get("annotations") or {}).get(REFRESH_ANNOTATION)
        state = self.states.setdefault(name, AppState())
        conditions: list[dict[str, str]] = []
        result: CompareResult | None = None
        revisions: list[str] = []
        source_types: list[str] = []
        project = self.project_of(app)
        settings = self.settings.current
        try:
            if project is None:
                raise _SpecError(
                    f"Application referencing project {spec.get('project')} which does not exist"
                )
            sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
            for src in sources:
                if not projects.source_permitted(project, src.get("repoURL", "")):
                    raise _SpecError(
                        f"application repo {src.get('repoURL')} is not permitted in project '{spec.get('project')}'"
                    )
            dest = spec.get("destination") or {}
            try:
                view = self.clusters.view(dest)
            except KedgeError as exc:
                raise _SpecError(str(exc)) from None
            if not projects.destination_permitted(
                project, view.server, view.name, dest.get("namespace") or ""
            ):
                raise _SpecError(
                    f"application destination server '{view.server}' and namespace '{dest.get('namespace', '')}' "
                    f"do not match any of the allowed destinations in project '{spec.get('project')}'"
                )
            kube_version, api_versions = self._cluster_versions(view)
            response = self.repo.generate_manifests(
                app,
                hard_refresh=refresh == "hard",
                no_revision_cache=bool(refresh),
                kube_version=kube_version,
                api_versions=api_versions,
                settings=settings.cm,
            )
            revisions = list(response.revisions)
            source_types = [s.source_type.capitalize() if s.source_type else "" for s in response.sources]
            state.manifests = response.manifests
            state.commit = response.commit
            tracking = Tracking(
                settings.resource_tracking_method, settings.instance_label_key, settings.installation_id or ""
            )
            result = compare_app(
                app,
                app_instance_name(name, meta.get("namespace", ""), self.namespace),
                response.manifests,
                view,
                project,
                settings.cm,
                self._overrides,
                tracking,
                ssd_cache=self._ssd,
                previous=state.result if refresh != "hard" else None,  # hard: compare everything
            )
            state.error = None
        except _SpecError as exc:
            conditions.append(condition("InvalidSpecError", str(exc)))
            state.error = str(exc)
        except (KedgeError, KubeError) as exc:
            conditions.append(condition("ComparisonError", str(exc)))
            state.error = str(exc)
        state.result = result if result is not None else state.result
        state.revisions = revisions or state.revisions
        skip = self.operations.last_skip.get(name, "") if self.operations is not None else ""
        if skip.startswith(FAILED_ATTEMPT):
            conditions.append(condition("SyncError", skip))
        new_status = comparison_status(app, result, revisions, source_types, conditions, self.namespace)
        # auto-sync is decided before the status is written so that a requested (and started)
        # operation goes out in the same write
        decided = (
            autosync.plan(self, app, state) if result is not None and self.operations is not None else None
        )
        op = decided.op if decided is not None else None
        written = self._write_status(
            app,
            new_status,
            clear_refresh=bool(refresh),
            operation=op,
            base=decided.app if decided is not None else None,
        )
        if decided is not None:
            autosync.finish(self, state, decided, written)
        state.reconciled = time.time()
        state.duration = time.monotonic() - started
        state.cpu = time.thread_time() - cpu_started
        self._next_resync[name] = time.monotonic() + self.resync
        if result is not None:
            for hook in self.on_reconciled:
                try:
                    hook(app, state)
                except Exception:  # noqa: BLE001 - a hook must not break reconciliation
                    log.exception("post-reconcile hook failed for %s", name)
        return state

    def _write_status(
        self,
        app: dict[str, Any],
        new_status: dict[str, Any],
        clear_refresh: bool = False,
        operation: dict[str, Any] | None = None,
        base: dict[str, Any] | None = None,
    ) -> bool:
        """Patch ``status`` when the comparison changed it; ``clear_refresh`` also removes the
        refresh annotation (in the same write, Applications having no status subresource).
        ``operation``: an auto-sync operation to request and start in the same write, on the
        condition that the app is still ``base`` (its resourceVersion); returns whether it was
        written (False: the app changed meanwhile; the status was written without it)."""
        name = app["metadata"]["name"]
        # our last write first, then the informer's copy as it is now (not as it was when the
        # reconcile began): the informer stores an object before it forgets our write of it
        written = self._own.pending(name)
        current = self.apps.get(name) or app
        patch = status_patch(current.get("status"), new_status, max_age=self.resync)
        if written is not None:
            # the informer has not delivered our previous write yet, so its copy may be older
            # than the server's: what differs from either copy is written
            since_ours = status_patch(written.get("status"), new_status, max_age=self.resync)
            if since_ours:
                patch = {**(patch or {}), **since_ours}
        res = self.client.resource_for(API_VERSION, "Application")
        assert res is not None
        if operation is not None and base is not None and self._status_subresource is not True:
            body: dict[str, Any] = {
                "metadata": {"resourceVersion": (base.get("metadata") or {}).get("resourceVersion")},
                "operation": operation,
                "status": {**(patch or {}), "operationState": autosync.running_state(operation)},
            }
            if clear_refresh:
                body["metadata"]["annotations"] = {REFRESH_ANNOTATION: None}
            try:
                merged = self.client.patch(res, self.namespace, name, body, MERGE_PATCH)
            except KubeError as exc:
                if not exc.conflict:
                    raise
            else:
                self.stats["status_writes"] += 1
                self._own.wrote(name, merged)
                return True
        if patch is None and not clear_refresh:
            return False
        out: dict[str, Any] | None = None
        if patch is not None and self._status_subresource is not False:
            try:
                out = self.client.patch(
                    res, self.namespace, name, {"status": patch}, MERGE_PATCH, subresource="status"
                )
                self._status_subresource = True
                self.stats["status_writes"] += 1
                patch = None
            except KubeError as exc:
                if exc.status != 404 or self._status_subresource:
                    raise
                self._status_subresource = False
        body: dict[str, Any] = {}
        if patch is not None:
            body["status"] = patch
        if clear_refresh:
            body["metadata"] = {"annotations": {REFRESH_ANNOTATION: None}}
        if body:
            try:
                out = self.client.patch(res, self.namespace, name, body, MERGE_PATCH)
            except KubeError as exc:
                if "status" in body:
                    raise
                log.warning("could not clear the refresh annotation of %s: %s", name, exc)
            if "status" in body:
                self.stats["status_writes"] += 1
        self._own.wrote(name, out)
        return False

    def latest(self, name: str) -> dict[str, Any] | None:
        """The newest copy of an Application this controller knows: what its own last write
        returned while the informer has not delivered it yet, else the informer's. (A copy
        that turns out older than the server's only costs a refused conditional write.)"""
        return self._own.pending(name) or self.apps.get(name)


def _operation_running(app: dict[str, Any]) -> bool:
    phase = ((app.get("status") or {}).get("operationState") or {}).get("phase")
    return phase in ("Running", "Terminating")


class _SpecError(Exception):
    pass
