"""The simulated kubelet: drives each pod's ``status`` through the life a real node would give
it, and the failure injections declared in manifests.

Life of a pod (``t0`` = when the kubelet first sees it, ``delay`` = start-up delay):

* before ``t0 + delay``: ``Pending``, containers waiting ``ContainerCreating``;
* then ``Running`` with every container running and ``Ready``; pods with restartPolicy
  ``Never``/``OnFailure`` run for ``job_duration`` seconds, then ``Succeeded`` (exit 0);
* image tag ``:crashloop`` (or ``kedge.dev/simulate-fail`` with restartPolicy Always/OnFailure):
  ``CrashLoopBackOff`` with restartCount growing on the kubelet's doubling back-off;
* image tag ``:missing``: ``ErrImagePull``, then ``ImagePullBackOff``; the pod stays Pending;
* ``kedge.dev/simulate-fail: "true"`` with restartPolicy Never: the container exits 1 and the
  pod is ``Failed``;
* ``kedge.dev/simulate-delay: "5s"`` overrides the start-up delay for one pod;
  ``kedge.dev/simulate-duration: "3s"`` overrides how long a run-to-completion pod runs.

:func:`pod_status` is pure: (pod, time, options, addresses) -> (status, next wake-up time).
"""

from __future__ import annotations

from typing import Any

from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator.context import KUBELET, SCHEDULER, SimContext, SimulatorOptions
from kedge.localcluster.simulator.resources import PODS

Obj = dict[str, Any]

ANN_FAIL = "kedge.dev/simulate-fail"
ANN_DELAY = "kedge.dev/simulate-delay"
ANN_DURATION = "kedge.dev/simulate-duration"
TAG_CRASHLOOP = "crashloop"
TAG_MISSING = "missing"


# -- images ---------------------------------------------------------------------------------


def normalise_image(image: str) -> str:
    """``nginx`` -> ``docker.io/library/nginx:latest``, as the container runtime reports it."""
    ref = image or ""
    name, digest = (ref.split("@", 1) + [""])[:2]
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and not digest:
        name += ":latest"
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif not ("." in first or ":" in first or first == "localhost"):
        name = "docker.io/" + name
    return name + ("@" + digest if digest else "")


def image_tag(image: str) -> str:
    name = (image or "").split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def image_id(image: str) -> str:
    full = normalise_image(image)
    repo = full.split("@", 1)[0]
    last = repo.rsplit("/", 1)[-1]
    if ":" in last:
        repo = repo[: len(repo) - len(last)] + last.split(":", 1)[0]
    return f"{repo}@sha256:{m.sha_hex('image:' + full)}"


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "y", "on")


# -- the state machine ----------------------------------------------------------------------


def restart_policy(pod: Obj) -> str:
    return (pod.get("spec") or {}).get("restartPolicy") or "Always"


def startup_delay(pod: Obj, opts: SimulatorOptions) -> float:
    value = m.parse_duration(m.annotations_of(pod).get(ANN_DELAY))
    return opts.pod_startup_delay if value is None else max(value, 0.0)


def run_duration(pod: Obj, opts: SimulatorOptions) -> float:
    value = m.parse_duration(m.annotations_of(pod).get(ANN_DURATION))
    return opts.job_duration if value is None else max(value, 0.0)


def crash_schedule(first_exit: float, now: float, opts: SimulatorOptions) -> tuple[int, float, float, float]:
    """For a container crashing at ``first_exit`` and on every restart: (restartCount, time of
    the latest exit, current back-off seconds, next restart time)."""
    exit_at = first_exit
    backoff = max(opts.backoff, 0.001)
    count = 1
    for _ in range(10000):
        nxt = exit_at + backoff
        if nxt > now:
            break
        exit_at = nxt
        count += 1
        backoff = min(backoff * 2, max(opts.backoff_cap, opts.backoff))
    return count, exit_at, backoff, exit_at + backoff


def qos_class(pod: Obj) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    requests_any = False
    guaranteed = bool(containers)
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            requests_any = True
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and req[r] != lim[r]):
                guaranteed = False
    if not requests_any:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _cond(
    ctype: str, status: str, since: float, reason: str | None = None, message: str | None = None
) -> Obj:
    cond: Obj = {
        "type": ctype,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": m.rfc3339(since),
    }
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def _container_id(pod: Obj, name: str, restart: int) -> str:
    return "containerd://" + m.sha_hex(f"{m.uid_of(pod)}/{name}/{restart}")


def unschedulable_status(pod: Obj, node_count: int, now: float) -> Obj:
    status = m.deep_copy(pod.get("status") or {})
    status["phase"] = "Pending"
    status.setdefault("qosClass", qos_class(pod))
    msg = (
        f"0/{node_count} nodes are available: {node_count} node(s) didn't match Pod's node affinity/selector. "
        f"preemption: 0/{node_count} nodes are available: {node_count} Preemption is not helpful for scheduling."
    )
    old = m.get_condition(status, "PodScheduled")
    since = m.parse_time(old.get("lastTransitionTime")) if old and old.get("status") == "False" else now
    status["conditions"] = [_cond("PodScheduled", "False", since or now, "Unschedulable", msg)]
    return status


def pod_status(
    pod: Obj,
    now: float,
    opts: SimulatorOptions,
    host_ip: str,
    pod_ip: str | None,
    first_seen: float | None = None,
) -> tuple[Obj, float | None]:
    """The status the kubelet reports at ``now``, and when it will next change (or None).
    ``first_seen``: when the kubelet first saw the pod (sub-second; ``status.startTime`` has
    only whole seconds), default ``status.startTime`` or ``now``."""
    old = pod.get("status") or {}
    phase = old.get("phase")
    if phase in ("Succeeded", "Failed"):
        return old, None
    spec = pod.get("spec") or {}
    t0 = first_seen or m.parse_time(old.get("startTime")) or now
    delay = startup_delay(pod, opts)
    t_run = t0 + delay
    policy = restart_policy(pod)
    fail = truthy(m.annotations_of(pod).get(ANN_FAIL))
    containers = spec.get("containers") or []
    init_containers = spec.get("initContainers") or []
    wake: list[float] = []

    status: Obj = {}
    old_conds = {c.get("type"): c for c in old.get("conditions") or []}
    started = now >= t_run
    container_statuses: list[Obj] = []
    all_ready = True
    pulling_failed = False
    terminal: str | None = None
    end_time = t_run + run_duration(pod, opts)
    unready: list[str] = []

    for c in containers:
        cname = c.get("name", "")
        image = c.get("image", "")
        tag = image_tag(image)
        cs: Obj = {
            "name": cname,
            "image": normalise_image(image),
            "imageID": "",
            "lastState": {},
            "ready": False,
            "restartCount": 0,
            "started": False,
        }
        if not started:
            cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
        elif tag == TAG_MISSING:
            pulling_failed = True
            repo = normalise_image(image)
            if now < t_run + opts.backoff:
                cs["state"] = {
                    "waiting": {
                        "reason": "ErrImagePull",
                        "message": f'rpc error: code = NotFound desc = failed to pull and unpack image "{repo}": '
                        f'failed to resolve reference "{repo}": {repo}: not found',
                    }
                }
                wake.append(t_run + opts.backoff)
            else:
                cs["state"] = {
                    "waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}
                }
        elif (tag == TAG_CRASHLOOP or fail) and policy in ("Always", "OnFailure"):
            count, last_exit, backoff, next_restart = crash_schedule(t_run, now, opts)
            wake.append(next_restart)
            cs["imageID"] = image_id(image)
            cs["containerID"] = _container_id(pod, cname, count)
            cs["restartCount"] = count
            cs["lastState"] = {
                "terminated": {
                    "exitCode": 1,
                    "reason": "Error",
                    "startedAt": m.rfc3339(last_exit),
                    "finishedAt": m.rfc3339(last_exit),
                    "containerID": _container_id(pod, cname, count),
                }
            }
            cs["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off {_fmt_seconds(backoff)} restarting failed container={cname} "
                    f"pod={m.name_of(pod)}_{m.ns_of(pod)}({m.uid_of(pod)})",
                }
            }
        else:
            cs["imageID"] = image_id(image)
            cs["containerID"] = _container_id(pod, cname, 0)
            if policy in ("Never", "OnFailure") and now >= end_time:
                code = 1 if (fail or tag == TAG_CRASHLOOP) else 0
                cs["state"] = {
                    "terminated": {
                        "exitCode": code,
                        "reason": "Error" if code else "Completed",
                        "startedAt": m.rfc3339(t_run),
                        "finishedAt": m.rfc3339(end_time),
                        "containerID": cs["containerID"],
                    }
                }
                if code:
                    terminal = "Failed"
                elif terminal is None:
                    terminal = "Succeeded"
            else:
                cs["state"] = {"running": {"startedAt": m.rfc3339(t_run)}}
                cs["ready"] = True
                cs["started"] = True
                if policy in ("Never", "OnFailure"):
                    wake.append(end_time)
        if not cs["ready"]:
            all_ready = False
            unready.append(cname)
        container_statuses.append(cs)
    container_statuses.sort(key=lambda s: s["name"])
    # a container that was already running keeps its reported start (stable across restarts)
    previous = {cs.get("name"): cs for cs in old.get("containerStatuses") or []}
    for cs in container_statuses:
        before = ((previous.get(cs["name"]) or {}).get("state") or {}).get("running") or {}
        if "running" in cs["state"] and before.get("startedAt"):
            cs["state"]["running"]["startedAt"] = before["startedAt"]

    if not started:
        wake.append(t_run)

    # a run-to-completion pod is terminal once every container has exited
    if terminal and not any("terminated" not in cs["state"] for cs in container_statuses):
        phase = terminal
    elif started and not pulling_failed:
        phase = "Running"
    else:
        phase = "Pending"

    if phase in ("Succeeded", "Failed"):
        for cs in container_statuses:
            cs["ready"] = False
            cs["started"] = False

    init_statuses = []
    for c in init_containers:
        cname = c.get("name", "")
        image = c.get("image", "")
        ics: Obj = {
            "name": cname,
            "image": normalise_image(image),
            "imageID": "",
            "lastState": {},
            "ready": False,
            "restartCount": 0,
            "started": False,
        }
        if started:
            ics["imageID"] = image_id(image)
            ics["containerID"] = _container_id(pod, cname, 0)
            ics["ready"] = True
            ics["state"] = {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": m.rfc3339(t0),
                    "finishedAt": m.rfc3339(t_run),
                    "containerID": ics["containerID"],
                }
            }
        else:
            ics["state"] = {"waiting": {"reason": "PodInitializing"}}
        init_statuses.append(ics)

    def keep(ctype: str, value: str, since: float) -> float:
        prev = old_conds.get(ctype)
        if prev is not None and prev.get("status") == value:
            return m.parse_time(prev.get("lastTransitionTime")) or since
        return since

    scheduled_at = m.parse_time((old_conds.get("PodScheduled") or {}).get("lastTransitionTime")) or t0
    conds: list[Obj] = []
    sandbox = "False" if phase in ("Succeeded", "Failed") else "True"
    conds.append(
        _cond(
            "PodReadyToStartContainers",
            sandbox,
            keep("PodReadyToStartContainers", sandbox, now if sandbox == "False" else t0),
        )
    )
    initialized = "True" if (started or not init_containers) else "False"
    if initialized == "True":
        conds.append(
            _cond("Initialized", "True", keep("Initialized", "True", t_run if init_containers else t0))
        )
    else:
        names = ", ".join(c.get("name", "") for c in init_containers)
        conds.append(
            _cond(
                "Initialized",
                "False",
                keep("Initialized", "False", t0),
                "ContainersNotInitialized",
                f"containers with incomplete status: [{names}]",
            )
        )
    if phase == "Succeeded" or phase == "Failed":
        reason = "PodCompleted" if phase == "Succeeded" else "PodFailed"
        ready_cond = _cond("Ready", "False", keep("Ready", "False", end_time), reason)
        cready_cond = _cond("ContainersReady", "False", keep("ContainersReady", "False", end_time), reason)
    elif all_ready and containers:
        ready_cond = _cond("Ready", "True", keep("Ready", "True", t_run))
        cready_cond = _cond("ContainersReady", "True", keep("ContainersReady", "True", t_run))
    else:
        msg = f"containers with unready status: [{' '.join(unready)}]"
        ready_cond = _cond("Ready", "False", keep("Ready", "False", t0), "ContainersNotReady", msg)
        cready_cond = _cond(
            "ContainersReady", "False", keep("ContainersReady", "False", t0), "ContainersNotReady", msg
        )
    conds += [ready_cond, cready_cond, _cond("PodScheduled", "True", scheduled_at)]

    status["conditions"] = conds
    status["containerStatuses"] = container_statuses
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    status["hostIP"] = host_ip
    status["hostIPs"] = [{"ip": host_ip}]
    status["phase"] = phase
    if pod_ip and started:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    status["qosClass"] = old.get("qosClass") or qos_class(pod)
    status["startTime"] = m.rfc3339(t0)
    future = [w for w in wake if w > now]
    return status, (min(future) if future and phase not in ("Succeeded", "Failed") else None)


def _fmt_seconds(seconds: float) -> str:
    """Go's time.Duration formatting for whole and fractional seconds (``10s``, ``2m40s``)."""
    if seconds < 1:
        return f"{int(round(seconds * 1000))}ms"
    total = int(round(seconds))
    mins, secs = divmod(total, 60)
    return f"{mins}m{secs}s" if mins else f"{secs}s"


def kubelet_events(pod: Obj, old: Obj, new: Obj) -> list[tuple[str, str, str]]:
    """The (type, reason, message) Events the kubelet records for a status change."""
    images = {c.get("name"): c.get("image", "") for c in (pod.get("spec") or {}).get("containers") or []}
    olds = {cs.get("name"): cs for cs in old.get("containerStatuses") or []}
    out: list[tuple[str, str, str]] = []
    for cs in new.get("containerStatuses") or []:
        name = cs.get("name", "")
        image = images.get(name, "")
        prev = olds.get(name) or {}
        pstate, state = prev.get("state") or {}, cs.get("state") or {}
        ran_before = "running" in pstate or "terminated" in pstate or prev.get("restartCount")
        waiting = (state.get("waiting") or {}).get("reason")
        was_waiting = (pstate.get("waiting") or {}).get("reason")
        started_now = (
            "running" in state or "terminated" in state or waiting == "CrashLoopBackOff"
        ) and not ran_before
        if started_now:
            out.append(("Normal", "Pulled", f'Container image "{image}" already present on machine'))
            out.append(("Normal", "Created", f"Created container: {name}"))
            out.append(("Normal", "Started", f"Started container {name}"))
        if waiting == "CrashLoopBackOff" and int(cs.get("restartCount") or 0) > int(
            prev.get("restartCount") or 0
        ):
            out.append(
                (
                    "Warning",
                    "BackOff",
                    f"Back-off restarting failed container {name} in pod "
                    f"{m.name_of(pod)}_{m.ns_of(pod)}({m.uid_of(pod)})",
                )
            )
        if waiting == "ErrImagePull" and was_waiting != "ErrImagePull":
            message = (state.get("waiting") or {}).get("message", "")
            out.append(("Normal", "Pulling", f'Pulling image "{image}"'))
            out.append(("Warning", "Failed", f'Failed to pull image "{image}": {message}'))
            out.append(("Warning", "Failed", "Error: ErrImagePull"))
        if waiting == "ImagePullBackOff" and was_waiting != "ImagePullBackOff":
            out.append(("Normal", "BackOff", f'Back-off pulling image "{image}"'))
            out.append(("Warning", "Failed", "Error: ImagePullBackOff"))
    return out


# -- the controller -------------------------------------------------------------------------


def sync(ctx: SimContext, namespace: str | None, name: str) -> None:
    pod = ctx.cache.get(PODS, namespace, name)
    if pod is None or m.is_deleting(pod):
        return
    spec = pod.get("spec") or {}
    node = spec.get("nodeName")
    now = ctx.now()
    if not node:
        chosen = ctx.pick_node(pod)
        if chosen is None:
            status = unschedulable_status(pod, len(ctx.opts.node_names()), now)
            if status != (pod.get("status") or {}):
                body = m.with_status(pod, status)
                ctx.update_status(PODS, body, manager=SCHEDULER)
            return
        body = m.deep_copy(pod)
        body["spec"]["nodeName"] = chosen
        pod = ctx.update(PODS, body, manager=SCHEDULER)
        node = chosen
    host_ip = ctx.node_ip(node)
    if host_ip is None:
        return  # bound to a node this simulator does not run: nobody reports its status
    old = pod.get("status") or {}
    pod_ip = old.get("podIP")
    t0 = ctx.first_seen(pod, now)
    delay = startup_delay(pod, ctx.opts)
    if old.get("phase") == "Running" and now < t0 + delay:
        # someone already reports it Running: take it as started, never move it back to Pending
        t0 = ctx.first_seen(pod, now - delay, reset=True)
    if not pod_ip and old.get("phase") not in ("Succeeded", "Failed") and now >= t0 + delay:
        pod_ip = ctx.allocate_pod_ip(pod)
    status, wake = pod_status(pod, now, ctx.opts, host_ip, pod_ip, t0)
    if status != old:
        ctx.update_status(PODS, m.with_status(pod, status), manager=KUBELET)
        if not old.get("startTime"):
            ctx.event(
                pod,
                "Pod",
                "Normal",
                "Scheduled",
                f"Successfully assigned {namespace}/{name} to {node}",
                "default-scheduler",
            )
        for type_, reason, message in kubelet_events(pod, old, status):
            ctx.event(pod, "Pod", type_, reason, message, KUBELET, host=node)
    if wake is not None:
        ctx.requeue_at("pod", namespace, name, wake)
