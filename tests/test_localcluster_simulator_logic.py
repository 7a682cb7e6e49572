"""The simulator's decisions on plain dicts: rollout arithmetic, status computation, the
kubelet's state machine, Job and CronJob planning, Endpoints, and the queue machinery."""

from __future__ import annotations

import threading
import time
from typing import Any

from kedge.localcluster.simulator import ManualClock, SimulatorOptions, kubelet
from kedge.localcluster.simulator import cronjob as cj
from kedge.localcluster.simulator import deployment as dep
from kedge.localcluster.simulator import job as jobmod
from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator import replicaset as rsmod
from kedge.localcluster.simulator import service as svcmod
from kedge.localcluster.simulator.cache import ObjectCache
from kedge.localcluster.simulator.workqueue import TimerQueue, WorkQueue

Obj = dict[str, Any]
NOW = 1_700_000_000.0


def deploy(
    replicas: int = 4, surge: Any = "25%", unavailable: Any = "25%", generation: int = 1, **status: Any
) -> Obj:
    return {
        "metadata": {"name": "web", "namespace": "default", "uid": "d-uid", "generation": generation},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "v2"}]},
            },
        },
        "status": status,
    }


def rs(
    name: str,
    replicas: int,
    available: int | None = None,
    ready: int | None = None,
    created: str = "2024-01-01T00:00:00Z",
    image: str = "v1",
    revision: int = 1,
) -> Obj:
    available = replicas if available is None else available
    return {
        "metadata": {
            "name": name,
            "uid": name + "-uid",
            "creationTimestamp": created,
            "annotations": {dep.REVISION: str(revision)},
            "generation": 1,
        },
        "spec": {
            "replicas": replicas,
            "template": {
                "metadata": {"labels": {"app": "web", "pod-template-hash": name}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
        },
        "status": {
            "replicas": replicas,
            "readyReplicas": available if ready is None else ready,
            "availableReplicas": available,
            "observedGeneration": 1,
        },
    }


def test_fenceposts_round_surge_up_and_unavailable_down() -> None:
    assert dep.resolve_fenceposts(deploy(replicas=10)) == (3, 2)
    assert dep.resolve_fenceposts(deploy(replicas=1)) == (1, 0)
    assert dep.resolve_fenceposts(deploy(replicas=3, surge=0, unavailable=0)) == (0, 1)
    assert dep.max_unavailable(deploy(replicas=2, unavailable=5)) == 2


def test_pod_template_hash_ignores_hash_label_and_is_stable() -> None:
    d = deploy()
    h = dep.template_hash(d)
    assert h == dep.template_hash(deploy())
    assert len(h) >= 8 and set(h) <= set("bcdfghjklmnpqrstvwxz2456789")
    d2 = deploy()
    d2["spec"]["template"]["spec"]["containers"][0]["image"] = "v3"
    assert dep.template_hash(d2) != h
    new = dep.new_replica_set(d, 1, 2)
    assert new["metadata"]["name"] == f"web-{h}"
    assert dep.templates_equal(new["spec"]["template"], d["spec"]["template"])
    assert new["metadata"]["annotations"] == {
        dep.DESIRED_REPLICAS: "4",
        dep.MAX_REPLICAS: "5",
        dep.REVISION: "2",
    }


def test_new_rs_scales_up_within_surge() -> None:
    d = deploy(replicas=4)  # surge 1
    old = rs("old", 4)
    new = rs("new", 0, image="v2")
    assert dep.new_rs_replicas(d, [old, new], new) == 1
    assert dep.new_rs_replicas(d, [rs("old", 3), rs("new", 1, image="v2")], rs("new", 1, image="v2")) == 2
    assert dep.new_rs_replicas(d, [rs("old", 4), rs("new", 1, image="v2")], rs("new", 1, image="v2")) == 1


def test_old_scale_down_keeps_min_available() -> None:
    d = deploy(replicas=4, surge=1, unavailable=0)  # minAvailable 4
    # new RS has 1 replica not yet available: nothing may go
    assert dep.plan_old_scale_down(d, rs("new", 1, available=0), [rs("old", 4)]) == {}
    # new RS available: one old pod may go
    assert dep.plan_old_scale_down(d, rs("new", 1), [rs("old", 4)]) == {"old": 3}
    d = deploy(replicas=4)  # minAvailable 3: one old pod may go before the new one is up
    assert dep.plan_old_scale_down(d, rs("new", 1, available=0), [rs("old", 4)]) == {"old": 3}
    # unhealthy old pods are removed first regardless of availability budget
    assert dep.plan_old_scale_down(d, rs("new", 1, available=0), [rs("old", 4, available=2)]) == {"old": 3}


def test_status_counts_and_available_condition() -> None:
    d = deploy(replicas=4)
    new, old = rs("new", 2, available=1), rs("old", 3)
    status = dep.calculate_status(d, [old, new], new, NOW)
    assert status["replicas"] == 5 and status["updatedReplicas"] == 2
    assert status["availableReplicas"] == 4 and status["unavailableReplicas"] == 1
    cond = m.get_condition(status, "Available")
    assert (cond["status"], cond["reason"]) == ("True", "MinimumReplicasAvailable")
    status = dep.calculate_status(d, [rs("new", 4, available=2)], None, NOW)
    cond = m.get_condition(status, "Available")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        "MinimumReplicasUnavailable",
        "Deployment does not have minimum availability.",
    )


def test_progressing_condition_reasons() -> None:
    new = rs("web-abc", 4, image="v2")
    d = deploy(replicas=4, observedGeneration=1, replicas_=0)
    d["status"] = {
        "conditions": [
            dep.condition(
                "Progressing", "True", "NewReplicaSetCreated", 'Created new replica set "web-abc"', NOW - 10
            )
        ]
    }
    done = dep.rollout_status(d, [new], new, NOW)
    cond = m.get_condition(done, "Progressing")
    assert cond["reason"] == "NewReplicaSetAvailable"
    assert cond["message"] == 'ReplicaSet "web-abc" has successfully progressed.'
    assert cond["lastTransitionTime"] == m.rfc3339(NOW - 10)  # status stayed True
    half = rs("web-abc", 4, available=2, image="v2")
    d["status"]["updatedReplicas"] = 1
    cond = m.get_condition(dep.rollout_status(d, [half], half, NOW), "Progressing")
    assert (cond["reason"], cond["message"]) == ("ReplicaSetUpdated", 'ReplicaSet "web-abc" is progressing.')
    # no progress for longer than the deadline
    d["status"] = {
        "updatedReplicas": 4,
        "replicas": 4,
        "availableReplicas": 2,
        "readyReplicas": 2,
        "conditions": [dep.condition("Progressing", "True", "ReplicaSetUpdated", "x", NOW - 700)],
    }
    cond = m.get_condition(dep.rollout_status(d, [half], half, NOW), "Progressing")
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert cond["message"] == 'ReplicaSet "web-abc" has timed out progressing.'


def test_revision_history_cleanup_oldest_first() -> None:
    d = deploy()
    d["spec"]["revisionHistoryLimit"] = 1
    olds = [rs(f"r{i}", 0, revision=i) for i in (3, 1, 2)]
    assert dep.rs_to_clean_up(d, olds) == ["r1", "r2"]
    olds[0]["status"]["replicas"] = 1  # still has pods: kept
    assert dep.rs_to_clean_up(d, olds) == ["r1", "r2"]


def test_proportional_scaling_without_rollout() -> None:
    d = deploy(replicas=6)
    assert dep.plan_scale(d, rs("only", 4), []) == {"only": 6}
    plan = dep.plan_scale(deploy(replicas=10, surge=0, unavailable=1), rs("a", 4), [rs("b", 4)])
    assert sum(plan.values()) + sum(v for k, v in {"a": 4, "b": 4}.items() if k not in plan) == 10


def pod(
    name: str,
    phase: str = "Running",
    ready: bool = True,
    node: str | None = "n1",
    created: str = "2024-01-01T00:00:00Z",
) -> Obj:
    return {
        "metadata": {"name": name, "uid": name, "creationTimestamp": created, "labels": {"app": "web"}},
        "spec": {
            "nodeName": node,
            "containers": [{"name": "c", "image": "x", "ports": [{"name": "http", "containerPort": 8080}]}],
        },
        "status": {
            "phase": phase,
            "podIP": f"10.0.0.{len(name)}",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": m.rfc3339(NOW - 100),
                }
            ],
        },
    }


def test_scale_down_order_prefers_unready_and_newer_pods() -> None:
    pods = [
        pod("old-ready"),
        pod("pending", phase="Pending", ready=False),
        pod("new-ready", created="2024-02-01T00:00:00Z"),
        pod("unscheduled", phase="Pending", ready=False, node=None),
    ]
    assert [m.name_of(p) for p in rsmod.pods_to_delete(pods, 3)] == ["unscheduled", "pending", "new-ready"]


def test_replicaset_status_min_ready_seconds() -> None:
    r = rs("r", 2)
    r["spec"]["minReadySeconds"] = 300
    status = rsmod.replicaset_status(r, [pod("a"), pod("b", ready=False)], NOW)
    # the pods lack the pod-template-hash label, so none is "fully labeled"
    assert status == {"replicas": 2, "readyReplicas": 1, "observedGeneration": 1}
    assert rsmod.next_availability_check(r, [pod("a")], NOW) == NOW + 200


OPTS = SimulatorOptions(pod_startup_delay=2, job_duration=5, backoff=10, backoff_cap=40)


def kpod(image: str = "nginx", policy: str = "Always", annotations: dict[str, str] | None = None) -> Obj:
    return {
        "metadata": {"name": "p", "namespace": "ns", "uid": "u1", "annotations": annotations or {}},
        "spec": {"restartPolicy": policy, "nodeName": "n1", "containers": [{"name": "c", "image": image}]},
        "status": {"phase": "Pending"},
    }


def test_kubelet_pending_then_running() -> None:
    p = kpod()
    status, wake = kubelet.pod_status(p, NOW, OPTS, "172.18.0.2", None, first_seen=NOW)
    assert status["phase"] == "Pending" and wake == NOW + 2
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    p["status"] = status
    status, wake = kubelet.pod_status(p, NOW + 2, OPTS, "172.18.0.2", "10.244.0.9", first_seen=NOW)
    assert status["phase"] == "Running" and wake is None
    assert status["podIP"] == "10.244.0.9" and status["startTime"] == m.rfc3339(NOW)
    ready = m.get_condition(status, "Ready")
    assert ready["status"] == "True" and ready["lastTransitionTime"] == m.rfc3339(NOW + 2)
    assert status["containerStatuses"][0]["image"] == "docker.io/library/nginx:latest"


def test_kubelet_crashloop_backoff_doubles_and_caps() -> None:
    assert kubelet.crash_schedule(0, 0, OPTS)[:3] == (1, 0, 10)
    assert kubelet.crash_schedule(0, 10, OPTS)[:3] == (2, 10, 20)
    assert kubelet.crash_schedule(0, 31, OPTS)[:3] == (3, 30, 40)
    assert kubelet.crash_schedule(0, 150, OPTS)[:3] == (6, 150, 40)  # exits at 0,10,30,70,110,150
    status, wake = kubelet.pod_status(kpod("app:crashloop"), NOW + 12, OPTS, "h", "ip", first_seen=NOW)
    cs = status["containerStatuses"][0]
    assert cs["restartCount"] == 2 and wake == NOW + 2 + 10 + 20
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["state"]["waiting"]["message"] == "back-off 20s restarting failed container=c pod=p_ns(u1)"
    assert status["phase"] == "Running"


def test_kubelet_image_pull_failure() -> None:
    status, wake = kubelet.pod_status(kpod("app:missing"), NOW + 2, OPTS, "h", "ip", first_seen=NOW)
    assert status["containerStatuses"][0]["state"]["waiting"]["reason"] == "ErrImagePull" and wake == NOW + 12
    status, wake = kubelet.pod_status(kpod("app:missing"), NOW + 13, OPTS, "h", "ip", first_seen=NOW)
    assert status["containerStatuses"][0]["state"]["waiting"]["reason"] == "ImagePullBackOff" and wake is None
    assert status["phase"] == "Pending"


def test_kubelet_run_to_completion_and_failure() -> None:
    status, wake = kubelet.pod_status(kpod(policy="Never"), NOW + 3, OPTS, "h", "ip", first_seen=NOW)
    assert status["phase"] == "Running" and wake == NOW + 7
    status, _ = kubelet.pod_status(kpod(policy="Never"), NOW + 7, OPTS, "h", "ip", first_seen=NOW)
    assert status["phase"] == "Succeeded"
    assert m.get_condition(status, "Ready")["reason"] == "PodCompleted"
    failing = kpod(
        policy="Never", annotations={"kedge.dev/simulate-fail": "true", "kedge.dev/simulate-duration": "1s"}
    )
    status, _ = kubelet.pod_status(failing, NOW + 3, OPTS, "h", "ip", first_seen=NOW)
    assert status["phase"] == "Failed"
    assert status["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 1
    # terminal pods never change again
    failing["status"] = status
    assert kubelet.pod_status(failing, NOW + 100, OPTS, "h", "ip") == (status, None)


def test_image_helpers() -> None:
    assert kubelet.normalise_image("nginx:1.25") == "docker.io/library/nginx:1.25"
    assert kubelet.normalise_image("bitnami/redis") == "docker.io/bitnami/redis:latest"
    assert kubelet.normalise_image("ghcr.io/org/app:v1") == "ghcr.io/org/app:v1"
    assert kubelet.normalise_image("localhost:5000/app") == "localhost:5000/app:latest"
    assert kubelet.image_tag("localhost:5000/app:crashloop") == "crashloop"
    assert kubelet.image_tag("localhost:5000/app") == ""
    assert kubelet.image_id("nginx:1").startswith("docker.io/library/nginx@sha256:")


def test_job_plan() -> None:
    j = {
        "metadata": {"name": "j"},
        "spec": {"completions": 3, "parallelism": 2, "template": {"spec": {"restartPolicy": "Never"}}},
        "status": {},
    }
    plan = jobmod.plan_job(j, [], NOW, 10, 360)
    assert (
        plan["create"] == 2
        and plan["status"]["active"] == 2
        and plan["status"]["startTime"] == m.rfc3339(NOW)
    )
    done = [pod(f"s{i}", phase="Succeeded", ready=False) for i in range(3)]
    plan = jobmod.plan_job(j, done, NOW, 10, 360)
    assert [c["type"] for c in plan["status"]["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    assert plan["status"]["succeeded"] == 3 and plan["status"]["completionTime"] == m.rfc3339(NOW)
    failed = [pod("f1", phase="Failed", ready=False)]
    failed[0]["status"]["containerStatuses"] = [{"state": {"terminated": {"finishedAt": m.rfc3339(NOW - 5)}}}]
    plan = jobmod.plan_job(
        {**j, "spec": {**j["spec"], "backoffLimit": 3, "parallelism": 1}}, failed, NOW, 10, 360
    )
    assert plan["create"] == 0 and plan["wake"] == NOW + 5  # back-off after a failure
    plan = jobmod.plan_job({**j, "spec": {**j["spec"], "backoffLimit": 0}}, failed, NOW, 10, 360)
    cond = m.get_condition(plan["status"], "Failed")
    assert cond["reason"] == "BackoffLimitExceeded" and plan["status"]["failed"] == 1


def test_cron_schedule_helpers() -> None:
    c = {"metadata": {"name": "nightly"}, "spec": {"schedule": "TZ=Europe/Paris 30 2 * * *"}}
    expr, tz = cj.parse_schedule(c)
    assert expr == "30 2 * * *" and str(tz) == "Europe/Paris"
    expr, tz = cj.parse_schedule({"spec": {"schedule": "@hourly"}})
    t = 1_700_000_000.0  # 22:13:20 UTC
    assert cj.most_recent_schedule(expr, tz, t - 7200, t) == 1_699_999_200.0
    assert cj.most_recent_schedule(expr, tz, t - 60, t) is None
    assert cj.next_schedule(expr, tz, t) == 1_700_002_800.0
    assert cj.job_name({"metadata": {"name": "nightly"}}, 1_699_999_200.0) == "nightly-28333320"
    try:
        cj.parse_schedule({"spec": {"schedule": "not a cron"}})
    except ValueError as err:
        assert "spec.schedule" in str(err)
    else:
        raise AssertionError("bad schedule accepted")


def test_cron_history_limits() -> None:
    def finished(name: str, kind: str, start: str) -> Obj:
        return {
            "metadata": {"name": name},
            "status": {"startTime": start, "conditions": [{"type": kind, "status": "True"}]},
        }

    jobs = [
        finished("a", "Complete", "1"),
        finished("b", "Complete", "2"),
        finished("c", "Failed", "3"),
        finished("d", "Failed", "4"),
    ]
    assert cj.history_to_delete({"spec": {"successfulJobsHistoryLimit": 1}}, jobs) == ["a", "c"]


def test_endpoints_subsets() -> None:
    svc = {
        "metadata": {"name": "s"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "web", "port": 80, "targetPort": "http"}]},
    }
    pods = [pod("aa"), pod("b", ready=False), pod("ccc", phase="Succeeded")]
    (subset,) = svcmod.endpoints_subsets(svc, pods)
    assert [a["ip"] for a in subset["addresses"]] == ["10.0.0.2"]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.0.0.1"]
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP", "name": "web"}]
    svc["spec"]["publishNotReadyAddresses"] = True
    (subset,) = svcmod.endpoints_subsets(svc, pods)
    assert len(subset["addresses"]) == 2 and "notReadyAddresses" not in subset


def test_selectors_and_durations() -> None:
    sel = {
        "matchLabels": {"a": "1"},
        "matchExpressions": [
            {"key": "b", "operator": "In", "values": ["x", "y"]},
            {"key": "c", "operator": "DoesNotExist"},
        ],
    }
    assert m.selector_matches(sel, {"a": "1", "b": "y"})
    assert not m.selector_matches(sel, {"a": "1", "b": "y", "c": ""})
    assert not m.selector_matches(None, {"a": "1"}) and m.selector_matches({}, {"a": "1"})
    assert m.parse_duration("1m30s") == 90 and m.parse_duration("250ms") == 0.25 and m.parse_duration(3) == 3
    assert m.parse_duration("soon") is None
    assert m.scaled_value("25%", 10, True) == 3 and m.scaled_value("25%", 10, False) == 2


def test_set_condition_keeps_transition_time() -> None:
    status: Obj = {}
    m.set_condition(status, {"type": "A", "status": "True", "reason": "x", "lastTransitionTime": "t1"})
    m.set_condition(status, {"type": "B", "status": "True", "reason": "x", "lastTransitionTime": "t1"})
    m.set_condition(status, {"type": "A", "status": "True", "reason": "y", "lastTransitionTime": "t2"})
    assert [c["type"] for c in status["conditions"]] == ["B", "A"]
    assert status["conditions"][1]["lastTransitionTime"] == "t1" and status["conditions"][1]["reason"] == "y"


def test_workqueue_deduplicates_and_never_runs_a_key_twice_at_once() -> None:
    q = WorkQueue()
    q.add("a")
    q.add("a")
    q.add("b")
    assert len(q) == 2
    key = q.get()
    assert key == "a"
    q.add("a")  # re-added while processing: queued again only after done()
    assert q.get() == "b"
    q.done("b")
    assert len(q) == 0
    q.done("a")
    assert q.get() == "a"
    q.done("a")
    assert q.idle()
    q.shutdown()
    assert q.get() is None


def test_timer_queue_fires_on_manual_clock_jump() -> None:
    clock = ManualClock(start=1000.0)
    fired: list[str] = []
    event = threading.Event()

    def fire(key: Any) -> None:
        fired.append(key)
        event.set()

    timers = TimerQueue(clock, fire, max_sleep=30)
    timers.start()
    try:
        timers.add_at("later", 1060.0)
        timers.add_at("later", 1090.0)  # a later deadline for the same key is ignored
        time.sleep(0.05)
        assert fired == []
        clock.advance(61)
        assert event.wait(2)
        assert fired == ["later"] and timers.pending() == 0
    finally:
        timers.stop()


def test_cache_ignores_stale_versions_and_indexes_owners() -> None:
    cache = ObjectCache()
    owner_ref = [{"uid": "o1", "controller": True, "kind": "ReplicaSet", "name": "r"}]
    v2 = {
        "metadata": {
            "name": "p",
            "namespace": "n",
            "resourceVersion": "2",
            "uid": "p1",
            "ownerReferences": owner_ref,
        }
    }
    v1 = {"metadata": {"name": "p", "namespace": "n", "resourceVersion": "1", "uid": "p1"}}
    assert cache.apply("/v1/pods", v2)
    assert not cache.apply("/v1/pods", v1)
    assert cache.owned("o1", "/v1/pods") == [v2]
    assert cache.apply(
        "/v1/pods", {**v2, "metadata": {**v2["metadata"], "resourceVersion": "3"}}, deleted=True
    )
    assert cache.get("/v1/pods", "n", "p") is None and cache.owned("o1") == []
    assert not cache.apply("/v1/pods", v2)  # a late event cannot resurrect a deleted object


def test_kubelet_crashloop_tag_with_restart_never_fails_the_pod() -> None:
    status, _ = kubelet.pod_status(
        kpod("app:crashloop", policy="Never"), NOW + 8, OPTS, "h", "ip", first_seen=NOW
    )
    assert status["phase"] == "Failed"
    assert status["containerStatuses"][0]["restartCount"] == 0


def test_pdb_status_from_ready_pods() -> None:
    from kedge.localcluster.simulator import policy

    pdb = {
        "metadata": {"generation": 2},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    }
    status = policy.pdb_status(pdb, [pod("a"), pod("b"), pod("c", ready=False)], 3, NOW)
    assert (
        status["currentHealthy"],
        status["desiredHealthy"],
        status["expectedPods"],
        status["disruptionsAllowed"],
    ) == (2, 1, 3, 1)
    cond = status["conditions"][0]
    assert (cond["type"], cond["status"], cond["reason"], cond["observedGeneration"]) == (
        "DisruptionAllowed",
        "True",
        "SufficientPods",
        2,
    )
    pdb["spec"] = {"maxUnavailable": "50%"}
    status = policy.pdb_status(pdb, [pod("a"), pod("b", ready=False)], 4, NOW)
    assert (status["expectedPods"], status["desiredHealthy"], status["disruptionsAllowed"]) == (4, 2, 0)
    assert (
        status["conditions"][0]["reason"] == "InsufficientPods"
        and status["conditions"][0]["status"] == "False"
    )


def test_hpa_plan_clamps_and_reports_conditions() -> None:
    from kedge.localcluster.simulator import policy

    hpa = {"metadata": {"generation": 1}, "spec": {"minReplicas": 2, "maxReplicas": 5}}
    desired, status = policy.hpa_plan(hpa, 1, NOW)
    assert desired == 2 and status["currentReplicas"] == 1 and status["desiredReplicas"] == 2
    conds = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conds == {
        "AbleToScale": ("True", "SucceededRescale"),
        "ScalingActive": ("True", "ValidMetricFound"),
        "ScalingLimited": ("True", "TooFewReplicas"),
    }
    hpa["status"] = status
    desired, status = policy.hpa_plan(hpa, 2, NOW + 5)
    conds = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert desired == 2 and conds["AbleToScale"] == ("True", "ReadyForNewScale")
    assert conds["ScalingLimited"] == ("False", "DesiredWithinRange") and status[
        "lastScaleTime"
    ] == m.rfc3339(NOW)
    hpa["metadata"]["annotations"] = {"kedge.dev/simulate-replicas": "9"}
    desired, status = policy.hpa_plan(hpa, 2, NOW)
    assert desired == 5 and m.get_condition(status, "ScalingLimited")["reason"] == "TooManyReplicas"


def test_replica_failure_reported_on_replicaset_and_deployment() -> None:
    r = rs("web-1", 2)
    status = rsmod.replicaset_status(r, [], NOW, failure='pods "web-1-" is forbidden: exceeded quota')
    cond = m.get_condition(status, "ReplicaFailure")
    assert (cond["status"], cond["reason"]) == ("True", "FailedCreate") and status["replicas"] == 0
    r["status"] = status
    cond = dep.replica_failure([r], r, NOW + 60)
    assert cond is not None
    assert cond["type"] == "ReplicaFailure" and cond["message"].endswith("exceeded quota")
    assert cond["lastTransitionTime"] == m.rfc3339(NOW)
    assert dep.replica_failure([rs("ok", 1)], None, NOW) is None
