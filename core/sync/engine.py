"""Running a sync: dry-run everything, then phase by phase, wave by wave, apply, prune and run
hooks, waiting for health between waves.

:class:`SyncRun` is given the desired objects (rendered at the operation's revision), the app's
managed live objects, and the request (prune, dry run, selected resources, sync options); it
returns a :class:`SyncOutcome` (phase, message, per-resource results in Argo CD's
``syncResult.resources`` shape). It writes nothing but the objects themselves; the operation
runner (:mod:`kedge.controller.operations`) records progress and results on the Application.

Resuming after a restart: pass the previous ``syncResult.resources`` as ``previous``. Applies are
idempotent (server-side apply of the same object is a no-op); a hook recorded as Succeeded is
not run again, one recorded as Running is waited for (found by its recorded name).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kedge.kube.client import KubeClient, KubeError
from kedge.kube.keys import ResourceKey, key_of
from kedge.kube.tracking import Tracking, set_tracking
from kedge.sync import annotations as ann
from kedge.sync import apply as applier
from kedge.sync.plan import KIND_ORDER, PHASE_ORDER, SyncTask, plan

log = logging.getLogger(__name__)

SYNCED, SYNC_FAILED, PRUNED, PRUNE_SKIPPED = "Synced", "SyncFailed", "Pruned", "PruneSkipped"
RUNNING, SUCCEEDED, FAILED, ERROR, TERMINATING = "Running", "Succeeded", "Failed", "Error", "Terminating"
PROPAGATION = {"foreground": "Foreground", "background": "Background", "orphan": "Orphan"}
HealthFn = Callable[[dict[str, Any]], "dict[str, str] | None"]


@dataclass
class SyncRequest:
    """What the operation asks for (``operation.sync``)."""

    prune: bool = False
    dry_run: bool = False
    force: bool = False
    hooks: bool = True  # False for the ``apply`` strategy: hooks are skipped
    options: dict[str, str] = field(default_factory=dict)  # operation/app syncOptions
    resources: list[dict[str, str]] | None = None  # selective sync: [{group, kind, namespace, name}]


@dataclass
class ResourceResult:
    """One entry of ``syncResult.resources``."""

    key: ResourceKey
    version: str
    status: str
    message: str = ""
    sync_phase: str = ann.SYNC
    hook_type: str = ""
    hook_phase: str = ""
    wave: int = 0
    obj: dict[str, Any] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "group": self.key.group,
            "version": self.version,
            "kind": self.key.kind,
            "namespace": self.key.namespace,
            "name": self.key.name,
            "status": self.status,
            "message": self.message,
            "syncPhase": self.sync_phase,
        }
        if self.hook_type:
            d["hookType"] = self.hook_type
        if self.hook_phase:
            d["hookPhase"] = self.hook_phase
        return d


@dataclass
class SyncOutcome:
    phase: str
    message: str
    resources: list[ResourceResult]

    def resource_dicts(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.resources]


#: shared by every sync of the process: concurrent writes within a wave
_POOL = ThreadPoolExecutor(max_workers=32, thread_name_prefix="sync-write")


def _rank(t: SyncTask) -> tuple[bool, bool, int]:
    return (t.is_prune, t.is_hook, KIND_ORDER.get(t.obj.get("kind", ""), 0))


class _Stop(Exception):
    def __init__(self, phase: str, message: str) -> None:
        super().__init__(message)
        self.phase = phase
        self.message = message


def _unix_seconds(value: str) -> int | None:
    """An RFC 3339 UTC timestamp (``startedAt``) as Unix seconds; None when it is not one."""
    try:
        return int(datetime.strptime(value or "", "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None


def _version(obj: dict[str, Any]) -> str:
    return str(obj.get("apiVersion", "")).rsplit("/", 1)[-1]


def _ptr_get(obj: Any, tokens: list[str]) -> tuple[bool, Any]:
    cur = obj
    for t in tokens:
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list) and t.isdigit() and int(t) < len(cur):
            cur = cur[int(t)]
        else:
            return False, None
    return True, cur


def _ptr_set(obj: Any, tokens: list[str], value: Any) -> None:
    cur = obj
    for t in tokens[:-1]:
        if isinstance(cur, dict):
            cur = cur.setdefault(t, {})
        elif isinstance(cur, list) and t.isdigit() and int(t) < len(cur):
            cur = cur[int(t)]
        else:
            return
    if isinstance(cur, dict):
        cur[tokens[-1]] = copy.deepcopy(value)
    elif isinstance(cur, list) and tokens[-1].isdigit() and int(tokens[-1]) < len(cur):
        cur[int(tokens[-1])] = copy.deepcopy(value)


def _ptr_del(obj: Any, tokens: list[str]) -> None:
    found, parent = _ptr_get(obj, tokens[:-1])
    if found and isinstance(parent, dict):
        parent.pop(tokens[-1], None)


def respect_ignore_differences(
    target: dict[str, Any], live: dict[str, Any] | None, pointers: list[str]
) -> None:
    """``RespectIgnoreDifferences=true``: ignored fields keep their live value (or stay unset)."""
    if live is None:
        return
    for ptr in pointers:
        tokens = [
            t.replace("~1", "/").replace("~0", "~") for t in ptr.lstrip("/").split("/") if ptr.strip("/")
        ]
        if not tokens:
            continue
        found, value = _ptr_get(live, tokens)
        if found:
            _ptr_set(target, tokens, value)
        else:
            _ptr_del(target, tokens)


class SyncRun:
    """One sync of one application to one cluster."""

    def __init__(
        self,
        client: KubeClient,
        app_instance: str,
        targets: list[dict[str, Any]],
        live: dict[ResourceKey, dict[str, Any]],
        request: SyncRequest,
        *,
        tracking: Tracking | None = None,
        health: HealthFn | None = None,
        dest_namespace: str = "",
        managed_namespace_metadata: dict[str, Any] | None = None,
        out_of_sync: set[ResourceKey] | None = None,
        owner_of: Callable[[ResourceKey], str | None] | None = None,
        permitted: Callable[[dict[str, Any], bool], str | None] | None = None,
        ignore_pointers: Callable[[ResourceKey], list[str]] | None = None,
        wave_delay: float = 2.0,
        poll: float = 0.5,
        concurrency: int = 8,
        timeout: float = 3600.0,
        stop: Callable[[], bool] | None = None,
        progress: Callable[[str, list[dict[str, Any]]], None] | None = None,
        prune_confirmed: Callable[[], bool] | None = None,
        previous: list[dict[str, Any]] | None = None,
        revision: str = "",
        started_at: str = "",
    ) -> None:
        self.client = client
        self.app = app_instance
        self.targets = targets
        self.live = live
        self.req = request
        self.tracking = tracking or Tracking()
        self.health = health or (lambda obj: None)
        self.dest_ns = dest_namespace
        self.ns_metadata = managed_namespace_metadata
        self.out_of_sync = out_of_sync
        self.owner_of = owner_of
        self.permitted = permitted
        self.ignore_pointers = ignore_pointers
        self.wave_delay = wave_delay
        self.poll = poll
        self.concurrency = concurrency
        self.pool_cpu = 0.0  # CPU seconds spent in the shared writer pool (for accounting)
        self.deadline = time.monotonic() + timeout if timeout > 0 else float("inf")
        self.timeout = timeout
        self.stop = stop or (lambda: False)
        self.progress = progress
        self.prune_confirmed = prune_confirmed or (lambda: False)
        self.previous = previous or []
        self.revision = revision
        self.op_started_at = started_at  # the operation's startedAt: names generateName hooks
        self.results: dict[int, ResourceResult] = {}  # by id(task)
        self._last_progress = 0.0
        self._created_ns: set[str] = set()
        self._crd_kinds: set[str] = set()
        self._started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- helpers -------------------------------------------------------------------------------
    def _result(self, task: SyncTask, status: str, message: str = "", **kw: Any) -> ResourceResult:
        obj = task.obj
        r = self.results.get(id(task))
        if r is None:
            r = ResourceResult(key_of(obj), _version(obj), status, message, task.phase, wave=task.wave)
            self.results[id(task)] = r
        r.status, r.message = status, message
        if task.is_hook:
            r.hook_type = task.phase
        for k, v in kw.items():
            setattr(r, k, v)
        return r

    def _report(self, message: str, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= 1.0:
            self._last_progress = now
            try:
                self.progress(message, [r.to_dict() for r in self.results.values()])
            except Exception:  # noqa: BLE001 - progress reporting must never break a sync
                log.exception("progress report failed")

    def _check(self, waiting_for: str = "") -> None:
        if self.stop():
            raise _Stop(FAILED, "Operation terminated")
        if time.monotonic() > self.deadline:
            what = f" waiting for {waiting_for}" if waiting_for else ""
            raise _Stop(FAILED, f"operation timed out after {self.timeout:.0f}s{what}")

    def _outcome(self, phase: str, message: str) -> SyncOutcome:
        ordered = sorted(
            self.results.values(),
            key=lambda r: (PHASE_ORDER.get(r.sync_phase, 0), r.wave, r.key.kind, r.key.name),
        )
        return SyncOutcome(phase, message, ordered)

    # -- preparing --------------------------------------------------------------------------------
    def _prepare_hooks(self, objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Normalised copies of ``objs`` (namespace defaulted, tracking set)."""
        return self._normalise(objs)

    def _normalise(self, objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        targets: list[dict[str, Any]] = []
        for raw in objs:
            obj = copy.deepcopy(raw)
            meta = obj.setdefault("metadata", {})
            try:
                res = self.client.resource_for(obj.get("apiVersion", ""), obj.get("kind", ""))
            except KubeError:
                res = None
            if res is not None:
                if res.namespaced and not meta.get("namespace"):
                    meta["namespace"] = self.dest_ns or "default"
                elif not res.namespaced:
                    meta.pop("namespace", None)
            elif not meta.get("namespace") and self.dest_ns:
                meta["namespace"] = self.dest_ns  # a custom resource whose CRD comes in this sync
            if meta.get("name"):  # generateName hooks are named (and tracked) once planned
                set_tracking(obj, self.app, self.tracking)
            targets.append(obj)
        return targets

    def _prepare(self) -> list[SyncTask]:
        self._crd_kinds = {
            f"{(o.get('spec') or {}).get('group')}/{((o.get('spec') or {}).get('names') or {}).get('kind')}"
            for o in self.targets
            if o.get("kind") == "CustomResourceDefinition"
        }
        targets = self._normalise(self.targets)
        if self.ignore_pointers is not None and self.req.options.get("RespectIgnoreDifferences") == "true":
            for obj in targets:
                key = key_of(obj)
                respect_ignore_differences(obj, self.live.get(key), self.ignore_pointers(key))
        selected = self._selected(targets)
        if not self.req.hooks:
            targets = [t for t in targets if not ann.is_hook(t)]
        tasks = plan(
            targets, self.live, app_options=self.req.options, selected=selected, out_of_sync=self.out_of_sync
        )
        for t in tasks:
            if t.target is not None and t.is_hook and not (t.target.get("metadata") or {}).get("name"):
                t.target = self._name_hook(t.target, t.phase)
        if (
            self.req.options.get("CreateNamespace") == "true"
            and self.dest_ns
            and not any(t.get("kind") == "Namespace" and key_of(t).name == self.dest_ns for t in targets)
        ):
            ns_obj: dict[str, Any] = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": self.dest_ns},
            }
            md = self.ns_metadata or {}
            if md.get("labels"):
                ns_obj["metadata"]["labels"] = dict(md["labels"])
            if md.get("annotations"):
                ns_obj["metadata"]["annotations"] = dict(md["annotations"])
            ns_res = self.client.resource_for("v1", "Namespace")
            exists = ns_res is not None and self.client.get(ns_res, None, self.dest_ns) is not None
            if not exists or (md and selected is None):
                task = SyncTask(ann.PRE_SYNC, ns_obj, None, wave_override=-(10**9))
                task.options = {"ServerSideApply": "true"}
                tasks.insert(0, task)
        return tasks

    def _name_hook(self, obj: dict[str, Any], phase: str) -> dict[str, Any]:
        """A ``generateName`` hook gets a name fixed for this operation and phase, as Argo CD
        does (``<generateName><revision[:7]>-<phase>-<operation start, Unix seconds>``, lower
        case): the name is known before the hook is created, so it carries a tracking id, and a
        resumed operation finds the hook it created."""
        meta = obj.get("metadata") or {}
        generate = meta.get("generateName")
        if not generate:
            return obj
        when = _unix_seconds(self.op_started_at) or _unix_seconds(self._started_at)
        rev = self.revision[:7] if len(self.revision) >= 8 else self.revision
        named = copy.deepcopy(obj)
        named["metadata"]["name"] = f"{generate}{rev}-{phase}-{when}".lower()
        named["metadata"].pop("generateName", None)
        set_tracking(named, self.app, self.tracking)
        return named

    def _selected(self, targets: list[dict[str, Any]]) -> set[ResourceKey] | None:
        if self.req.resources is None:
            return None
        keys = {key_of(t) for t in targets} | set(self.live)
        chosen: set[ResourceKey] = set()
        for sel in self.req.resources:
            for k in keys:
                if (
                    k.group == (sel.get("group") or "")
                    and k.kind == sel.get("kind")
                    and k.name == sel.get("name")
                    and (not sel.get("namespace") or sel.get("namespace") == k.namespace)
                ):
                    chosen.add(k)
        return chosen

    def _preflight(self, tasks: list[SyncTask]) -> list[str]:
        problems: list[str] = []
        for t in tasks:
            if t.is_prune:
                continue
            obj = t.obj
            key = key_of(obj)
            try:
                res = self.client.resource_for(obj.get("apiVersion", ""), obj.get("kind", ""))
            except KubeError:
                res = None
            if self.permitted is not None and res is not None:
                why = self.permitted(obj, res.namespaced)
                if why:
                    self._result(t, SYNC_FAILED, why)
                    problems.append(f"{applier.describe(obj)}: {why}")
                    continue
            if (
                self.req.options.get("FailOnSharedResource") == "true"
                and self.owner_of is not None
                and key not in self.live
            ):
                other = self.owner_of(key)
                if other and other != self.app:
                    why = f"{key.kind}/{key.name} is part of applications {other} and {self.app}"
                    self._result(t, SYNC_FAILED, why)
                    problems.append(why)
        return problems

    def _namespace_pending(self, ns: str, tasks: list[SyncTask]) -> bool:
        """Whether ``ns`` does not exist yet but a task of this sync creates it."""
        if not ns or ns in self._created_ns:
            return False
        creates = any(
            t.target is not None and t.obj.get("kind") == "Namespace" and key_of(t.obj).name == ns
            for t in tasks
        )
        if not creates:
            return False
        res = self.client.resource_for("v1", "Namespace")
        return res is not None and self.client.get(res, None, ns) is None

    def _dry_run_one(self, t: SyncTask) -> str | None:
        obj = t.obj
        try:
            if t.is_prune:
                if self.req.prune and t.options.get("Prune") not in ("false",):
                    applier.delete(self.client, obj, propagation=None, dry_run=True)
            elif t.is_hook:
                probe = copy.deepcopy(obj)
                meta = probe["metadata"]
                if meta.get("name"):
                    meta["generateName"] = meta.pop("name")[:50] + "-"
                applier.create(
                    self.client, probe, dry_run=True, validate=t.options.get("Validate") != "false"
                )
            else:
                applier.write(self.client, obj, t.live, t.options, force=self.req.force, dry_run=True)
        except KubeError as exc:
            self._result(t, SYNC_FAILED, str(exc))
            return f"{applier.describe(obj)}: {exc}"
        return None

    def _parallel(self, tasks: list[SyncTask], fn: Callable[[SyncTask], Any]) -> list[Any]:
        """``fn`` over ``tasks`` concurrently (bounded by the shared pool), results in order;
        the first exception is raised once every call has finished."""
        if len(tasks) <= 1 or self.concurrency <= 1:
            return [fn(t) for t in tasks]

        def timed(t: SyncTask) -> Any:
            cpu = time.thread_time()
            try:
                return fn(t)
            finally:
                self.pool_cpu += time.thread_time() - cpu

        futures = [_POOL.submit(timed, t) for t in tasks]
        results: list[Any] = []
        error: BaseException | None = None
        for f in futures:
            try:
                results.append(f.result())
            except BaseException as exc:  # noqa: BLE001 - re-raised below, after all finished
                error = error or exc
                results.append(None)
        if error is not None:
            raise error
        return results

    def _dry_run(self, tasks: list[SyncTask]) -> list[str]:
        failures: list[str] = []
        checks: list[SyncTask] = []
        pending_ns: dict[str, bool] = {}
        for t in tasks:
            obj = t.obj
            key = key_of(obj)
            res = self.client.resource_for(obj.get("apiVersion", ""), obj.get("kind", ""))
            if res is None:
                if (
                    f"{key.group}/{key.kind}" in self._crd_kinds
                    or t.options.get("SkipDryRunOnMissingResource") == "true"
                ):
                    continue
                why = (
                    f"the server could not find the requested resource: {obj.get('kind')} in {obj.get('apiVersion')} "
                    "(is its CustomResourceDefinition installed? SkipDryRunOnMissingResource=true skips this check)"
                )
                self._result(t, SYNC_FAILED, why)
                failures.append(f"{applier.describe(obj)}: {why}")
                continue
            ns = key.namespace
            if ns and res.namespaced:
                if ns not in pending_ns:
                    pending_ns[ns] = self._namespace_pending(ns, tasks)
                if pending_ns[ns]:
                    continue  # the namespace is created by this sync: nothing to dry-run against yet
            checks.append(t)
        failures.extend(f for f in self._parallel(checks, self._dry_run_one) if f)
        return failures

    # -- running ---------------------------------------------------------------------------------
    def run(self) -> SyncOutcome:
        if self.timeout > 0:
            self.deadline = time.monotonic() + self.timeout
        self._started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            tasks = self._prepare()
        except KubeError as exc:
            return self._outcome(ERROR, f"cannot plan the sync: {exc}")
        problems = self._preflight(tasks)
        if problems:
            return self._outcome(
                FAILED, "one or more synchronization tasks are not valid: " + "; ".join(problems)
            )
        failures = self._dry_run(tasks)
        if failures:
            return self._outcome(
                FAILED, "one or more objects failed to apply (dry run), reason: " + "; ".join(failures)
            )
        if self.req.dry_run:
            for t in tasks:
                if t.is_prune:
                    self._prune_result(t, dry=True)
                elif id(t) not in self.results:
                    self._result(
                        t,
                        SYNCED,
                        f"{applier.describe(t.obj)} {applier.verb(t.live, None) if t.live is None else 'configured'} (dry run)",
                    )
            return self._outcome(SUCCEEDED, "successfully synced (dry run)")

        main = [t for t in tasks if t.phase != ann.SYNC_FAIL]
        fail_hooks = [t for t in tasks if t.phase == ann.SYNC_FAIL]
        try:
            self._execute(main)
        except _Stop as stop:
            if stop.message == "Operation terminated":
                self._terminate_hooks()
                return self._outcome(FAILED, stop.message)
            if fail_hooks:
                try:
                    self._execute(fail_hooks)
                except _Stop as inner:
                    return self._outcome(FAILED, f"{stop.message}; SyncFail hooks: {inner.message}")
            return self._outcome(stop.phase, stop.message)
        return self._outcome(SUCCEEDED, "successfully synced (all tasks run)")

    def _execute(self, tasks: list[SyncTask]) -> None:
        groups: list[tuple[tuple[int, int], list[SyncTask]]] = []
        for t in tasks:
            k = (PHASE_ORDER.get(t.phase, 0), t.wave)
            if groups and groups[-1][0] == k:
                groups[-1][1].append(t)
            else:
                groups.append((k, [t]))
        for i, (_, wave_tasks) in enumerate(groups):
            self._check()
            # within a wave, objects of one kind are written concurrently; kinds stay in order
            # (Namespaces and CRDs before what needs them)
            batches: list[list[SyncTask]] = []
            for t in wave_tasks:
                if batches and _rank(batches[-1][0]) == _rank(t):
                    batches[-1].append(t)
                else:
                    batches.append([t])
            for batch in batches:
                self._check()
                self._parallel(batch, self._run_task)
            last = i == len(groups) - 1
            if not last:
                self._report(f"wave {wave_tasks[0].wave} of {wave_tasks[0].phase} applied", force=True)
            self._wait_wave(wave_tasks, resources_too=not last)
            if not last and self.wave_delay > 0:
                time.sleep(self.wave_delay)

    def _previous_hook(self, task: SyncTask) -> dict[str, Any] | None:
        obj = task.obj
        meta = obj.get("metadata") or {}
        key = key_of(obj)
        for p in self.previous:
            if (
                p.get("syncPhase") != task.phase
                or p.get("kind") != key.kind
                or (p.get("group") or "") != key.group
            ):
                continue
            if (p.get("namespace") or "") != key.namespace:
                continue
            if meta.get("name") and p.get("name") == meta["name"]:
                return p
            if (
                not meta.get("name")
                and meta.get("generateName")
                and str(p.get("name", "")).startswith(meta["generateName"])
            ):
                return p
        return None

    def _run_task(self, t: SyncTask) -> None:
        if t.is_prune:
            self._prune(t)
            return
        obj = t.obj
        if t.is_hook:
            self._run_hook(t)
            return
        try:
            result = self._write_with_retry(t)
        except KubeError as exc:
            self._result(t, SYNC_FAILED, str(exc))
            raise _Stop(
                FAILED, f"one or more objects failed to apply, reason: {applier.describe(obj)}: {exc}"
            ) from None
        if obj.get("kind") == "Namespace":
            self._created_ns.add(key_of(obj).name)
        if obj.get("kind") == "CustomResourceDefinition":
            self.client.discover(refresh=True)
        hook_phase = SUCCEEDED if t.phase == ann.PRE_SYNC and obj.get("kind") == "Namespace" else RUNNING
        self._result(
            t,
            SYNCED,
            f"{applier.describe(obj)} {self._verb(t.live, result)}",
            obj=result,
            hook_phase=hook_phase,
        )

    def _verb(self, live: dict[str, Any] | None, result: dict[str, Any]) -> str:
        """created / configured / unchanged; an object that existed without being tracked
        (adopted) was created before this run started."""
        if live is None:
            created = str((result.get("metadata") or {}).get("creationTimestamp") or "")
            if created and created < self._started_at:
                return "configured"
        return applier.verb(live, result)

    def _write_with_retry(self, t: SyncTask) -> dict[str, Any]:
        """Apply; a custom resource whose CRD was just created may need a moment to be served."""
        for attempt in range(50):
            try:
                return applier.write(self.client, t.obj, t.live, t.options, force=self.req.force)
            except KubeError as exc:
                key = key_of(t.obj)
                crd_pending = f"{key.group}/{key.kind}" in self._crd_kinds and exc.status == 404
                if not crd_pending or attempt == 49:
                    raise
                self._check(f"the CustomResourceDefinition of {key.kind} to be served")
                time.sleep(0.2)
                self.client.discover(refresh=True)
        raise AssertionError("unreachable")

    def _prune_result(self, t: SyncTask, dry: bool = False) -> bool:
        """Record why a prune is skipped; True when it must go ahead."""
        opt = t.options.get("Prune")
        if opt == "false":
            self._result(t, PRUNE_SKIPPED, "ignored (no prune)")
            return False
        if not self.req.prune:
            self._result(t, PRUNE_SKIPPED, "ignored (requires pruning)")
            return False
        if dry:
            self._result(t, PRUNED, "pruned (dry run)")
            return False
        return True

    def _prune(self, t: SyncTask) -> None:
        if not self._prune_result(t):
            return
        if t.options.get("Prune") == "confirm":
            while not self.prune_confirmed():
                self._check(f"pruning confirmation of {applier.describe(t.obj)}")
                self._report(f"waiting for pruning confirmation of {applier.describe(t.obj)}")
                time.sleep(self.poll)
        policy = PROPAGATION.get(
            str(t.options.get("PrunePropagationPolicy", "foreground")).lower(), "Foreground"
        )
        try:
            applier.delete(self.client, t.obj, propagation=policy)
        except KubeError as exc:
            self._result(t, SYNC_FAILED, str(exc))
            raise _Stop(
                FAILED, f"one or more objects failed to prune, reason: {applier.describe(t.obj)}: {exc}"
            ) from None
        self._result(t, PRUNED, "pruned", hook_phase=SUCCEEDED)

    def _run_hook(self, t: SyncTask) -> None:
        obj = t.obj
        prev = self._previous_hook(t)
        if prev is not None and prev.get("hookPhase") in (SUCCEEDED, RUNNING):
            # resumed operation: this hook ran (or is running) already
            live_obj = copy.deepcopy(obj)
            live_obj["metadata"]["name"] = prev["name"]
            live_obj["metadata"].pop("generateName", None)
            r = self._result(t, SYNCED, prev.get("message", ""), hook_phase=prev["hookPhase"], obj=live_obj)
            r.key = key_of(live_obj)
            return
        meta = obj["metadata"]
        try:
            if meta.get("name"):
                res = self.client.resource_of(obj)
                existing = self.client.get(res, meta.get("namespace"), meta["name"])
                if existing is not None and ann.BEFORE_HOOK_CREATION in t.delete_policies:
                    applier.delete(self.client, existing, propagation="Background")
                    if not applier.wait_gone(
                        self.client, existing, max(1.0, self.deadline - time.monotonic())
                    ):
                        raise _Stop(FAILED, f"timed out deleting the previous {applier.describe(obj)}")
                    existing = None
                created = (
                    applier.create(self.client, obj, validate=t.options.get("Validate") != "false")
                    if existing is None
                    else applier.write(self.client, obj, existing, t.options)
                )
            else:
                created = applier.create(self.client, obj, validate=t.options.get("Validate") != "false")
        except KubeError as exc:
            self._result(t, SYNC_FAILED, str(exc), hook_phase=FAILED)
            raise _Stop(
                FAILED, f"one or more objects failed to apply, reason: {applier.describe(obj)}: {exc}"
            ) from None
        r = self._result(t, SYNCED, f"{applier.describe(created)} created", hook_phase=RUNNING, obj=created)
        r.key = key_of(created)

    def _hook_state(self, r: ResourceResult) -> tuple[str, str]:
        """(hook phase, message) from the hook's live object."""
        assert r.obj is not None
        res = self.client.resource_of(r.obj)
        live = self.client.get(res, r.key.namespace or None, r.key.name)
        if live is None:
            return FAILED, f"{applier.describe(r.obj)} was deleted before it completed"
        r.obj = live
        h = self.health(live)
        if h is None:
            return SUCCEEDED, r.message
        status, message = h.get("status"), h.get("message") or ""
        if status == "Healthy":
            return SUCCEEDED, message or r.message
        if status == "Degraded":
            return FAILED, message or "hook failed"
        return RUNNING, message or r.message

    def _resource_state(self, r: ResourceResult) -> tuple[str, str]:
        assert r.obj is not None
        res = self.client.resource_of(r.obj)
        live = self.client.get(res, r.key.namespace or None, r.key.name)
        if live is None:
            return "Missing", ""
        h = self.health(live)
        if h is None:
            return "Healthy", ""
        return h.get("status") or "Unknown", h.get("message") or ""

    def _wait_wave(self, tasks: list[SyncTask], resources_too: bool) -> None:
        """Wait for the wave's hooks to complete and (unless it is the very last wave) for its
        resources to be healthy."""
        hooks = [(self.results[id(t)], t) for t in tasks if t.is_hook and id(t) in self.results]
        resources = (
            [self.results[id(t)] for t in tasks if not t.is_hook and not t.is_prune and id(t) in self.results]
            if resources_too
            else []
        )
        pending_hooks = [(r, t) for r, t in hooks if r.hook_phase == RUNNING]
        # an object that reports healthy in the apply response needs no polling
        pending = []
        for r in resources:
            h = self.health(r.obj) if r.obj is not None else None
            if h is not None and h.get("status") not in ("Healthy", "Suspended"):
                pending.append(r)
        failed_hooks: list[str] = []
        while pending_hooks or pending:
            for r, t in list(pending_hooks):
                phase, message = self._hook_state(r)
                if phase != RUNNING:
                    r.hook_phase, r.message = phase, message
                    pending_hooks.remove((r, t))
                    if phase == FAILED:
                        r.status = SYNC_FAILED
                        failed_hooks.append(f"{r.key.group}/{r.key.kind}/{r.key.name}: {message}")
                    self._hook_cleanup(r, t)
            for r in list(pending):
                status, message = self._resource_state(r)
                if status in ("Healthy", "Suspended"):
                    pending.remove(r)
                elif status == "Degraded":
                    r.status = SYNC_FAILED
                    r.message = f"{r.message}; health Degraded: {message}".strip("; ")
                    raise _Stop(
                        FAILED,
                        f"one or more synchronization tasks completed unsuccessfully, reason: "
                        f"{r.key.group}/{r.key.kind}/{r.key.name} is Degraded: {message}",
                    )
            if not pending_hooks and not pending:
                break
            if pending_hooks:
                r = pending_hooks[0][0]
                what = f"completion of hook {r.key.group}/{r.key.kind}/{r.key.name}"
            else:
                r = pending[0]
                what = f"healthy state of {r.key.group}/{r.key.kind}/{r.key.name}"
            self._report(f"waiting for {what}")
            self._check(what)
            time.sleep(self.poll)
        if failed_hooks:
            raise _Stop(
                FAILED,
                "one or more synchronization tasks completed unsuccessfully, reason: "
                + "; ".join(failed_hooks),
            )

    def _hook_cleanup(self, r: ResourceResult, t: SyncTask) -> None:
        policies = t.delete_policies
        if (r.hook_phase == SUCCEEDED and ann.HOOK_SUCCEEDED in policies) or (
            r.hook_phase == FAILED and ann.HOOK_FAILED in policies
        ):
            try:
                applier.delete(self.client, r.obj or {}, propagation="Background")
            except KubeError as exc:
                log.warning("could not delete hook %s: %s", r.key, exc)

    def _terminate_hooks(self) -> None:
        for r in self.results.values():
            if r.hook_type and r.hook_phase == RUNNING and r.obj is not None:
                try:
                    applier.delete(self.client, r.obj, propagation="Background")
                except KubeError as exc:
                    log.warning("could not delete hook %s: %s", r.key, exc)
                r.hook_phase, r.message = "Terminated", "Operation terminated"
