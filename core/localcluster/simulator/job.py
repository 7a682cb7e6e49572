"""The Job controller: runs pods until ``completions`` succeed (``parallelism`` at a time),
replaces failed pods after a back-off, fails the Job past ``backoffLimit`` or
``activeDeadlineSeconds``, honours ``suspend``, and writes ``status`` as batch/v1 does
(startTime, completionTime, active/ready/succeeded/failed/terminating, conditions
SuccessCriteriaMet+Complete or FailureTarget+Failed with their reasons)."""

from __future__ import annotations

from typing import Any

from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator.context import SimContext
from kedge.localcluster.simulator.replicaset import pod_from_template
from kedge.localcluster.simulator.resources import JOBS, PODS

Obj = dict[str, Any]

REASON_COMPLETIONS = "CompletionsReached"
MSG_COMPLETIONS = "Reached expected number of succeeded pods"
REASON_BACKOFF = "BackoffLimitExceeded"
MSG_BACKOFF = "Job has reached the specified backoff limit"
REASON_DEADLINE = "DeadlineExceeded"
MSG_DEADLINE = "Job was active longer than specified deadline"


def job_condition(ctype: str, reason: str, message: str, now: float, status: str = "True") -> Obj:
    ts = m.rfc3339(now)
    return {
        "type": ctype,
        "status": status,
        "lastProbeTime": ts,
        "lastTransitionTime": ts,
        "reason": reason,
        "message": message,
    }


def is_finished(job: Obj) -> str | None:
    """ "Complete" or "Failed" once the Job has that condition, else None."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return cond["type"]
    return None


def _finish_time(pod: Obj) -> float:
    times = [
        m.parse_time(((cs.get("state") or {}).get("terminated") or {}).get("finishedAt"))
        for cs in (pod.get("status") or {}).get("containerStatuses") or []
    ]
    return max([t for t in times if t is not None], default=0.0)


def plan_job(job: Obj, pods: list[Obj], now: float, backoff: float, backoff_cap: float) -> Obj:
    """Decide a Job's next step from its pods. Returns a dict with ``status`` (the new status),
    ``create`` (how many pods to start now), ``delete`` (names of pods to remove) and
    ``wake`` (when to look again, or None)."""
    spec = job.get("spec") or {}
    old = job.get("status") or {}
    completions = spec.get("completions")
    parallelism = spec.get("parallelism")
    parallelism = 1 if parallelism is None else int(parallelism)
    if completions is None and spec.get("parallelism") is None:
        completions = 1
    backoff_limit = spec.get("backoffLimit")
    backoff_limit = 6 if backoff_limit is None else int(backoff_limit)
    on_failure = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") == "OnFailure"

    active = [p for p in pods if m.pod_is_active(p)]
    succeeded = [p for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"]
    failed = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
    restarts = 0
    if on_failure:
        restarts = sum(
            int(cs.get("restartCount") or 0)
            for p in active
            for cs in (p.get("status") or {}).get("containerStatuses") or []
        )
    status: Obj = m.deep_copy(old)
    status.setdefault("conditions", [])
    plan: Obj = {"create": 0, "delete": [], "wake": None, "status": status}
    start = m.parse_time(old.get("startTime"))
    finished = is_finished(job)
    if finished is None and not spec.get("suspend") and start is None:
        start = now
        status["startTime"] = m.rfc3339(now)

    fail_reason = None
    if finished is None:
        if len(failed) + restarts > backoff_limit:
            fail_reason = (REASON_BACKOFF, MSG_BACKOFF)
        elif spec.get("activeDeadlineSeconds") is not None and start is not None:
            deadline = start + int(spec["activeDeadlineSeconds"])
            if now >= deadline:
                fail_reason = (REASON_DEADLINE, MSG_DEADLINE)
            else:
                plan["wake"] = deadline

    done = False
    if finished is None and fail_reason is None:
        if completions is not None:
            done = len(succeeded) >= int(completions)
        else:
            done = bool(succeeded) and not active

    if fail_reason is not None:
        plan["delete"] = [m.name_of(p) for p in active]
        m.set_condition(status, job_condition("FailureTarget", *fail_reason, now))
        m.set_condition(status, job_condition("Failed", *fail_reason, now))
        active = []
    elif done:
        plan["delete"] = [m.name_of(p) for p in active]
        m.set_condition(status, job_condition("SuccessCriteriaMet", REASON_COMPLETIONS, MSG_COMPLETIONS, now))
        m.set_condition(status, job_condition("Complete", REASON_COMPLETIONS, MSG_COMPLETIONS, now))
        status["completionTime"] = m.rfc3339(now)
        active = []
    elif finished is None and spec.get("suspend"):
        plan["delete"] = [m.name_of(p) for p in active]
        m.set_condition(status, job_condition("Suspended", "JobSuspended", "Job suspended", now))
        active = []
    elif finished is None:
        if m.get_condition(status, "Suspended") is not None:
            m.set_condition(status, job_condition("Suspended", "JobResumed", "Job resumed", now, "False"))
        if completions is not None:
            wanted = min(parallelism, int(completions) - len(succeeded))
        else:
            wanted = parallelism if not succeeded else 0
        missing = max(wanted - len(active), 0)
        if missing and failed:
            # pod-failure back-off: 10s, 20s, 40s ... after the latest failure
            delay = min(backoff * 2 ** (len(failed) - 1), backoff_cap)
            ready_at = max(_finish_time(p) for p in failed) + delay
            if now < ready_at:
                plan["wake"] = min(plan["wake"] or ready_at, ready_at)
                missing = 0
        plan["create"] = missing

    status["active"] = len(active) + plan["create"]
    status["ready"] = sum(1 for p in active if m.pod_is_ready(p))
    status["succeeded"] = len(succeeded)
    status["failed"] = len(failed)
    status["terminating"] = 0
    status["uncountedTerminatedPods"] = {}
    for key in ("active", "succeeded", "failed"):
        if not status[key]:
            status.pop(key)
    if not status["conditions"]:
        status.pop("conditions")
    return plan


def ttl_expiry(job: Obj) -> float | None:
    """When the TTL-after-finished controller deletes a finished Job (None: never)."""
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    if ttl is None or is_finished(job) is None:
        return None
    status = job.get("status") or {}
    finished_at = m.parse_time(status.get("completionTime"))
    if finished_at is None:
        times = [
            m.parse_time(c.get("lastTransitionTime"))
            for c in status.get("conditions") or []
            if c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        ]
        finished_at = max((t for t in times if t is not None), default=None)
    return None if finished_at is None else finished_at + int(ttl)


def sync(ctx: SimContext, namespace: str | None, name: str) -> None:
    job = ctx.cache.get(JOBS, namespace, name)
    if job is None or m.is_deleting(job):
        return
    now = ctx.now()
    expiry = ttl_expiry(job)
    if expiry is not None:
        if now >= expiry:
            ctx.delete(JOBS, namespace, name)
        else:
            ctx.requeue_at("job", namespace, name, expiry)
        return
    pods = [p for p in ctx.cache.owned(m.uid_of(job), PODS) if not m.is_deleting(p)]
    plan = plan_job(job, pods, now, ctx.opts.backoff, ctx.opts.backoff_cap)
    for pod_name in plan["delete"]:
        ctx.delete(PODS, namespace, pod_name)
    template = (job.get("spec") or {}).get("template") or {}
    for _ in range(plan["create"]):
        pod = pod_from_template(job, template, f"{name}-")
        labels = pod["metadata"]["labels"]
        labels.setdefault("batch.kubernetes.io/controller-uid", m.uid_of(job))
        labels.setdefault("batch.kubernetes.io/job-name", name)
        labels.setdefault("controller-uid", m.uid_of(job))
        labels.setdefault("job-name", name)
        node = ctx.pick_node(pod)
        if node:
            pod["spec"]["nodeName"] = node
        created = ctx.create(PODS, pod)
        ctx.event(
            job, "Job", "Normal", "SuccessfulCreate", f"Created pod: {m.name_of(created)}", "job-controller"
        )
    current = ctx.cache.get(JOBS, namespace, name) or job
    if (current.get("status") or {}) != plan["status"]:
        body = m.with_status(current, plan["status"])
        was_finished = is_finished(current)
        current = ctx.update_status(JOBS, body)
        if was_finished is None and is_finished(current) == "Complete":
            ctx.event(current, "Job", "Normal", "Completed", "Job completed", "job-controller")
        elif was_finished is None and is_finished(current) == "Failed":
            cond = m.get_condition(current["status"], "Failed") or {}
            ctx.event(
                current,
                "Job",
                "Warning",
                cond.get("reason", "Failed"),
                cond.get("message", ""),
                "job-controller",
            )
    expiry = ttl_expiry(current)
    if expiry is not None:
        ctx.requeue_at("job", namespace, name, expiry)
    if plan["wake"] is not None:
        ctx.requeue_at("job", namespace, name, plan["wake"])
