"""The CronJob controller: creates a Job (``<cronjob>-<minutes since epoch>``) at each
scheduled time, honouring ``suspend``, ``concurrencyPolicy`` (Allow/Forbid/Replace),
``startingDeadlineSeconds``, ``timeZone`` and the successful/failed history limits, and keeps
``status.active``, ``lastScheduleTime`` and ``lastSuccessfulTime``. Missed schedules collapse
into the most recent one, as the real controller does. Time comes from the simulator's clock,
so a ManualClock drives schedules in tests."""

from __future__ import annotations

import datetime as _dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from kedge.localcluster.contract import AlreadyExistsError
from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator.context import SimContext
from kedge.localcluster.simulator.job import is_finished
from kedge.localcluster.simulator.resources import CRONJOBS, JOBS

Obj = dict[str, Any]

SCHEDULED_AT = "batch.kubernetes.io/cronjob-scheduled-timestamp"
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def parse_schedule(cj: Obj) -> tuple[str, _dt.tzinfo]:
    """(cron expression, time zone) from ``spec.schedule`` (with a ``TZ=``/``CRON_TZ=``
    prefix) and ``spec.timeZone``; raises ValueError naming the bad field."""
    spec = cj.get("spec") or {}
    expr = str(spec.get("schedule") or "").strip()
    tzname = spec.get("timeZone")
    for prefix in ("CRON_TZ=", "TZ="):
        if expr.startswith(prefix):
            tzname, _, expr = expr[len(prefix) :].partition(" ")
            expr = expr.strip()
    expr = _MACROS.get(expr, expr)
    if not croniter.is_valid(expr):
        raise ValueError(f"spec.schedule: unparseable cron expression {spec.get('schedule')!r}")
    tz: _dt.tzinfo = _dt.UTC
    if tzname:
        try:
            tz = ZoneInfo(str(tzname))
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"spec.timeZone: unknown time zone {tzname!r}") from err
    return expr, tz


def most_recent_schedule(expr: str, tz: _dt.tzinfo, earliest: float, now: float) -> float | None:
    """The latest scheduled time in (earliest, now], or None."""
    it = croniter(expr, _dt.datetime.fromtimestamp(now, tz=tz) + _dt.timedelta(microseconds=1))
    prev = it.get_prev(_dt.datetime).timestamp()
    return prev if earliest < prev <= now else None


def next_schedule(expr: str, tz: _dt.tzinfo, now: float) -> float:
    return croniter(expr, _dt.datetime.fromtimestamp(now, tz=tz)).get_next(_dt.datetime).timestamp()


def job_name(cj: Obj, scheduled: float) -> str:
    return f"{m.name_of(cj)}-{int(scheduled // 60)}"


def job_from_template(cj: Obj, scheduled: float) -> Obj:
    template = (cj.get("spec") or {}).get("jobTemplate") or {}
    tmeta = template.get("metadata") or {}
    annotations = dict(tmeta.get("annotations") or {})
    annotations[SCHEDULED_AT] = m.rfc3339(scheduled)
    md: Obj = {
        "name": job_name(cj, scheduled),
        "namespace": m.ns_of(cj),
        "annotations": annotations,
        "ownerReferences": [m.controller_ref(cj)],
    }
    if tmeta.get("labels"):
        md["labels"] = dict(tmeta["labels"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": md,
        "spec": m.deep_copy(template.get("spec") or {}),
    }


def _job_ref(job: Obj) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": m.name_of(job),
        "namespace": m.ns_of(job),
        "resourceVersion": job.get("metadata", {}).get("resourceVersion", ""),
        "uid": m.uid_of(job),
    }


def history_to_delete(cj: Obj, jobs: list[Obj]) -> list[str]:
    """Finished Jobs beyond successfulJobsHistoryLimit (3) / failedJobsHistoryLimit (1), oldest first."""
    spec = cj.get("spec") or {}
    out: list[str] = []
    for kind, field, default in (
        ("Complete", "successfulJobsHistoryLimit", 3),
        ("Failed", "failedJobsHistoryLimit", 1),
    ):
        limit = spec.get(field)
        limit = default if limit is None else int(limit)
        done = [j for j in jobs if is_finished(j) == kind]
        done.sort(key=lambda j: ((j.get("status") or {}).get("startTime") or "", m.name_of(j)))
        excess = len(done) - limit
        out += [m.name_of(j) for j in done[: max(excess, 0)]]
    return out


def sync(ctx: SimContext, namespace: str | None, name: str) -> None:
    cj = ctx.cache.get(CRONJOBS, namespace, name)
    if cj is None or m.is_deleting(cj):
        return
    now = ctx.now()
    spec = cj.get("spec") or {}
    jobs = [j for j in ctx.cache.owned(m.uid_of(cj), JOBS) if not m.is_deleting(j)]
    for job_name_ in history_to_delete(cj, jobs):
        ctx.delete(JOBS, namespace, job_name_)
        jobs = [j for j in jobs if m.name_of(j) != job_name_]
    active = [j for j in jobs if is_finished(j) is None]
    status = m.deep_copy(cj.get("status") or {})
    successful = [
        m.parse_time((j.get("status") or {}).get("completionTime"))
        for j in jobs
        if is_finished(j) == "Complete"
    ]
    successful_times = [t for t in successful if t is not None]
    if successful_times:
        last_ok = max(successful_times)
        prev_ok = m.parse_time(status.get("lastSuccessfulTime"))
        if prev_ok is None or last_ok > prev_ok:
            status["lastSuccessfulTime"] = m.rfc3339(last_ok)

    try:
        expr, tz = parse_schedule(cj)
    except ValueError as err:
        expr, tz = "", _dt.UTC
        reason = "UnknownTimeZone" if "timeZone" in str(err) else "InvalidSchedule"
        ctx.event(cj, "CronJob", "Warning", reason, str(err), "cronjob-controller")
    if expr and not spec.get("suspend"):
        earliest = (
            m.parse_time(status.get("lastScheduleTime"))
            or m.parse_time(cj.get("metadata", {}).get("creationTimestamp"))
            or now
        )
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - int(deadline))
        scheduled = most_recent_schedule(expr, tz, earliest, now)
        if scheduled is not None:
            policy = spec.get("concurrencyPolicy") or "Allow"
            if policy == "Forbid" and active:
                scheduled = None  # skipped; the next run is checked when a Job finishes or at the next time
            elif policy == "Replace" and active:
                for j in active:
                    ctx.delete(JOBS, namespace, m.name_of(j))
                active = []
        if scheduled is not None:
            try:
                created = ctx.create(JOBS, job_from_template(cj, scheduled))
                ctx.event(
                    cj,
                    "CronJob",
                    "Normal",
                    "SuccessfulCreate",
                    f"Created job {m.name_of(created)}",
                    "cronjob-controller",
                )
            except AlreadyExistsError:
                created = ctx.cache.get(JOBS, namespace, job_name(cj, scheduled))
            if created is not None and all(m.uid_of(j) != m.uid_of(created) for j in active):
                if is_finished(created) is None:
                    active.append(created)
            status["lastScheduleTime"] = m.rfc3339(scheduled)
        ctx.requeue_at("cronjob", namespace, name, next_schedule(expr, tz, now))

    known = {r.get("uid"): r for r in status.get("active") or []}
    refs = sorted((known.get(m.uid_of(j)) or _job_ref(j) for j in active), key=lambda r: r["name"])
    if refs:
        status["active"] = refs
    else:
        status.pop("active", None)
    if (cj.get("status") or {}) != status:
        current = ctx.cache.get(CRONJOBS, namespace, name) or cj
        body = m.with_status(current, status)
        ctx.update_status(CRONJOBS, body)
