"""Automated sync (``spec.syncPolicy.automated``), decided after each comparison.

As Argo CD:

* only an OutOfSync app without a pending operation and not being deleted is synced;
* without ``prune``, an app whose only differences are resources to prune is left alone;
* a revision is auto-synced once: if the last operation already synced this revision (and the
  same source) it is not attempted again — a failed attempt stays failed until a new commit
  (or a manual sync); with ``selfHeal`` a successful revision is synced again when the live
  state drifts, after a back-off (``controller.self.heal.backoff.timeout.seconds`` 2,
  ``...factor`` 3, ``...cap.seconds`` 300; the attempt count is kept in
  ``operation.sync.selfHealAttemptsCount`` and resets with a new revision); a self-heal
  syncs only the resources that drifted;
* with ``prune`` but not ``allowEmpty``, a sync that would delete every resource is refused;
* sync windows must allow automated syncs;
* the operation carries ``initiatedBy: {automated: true}``, the policy's ``syncOptions`` and
  ``retry``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kedge.controller.operations import (
    _parse_time,
    _write_operation,
    get_app,
    is_automated,
    operation_in_progress,
)
from kedge.controller.status import now_iso
from kedge.controller.windows import can_sync
from kedge.errors import KedgeError
from kedge.kube.client import KubeError
from kedge.sync.retry import self_heal_delay

if TYPE_CHECKING:
    from kedge.controller.controller import AppController, AppState

log = logging.getLogger(__name__)


#: prefix of the auto-sync skip reason that becomes a ``SyncError`` condition (as in Argo CD)
FAILED_ATTEMPT = "Failed sync attempt"


def _param(params: dict[str, str], key: str, default: float) -> float:
    try:
        return float(params.get(key) or default)
    except ValueError:
        return default


def _strip_target(source: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (source or {}).items() if k != "targetRevision"}


def already_attempted(app: dict[str, Any], revisions: list[str]) -> tuple[bool, dict[str, Any]]:
    """Whether the last operation synced these revision(s) of the current source(s) with the
    current sync options; returns (attempted, the last operationState)."""
    st = (app.get("status") or {}).get("operationState") or {}
    result = st.get("syncResult") or {}
    spec = app.get("spec") or {}
    if not st or not result:
        return False, st
    last_options = ((st.get("operation") or {}).get("sync") or {}).get("syncOptions") or []
    automated = ((st.get("operation") or {}).get("initiatedBy") or {}).get("automated")
    if automated and sorted(last_options) != sorted((spec.get("syncPolicy") or {}).get("syncOptions") or []):
        return False, st  # the policy's options changed since: try again
    if spec.get("sources"):
        if result.get("revisions") != revisions:
            return False, st
        same = [_strip_target(s) for s in result.get("sources") or []] == [
            _strip_target(s) for s in spec["sources"]
        ]
        return same, st
    if not revisions or result.get("revision") != revisions[0]:
        return False, st
    return _strip_target(result.get("source")) == _strip_target(spec.get("source")), st


def decide(
    app: dict[str, Any], state: AppState, project: dict[str, Any] | None, params: dict[str, str]
) -> tuple[dict[str, Any] | None, str, float]:
    """(operation to request or None, reason when skipped, seconds after which to look again or 0)."""
    if not is_automated(app):
        return None, "", 0.0
    meta = app.get("metadata") or {}
    if app.get("operation") or operation_in_progress(app):
        return None, "skipping auto-sync: another operation is in progress", 0.0
    if meta.get("deletionTimestamp"):
        return None, "skipping auto-sync: application is being deleted", 0.0
    result = state.result
    if result is None or result.sync_status != "OutOfSync" or not state.revisions:
        return None, "", 0.0
    spec = app.get("spec") or {}
    policy = (spec.get("syncPolicy") or {}).get("automated") or {}
    prune = bool(policy.get("prune"))
    out = [r for r in result.resources if r.status != "Synced" and not r.ignore_extraneous]
    if not prune and out and all(r.requires_pruning for r in out):
        return (
            None,
            "Skipping sync attempt: need to prune extra resources only but automated prune is disabled",
            0.0,
        )
    desired = list(state.revisions)
    shown = desired[0] if len(desired) == 1 else ", ".join(desired)
    attempted, last = already_attempted(app, desired)
    sync: dict[str, Any] = {}
    if attempted:
        phase = last.get("phase")
        if phase != "Succeeded":
            return None, f"{FAILED_ATTEMPT} to {shown}: {last.get('message', '')}", 0.0
        if not policy.get("selfHeal"):
            return None, f"Skipping auto-sync: most recent sync already to {shown}", 0.0
        attempts = int(((last.get("operation") or {}).get("sync") or {}).get("selfHealAttemptsCount") or 0)
        delay = self_heal_delay(
            attempts + 1,
            timeout=_param(params, "controller.self.heal.backoff.timeout.seconds", 2.0),
            factor=_param(params, "controller.self.heal.backoff.factor", 3.0),
            cap=_param(params, "controller.self.heal.backoff.cap.seconds", 300.0),
        )
        finished = _parse_time(last.get("finishedAt"))
        if finished is not None:
            left = delay - (datetime.now(UTC) - finished).total_seconds()
            if left > 0:
                return None, f"Skipping auto-sync: self-heal back-off, next attempt in {left:.1f}s", left
        sync["selfHealAttemptsCount"] = attempts + 1
        sync["resources"] = [
            {"group": r.key.group, "kind": r.key.kind, "namespace": r.key.namespace, "name": r.key.name}
            for r in out
            if not r.requires_pruning or prune
        ]
    if prune and not policy.get("allowEmpty"):
        if result.resources and all(r.requires_pruning for r in result.resources):
            return None, f"Skipping sync attempt to {shown}: auto-sync will wipe out all resources", 0.0
    try:
        decision = can_sync(project, app, manual=False)
    except KedgeError as exc:
        return None, f"Skipping auto-sync: cannot evaluate the project's sync windows: {exc}", 0.0
    if not decision:
        return None, f"Sync prevented by sync window: {decision.message}", 60.0
    if spec.get("sources"):
        sync["revisions"] = desired
    else:
        sync["revision"] = desired[0]
    if prune:
        sync["prune"] = True
    options = (spec.get("syncPolicy") or {}).get("syncOptions")
    if options:
        sync["syncOptions"] = list(options)
    op: dict[str, Any] = {"sync": sync, "initiatedBy": {"automated": True}}
    retry = (spec.get("syncPolicy") or {}).get("retry")
    if retry:
        op["retry"] = retry
    return op, "", 0.0


@dataclass
class Plan:
    """An auto-sync decision for one reconcile: the operation to request (or None), why not,
    when to look again, and the copy of the app it was decided on (whose resourceVersion the
    write must match)."""

    op: dict[str, Any] | None
    reason: str
    again: float
    app: dict[str, Any]


def plan(controller: AppController, app: dict[str, Any], state: AppState) -> Plan | None:
    """Decide on the newest copy the controller has (usually what its last status write
    returned); None when the app is not automated."""
    if not is_automated(app):
        return None
    cached = controller.latest(app["metadata"]["name"]) or app
    op, reason, again = decide(
        cached, state, controller.project_of(cached), controller.settings.current.params
    )
    return Plan(op, reason, again, cached)


def running_state(op: dict[str, Any]) -> dict[str, Any]:
    """``status.operationState`` of an operation the controller requests and starts at once."""
    return {"operation": op, "phase": "Running", "message": "", "startedAt": now_iso()}


def finish(controller: AppController, state: AppState, decided: Plan, written: bool) -> None:
    """After the reconcile's write: ``written`` says whether the planned operation went out with
    it. If it could not (the app changed meanwhile), read the app, decide again and request."""
    name = decided.app["metadata"]["name"]
    op, reason, again = decided.op, decided.reason, decided.again
    if op is not None and written:
        log.info("%s: auto-sync to %s initiated", name, _revision_of(op))
        op = None
    elif op is not None:
        try:
            fresh = get_app(controller.client, controller.namespace, name)
        except KedgeError:
            return
        params = controller.settings.current.params
        op, reason, again = decide(fresh, state, controller.project_of(fresh), params)
        if op is not None:
            try:
                _write_operation(controller.client, fresh, op, status={"operationState": running_state(op)})
                log.info("%s: auto-sync to %s initiated", name, _revision_of(op))
            except (KedgeError, KubeError) as exc:
                log.info("%s: auto-sync not requested: %s", name, exc)
    runner = getattr(controller, "operations", None)
    if runner is not None:
        previous = runner.last_skip.get(name, "")
        runner.last_skip[name] = reason
        if reason != previous and (reason.startswith(FAILED_ATTEMPT) or previous.startswith(FAILED_ATTEMPT)):
            controller.queue.add_after(name, 0.05)  # show (or clear) the SyncError condition
    if again > 0:
        controller.queue.add_after(name, again)
    if reason:
        log.debug("%s: %s", name, reason)


def _revision_of(op: dict[str, Any]) -> Any:
    return op["sync"].get("revision") or op["sync"].get("revisions")
