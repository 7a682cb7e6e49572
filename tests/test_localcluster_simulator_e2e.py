"""The workload simulator against the real local-cluster store: workloads get the status a real
cluster's controllers and kubelet would give them, and fail the way their manifests ask."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kedge.localcluster.contract import StoreError
from kedge.localcluster.simulator import ManualClock, Simulator
from kedge.localcluster.store import Store

Obj = dict[str, Any]
NS = "default"


def wait_for(fn: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store()
    yield s
    s.close()


@pytest.fixture
def sim(store: Store) -> Iterator[Simulator]:
    simulator = Simulator(store, pod_startup_delay=0, job_duration=0, backoff=0.05, backoff_cap=0.2).start()
    yield simulator
    simulator.stop()


def deployment(name: str, image: str = "nginx:1.25", replicas: int = 2, **spec: Any) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": image, "ports": [{"name": "http", "containerPort": 8080}]}
                    ]
                },
            },
            **spec,
        },
    }


def condition(obj: Obj | None, ctype: str) -> Obj | None:
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond["type"] == ctype:
            return cond
    return None


def pods_of(store: Store, prefix: str) -> list[Obj]:
    return [p for p in store.list("/v1/pods", NS) if p["metadata"]["name"].startswith(prefix)]


def test_deployment_becomes_available(store: Store, sim: Simulator) -> None:
    store.create("apps/v1/deployments", deployment("web"))

    def available() -> Obj | None:
        d = store.get("apps/v1/deployments", NS, "web")
        cond = condition(d, "Progressing")
        return d if cond and cond["reason"] == "NewReplicaSetAvailable" else None

    d = wait_for(available, what="deployment web complete")
    status = d["status"]
    assert status["observedGeneration"] == d["metadata"]["generation"]
    assert (
        status["replicas"],
        status["updatedReplicas"],
        status["readyReplicas"],
        status["availableReplicas"],
    ) == (2, 2, 2, 2)
    assert "unavailableReplicas" not in status
    avail = condition(d, "Available")
    assert avail["status"] == "True" and avail["reason"] == "MinimumReplicasAvailable"
    assert avail["message"] == "Deployment has minimum availability."
    (rs,) = store.list("apps/v1/replicasets", NS)
    pth = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{pth}"
    assert condition(d, "Progressing")["message"] == f'ReplicaSet "web-{pth}" has successfully progressed.'
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    ref = rs["metadata"]["ownerReferences"][0]
    assert ref == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
        "uid": d["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pth}
    assert rs["status"] == {
        "replicas": 2,
        "fullyLabeledReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "observedGeneration": 1,
    }
    pods = pods_of(store, f"web-{pth}-")
    assert len(pods) == 2
    for pod in pods:
        assert pod["metadata"]["labels"]["pod-template-hash"] == pth
        assert pod["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
        st = pod["status"]
        assert st["phase"] == "Running"
        assert [c["type"] for c in st["conditions"]] == [
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled",
        ]
        assert all(c["status"] == "True" for c in st["conditions"])
        (cs,) = st["containerStatuses"]
        assert cs["ready"] and cs["started"] and cs["restartCount"] == 0
        assert cs["image"] == "docker.io/library/nginx:1.25"
        assert cs["imageID"].startswith("docker.io/library/nginx@sha256:")
        assert cs["containerID"].startswith("containerd://")
        assert "startedAt" in cs["state"]["running"]
        assert st["podIP"].startswith("10.244.") and st["hostIP"] == "172.18.0.2"
        assert pod["spec"]["nodeName"] == "kedge-node-1"
    assert len({p["status"]["podIP"] for p in pods}) == 2
    node = store.get("/v1/nodes", None, "kedge-node-1")
    assert condition(node, "Ready")["status"] == "True"


def test_no_writes_once_settled(store: Store, sim: Simulator) -> None:
    store.create("apps/v1/deployments", deployment("quiet"))
    wait_for(
        lambda: (
            (condition(store.get("apps/v1/deployments", NS, "quiet"), "Progressing") or {}).get("reason")
            == "NewReplicaSetAvailable"
        )
    )
    assert sim.wait_idle(5)
    rv = store.resource_version
    sim.resync()  # a full resync must change nothing
    assert sim.wait_idle(5)
    assert store.resource_version == rv


def test_rolling_update_replaces_replicaset(store: Store, sim: Simulator) -> None:
    store.create("apps/v1/deployments", deployment("roll", replicas=4))
    wait_for(
        lambda: (
            (store.get("apps/v1/deployments", NS, "roll").get("status") or {}).get("availableReplicas") == 4
        )
    )
    # maxSurge/maxUnavailable bound the ReplicaSets' replica counts (terminating pods aside)
    seen_total: list[int] = []
    seen_available: list[int] = []

    def on_change(event: str, resource: str, obj: Obj) -> None:
        if resource == "apps/v1/replicasets":
            rss = store.list("apps/v1/replicasets", NS)
            seen_total.append(sum(r["spec"]["replicas"] for r in rss))
            seen_available.append(sum((r.get("status") or {}).get("availableReplicas", 0) for r in rss))

    unsubscribe = store.subscribe(on_change)
    d = store.get("apps/v1/deployments", NS, "roll")
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    store.update("apps/v1/deployments", d)

    def done() -> Obj | None:
        d = store.get("apps/v1/deployments", NS, "roll")
        cond = condition(d, "Progressing")
        ok = (
            cond and cond["reason"] == "NewReplicaSetAvailable" and d["status"].get("observedGeneration") == 2
        )
        return (
            d if ok and d["status"].get("updatedReplicas") == 4 and d["status"].get("replicas") == 4 else None
        )

    d = wait_for(done, what="rollout finished")
    unsubscribe()
    rss = sorted(
        store.list("apps/v1/replicasets", NS),
        key=lambda r: r["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
    )
    assert len(rss) == 2
    old, new = rss
    assert old["spec"]["replicas"] == 0 and old["status"]["replicas"] == 0
    assert (
        new["spec"]["replicas"] == 4
        and new["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    )
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    images = {p["spec"]["containers"][0]["image"] for p in pods_of(store, "roll-")}
    assert images == {"nginx:1.26"}
    # maxSurge 25% of 4 = 1: never more than 5 pods at once
    assert seen_total and max(seen_total) <= 5
    assert min(seen_available) >= 3


def test_recreate_and_revision_history_limit(store: Store, sim: Simulator) -> None:
    store.create(
        "apps/v1/deployments",
        deployment("rec", replicas=1, strategy={"type": "Recreate"}, revisionHistoryLimit=1),
    )
    for tag in ("1.26", "1.27", "1.28"):
        wait_for(
            lambda: (
                (condition(store.get("apps/v1/deployments", NS, "rec"), "Progressing") or {}).get("reason")
                == "NewReplicaSetAvailable"
            )
        )
        d = store.get("apps/v1/deployments", NS, "rec")
        d["spec"]["template"]["spec"]["containers"][0]["image"] = f"nginx:{tag}"
        store.update("apps/v1/deployments", d)
        wait_for(
            lambda g=d["metadata"]["generation"] + 1: (
                store.get("apps/v1/deployments", NS, "rec")["status"].get("observedGeneration") == g
            )
        )
    wait_for(
        lambda: (
            (condition(store.get("apps/v1/deployments", NS, "rec"), "Progressing") or {}).get("reason")
            == "NewReplicaSetAvailable"
            and len(store.list("apps/v1/replicasets", NS)) == 2
        ),
        what="history trimmed to 1 old ReplicaSet",
    )
    revisions = sorted(
        int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
        for r in store.list("apps/v1/replicasets", NS)
    )
    assert revisions == [3, 4]


def test_paused_deployment_does_not_roll(store: Store, sim: Simulator) -> None:
    store.create("apps/v1/deployments", deployment("paused", replicas=1))
    wait_for(
        lambda: (
            (store.get("apps/v1/deployments", NS, "paused").get("status") or {}).get("availableReplicas") == 1
        )
    )
    d = store.get("apps/v1/deployments", NS, "paused")
    d["spec"]["paused"] = True
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    store.update("apps/v1/deployments", d)
    cond = wait_for(
        lambda: (
            (c := condition(store.get("apps/v1/deployments", NS, "paused"), "Progressing"))
            and c["reason"] == "DeploymentPaused"
            and c
        )
    )
    assert cond["status"] == "Unknown" and cond["message"] == "Deployment is paused"
    assert sim.wait_idle(5)
    assert len(store.list("apps/v1/replicasets", NS)) == 1


def test_progress_deadline_exceeded(store: Store) -> None:
    clock = ManualClock()
    sim = Simulator(store, pod_startup_delay=0, backoff=0.05, clock=clock).start()
    try:
        store.create(
            "apps/v1/deployments",
            deployment("stuck", image="app:missing", replicas=1, progressDeadlineSeconds=30),
        )
        wait_for(lambda: condition(store.get("apps/v1/deployments", NS, "stuck"), "Available"))
        assert sim.wait_idle(5)
        clock.advance(45)
        cond = wait_for(
            lambda: (
                (c := condition(store.get("apps/v1/deployments", NS, "stuck"), "Progressing"))
                and c["reason"] == "ProgressDeadlineExceeded"
                and c
            )
        )
        (rs,) = store.list("apps/v1/replicasets", NS)
        assert cond["status"] == "False"
        assert cond["message"] == f'ReplicaSet "{rs["metadata"]["name"]}" has timed out progressing.'
        avail = condition(store.get("apps/v1/deployments", NS, "stuck"), "Available")
        assert avail["status"] == "False" and avail["reason"] == "MinimumReplicasUnavailable"
    finally:
        sim.stop()


def _waiting(store: Store, prefix: str, reason: str) -> Obj | None:
    for pod in pods_of(store, prefix):
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            if ((cs.get("state") or {}).get("waiting") or {}).get("reason") == reason:
                return pod
    return None


def test_crashloop_image_tag(store: Store, sim: Simulator) -> None:
    store.create("apps/v1/deployments", deployment("crash", image="busybox:crashloop", replicas=1))
    pod = wait_for(lambda: _waiting(store, "crash-", "CrashLoopBackOff"), what="CrashLoopBackOff")
    cs = pod["status"]["containerStatuses"][0]
    assert pod["status"]["phase"] == "Running"
    assert cs["ready"] is False and cs["restartCount"] >= 1
    assert (
        cs["lastState"]["terminated"]["exitCode"] == 1 and cs["lastState"]["terminated"]["reason"] == "Error"
    )
    assert "restarting failed container=app" in cs["state"]["waiting"]["message"]
    ready = condition(pod, "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [app]"
    # the restart count keeps growing on the back-off
    wait_for(
        lambda: (
            max(p["status"]["containerStatuses"][0]["restartCount"] for p in pods_of(store, "crash-")) >= 3
        ),
        what="restartCount >= 3",
    )
    d = store.get("apps/v1/deployments", NS, "crash")
    assert condition(d, "Available")["status"] == "False"
    assert d["status"]["unavailableReplicas"] == 1


def test_missing_image_tag(store: Store, sim: Simulator) -> None:
    store.create(
        "apps/v1/deployments", deployment("pull", image="registry.example.com/team/app:missing", replicas=1)
    )
    pod = wait_for(lambda: _waiting(store, "pull-", "ImagePullBackOff"), what="ImagePullBackOff")
    cs = pod["status"]["containerStatuses"][0]
    assert pod["status"]["phase"] == "Pending"
    assert (
        cs["state"]["waiting"]["message"] == 'Back-off pulling image "registry.example.com/team/app:missing"'
    )
    assert cs["imageID"] == "" and "containerID" not in cs


def test_startup_delay_annotation_keeps_pod_pending(store: Store, sim: Simulator) -> None:
    d = deployment("slow", replicas=1)
    d["spec"]["template"]["metadata"]["annotations"] = {"kedge.dev/simulate-delay": "0.4s"}
    store.create("apps/v1/deployments", d)
    pod = wait_for(lambda: _waiting(store, "slow-", "ContainerCreating"), what="ContainerCreating")
    assert pod["status"]["phase"] == "Pending"
    assert condition(pod, "PodScheduled")["status"] == "True"
    wait_for(
        lambda: (p := pods_of(store, "slow-")) and p[0]["status"]["phase"] == "Running",
        what="Running after delay",
    )


def job(name: str, **kw: Any) -> Obj:
    template: Obj = {
        "spec": {
            "restartPolicy": kw.pop("restartPolicy", "Never"),
            "containers": [{"name": "work", "image": "busybox"}],
        }
    }
    if kw.pop("fail", False):
        template["metadata"] = {"annotations": {"kedge.dev/simulate-fail": "true"}}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"template": template, **kw},
    }


def test_job_completes(store: Store, sim: Simulator) -> None:
    store.create("batch/v1/jobs", job("once", completions=3, parallelism=2))
    j = wait_for(
        lambda: (j := store.get("batch/v1/jobs", NS, "once")) and condition(j, "Complete") and j,
        what="Complete",
    )
    st = j["status"]
    assert st["succeeded"] == 3 and "failed" not in st and "active" not in st
    assert st["startTime"] and st["completionTime"] and st["ready"] == 0
    cond = condition(j, "Complete")
    assert cond["status"] == "True" and cond["reason"] == "CompletionsReached"
    assert cond["message"] == "Reached expected number of succeeded pods"
    pods = pods_of(store, "once-")
    assert len(pods) == 3 and {p["status"]["phase"] for p in pods} == {"Succeeded"}
    term = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["exitCode"] == 0 and term["reason"] == "Completed"
    assert condition(pods[0], "Ready")["reason"] == "PodCompleted"
    assert pods[0]["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "once"


def test_failing_job_fails_after_backoff_limit(store: Store, sim: Simulator) -> None:
    store.create("batch/v1/jobs", job("doomed", backoffLimit=1, fail=True))
    j = wait_for(
        lambda: (j := store.get("batch/v1/jobs", NS, "doomed")) and condition(j, "Failed") and j,
        what="Failed",
    )
    cond = condition(j, "Failed")
    assert (
        cond["reason"] == "BackoffLimitExceeded"
        and cond["message"] == "Job has reached the specified backoff limit"
    )
    assert j["status"]["failed"] == 2 and "completionTime" not in j["status"]
    pods = pods_of(store, "doomed-")
    assert {p["status"]["phase"] for p in pods} == {"Failed"}
    assert pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 1


def test_failing_job_with_on_failure_restarts(store: Store, sim: Simulator) -> None:
    store.create("batch/v1/jobs", job("restarts", backoffLimit=2, fail=True, restartPolicy="OnFailure"))
    j = wait_for(
        lambda: (j := store.get("batch/v1/jobs", NS, "restarts")) and condition(j, "Failed") and j,
        what="Failed",
    )
    assert condition(j, "Failed")["reason"] == "BackoffLimitExceeded"
    assert pods_of(store, "restarts-") == []  # active pods are removed when the Job fails


def test_statefulset_ordered_pods_and_claims(store: Store, sim: Simulator) -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": NS},
        "spec": {
            "replicas": 3,
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "pg", "image": "postgres:16"}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    }
    created_order: list[str] = []
    unsubscribe = store.subscribe(
        lambda t, r, o: (
            created_order.append(o["metadata"]["name"]) if r == "/v1/pods" and t == "ADDED" else None
        )
    )
    store.create("apps/v1/statefulsets", sts)
    s = wait_for(
        lambda: (
            (s := store.get("apps/v1/statefulsets", NS, "db"))
            and (s.get("status") or {}).get("readyReplicas") == 3
            and s
        )
    )
    unsubscribe()
    assert created_order == ["db-0", "db-1", "db-2"]
    st = s["status"]
    assert (
        st["replicas"] == 3
        and st["currentReplicas"] == 3
        and st["updatedReplicas"] == 3
        and st["availableReplicas"] == 3
    )
    assert st["currentRevision"] == st["updateRevision"] and st["updateRevision"].startswith("db-")
    pod = store.get("/v1/pods", NS, "db-1")
    assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "db-1"
    assert pod["metadata"]["labels"]["controller-revision-hash"] == st["updateRevision"]
    assert pod["spec"]["hostname"] == "db-1" and pod["spec"]["subdomain"] == "db"
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "data-db-1"}} in pod["spec"]["volumes"]
    for i in range(3):
        pvc = wait_for(
            lambda i=i: (
                (c := store.get("/v1/persistentvolumeclaims", NS, f"data-db-{i}"))
                and (c.get("status") or {}).get("phase") == "Bound"
                and c
            )
        )
        assert pvc["status"]["capacity"] == {"storage": "1Gi"}
        pv = store.get("/v1/persistentvolumes", None, pvc["spec"]["volumeName"])
        assert pv["status"]["phase"] == "Bound" and pv["spec"]["claimRef"]["uid"] == pvc["metadata"]["uid"]
    assert store.get("apps/v1/controllerrevisions", NS, st["updateRevision"]) is not None
    # a template change rolls pods from the highest ordinal down
    s["spec"]["template"]["spec"]["containers"][0]["image"] = "postgres:17"
    store.update("apps/v1/statefulsets", s)
    s = wait_for(
        lambda: (
            (s := store.get("apps/v1/statefulsets", NS, "db"))
            and s["status"].get("observedGeneration") == 2
            and s["status"].get("updatedReplicas") == 3
            and s["status"].get("readyReplicas") == 3
            and s["status"]["currentRevision"] == s["status"]["updateRevision"]
            and s
        ),
        what="statefulset rolled",
    )
    assert {p["spec"]["containers"][0]["image"] for p in pods_of(store, "db-")} == {"postgres:17"}


def test_daemonset_one_pod_per_node(store: Store) -> None:
    sim = Simulator(store, pod_startup_delay=0, nodes=3).start()
    try:
        ds = {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": NS},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {
                    "metadata": {"labels": {"app": "agent"}},
                    "spec": {"containers": [{"name": "a", "image": "agent:1"}]},
                },
            },
        }
        store.create("apps/v1/daemonsets", ds)
        d = wait_for(
            lambda: (
                (d := store.get("apps/v1/daemonsets", NS, "agent"))
                and (d.get("status") or {}).get("numberReady") == 3
                and d
            )
        )
        st = d["status"]
        assert st["desiredNumberScheduled"] == 3 and st["currentNumberScheduled"] == 3
        assert (
            st["numberAvailable"] == 3 and st["updatedNumberScheduled"] == 3 and st["numberMisscheduled"] == 0
        )
        nodes = sorted(p["spec"]["nodeName"] for p in pods_of(store, "agent-"))
        assert nodes == ["kedge-node-1", "kedge-node-2", "kedge-node-3"]
    finally:
        sim.stop()


def test_service_endpoints_follow_ready_pods(store: Store, sim: Simulator) -> None:
    store.create(
        "/v1/services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": NS, "labels": {"tier": "front"}},
            "spec": {
                "selector": {"app": "svc"},
                "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            },
        },
    )
    store.create("apps/v1/deployments", deployment("svc", replicas=2))
    ep = wait_for(
        lambda: (
            (e := store.get("/v1/endpoints", NS, "web"))
            and len(((e.get("subsets") or [{}])[0]).get("addresses") or []) == 2
            and e
        ),
        what="2 ready endpoints",
    )
    (subset,) = ep["subsets"]
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP", "name": "http"}]
    pod_ips = sorted(p["status"]["podIP"] for p in pods_of(store, "svc-"))
    assert sorted(a["ip"] for a in subset["addresses"]) == pod_ips
    assert subset["addresses"][0]["targetRef"]["kind"] == "Pod"
    assert ep["metadata"]["labels"] == {"tier": "front"}
    # scale to zero: the endpoints empty out
    d = store.get("apps/v1/deployments", NS, "svc")
    d["spec"]["replicas"] = 0
    store.update("apps/v1/deployments", d)
    wait_for(lambda: not (store.get("/v1/endpoints", NS, "web") or {}).get("subsets"), what="no endpoints")


def test_load_balancer_ingress_namespace(store: Store, sim: Simulator) -> None:
    store.create(
        "/v1/services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "lb", "namespace": NS},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]},
        },
    )
    svc = wait_for(
        lambda: (
            (s := store.get("/v1/services", NS, "lb"))
            and (s.get("status") or {}).get("loadBalancer", {}).get("ingress")
            and s
        )
    )
    assert svc["status"]["loadBalancer"]["ingress"][0]["ip"].startswith("172.18.255.")
    store.create(
        "networking.k8s.io/v1/ingresses",
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "site", "namespace": NS},
            "spec": {"defaultBackend": {"service": {"name": "lb", "port": {"number": 443}}}},
        },
    )
    ing = wait_for(
        lambda: (
            (i := store.get("networking.k8s.io/v1/ingresses", NS, "site"))
            and (i.get("status") or {}).get("loadBalancer")
            and i
        )
    )
    assert ing["status"]["loadBalancer"] == {"ingress": [{"ip": "172.18.255.200"}]}
    store.create("/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    assert (
        wait_for(lambda: (store.get("/v1/namespaces", None, "team-a").get("status") or {}).get("phase"))
        == "Active"
    )


def test_pvc_bound_and_volume_deleted_with_claim(store: Store, sim: Simulator) -> None:
    store.create(
        "/v1/persistentvolumeclaims",
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "scratch", "namespace": NS},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}},
        },
    )
    pvc = wait_for(
        lambda: (
            (c := store.get("/v1/persistentvolumeclaims", NS, "scratch"))
            and (c.get("status") or {}).get("phase") == "Bound"
            and c
        )
    )
    volume = pvc["spec"]["volumeName"]
    assert volume == f"pvc-{pvc['metadata']['uid']}"
    assert pvc["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes"
    store.delete("/v1/persistentvolumeclaims", NS, "scratch")
    wait_for(lambda: store.get("/v1/persistentvolumes", None, volume) is None, what="volume deleted")


def test_cronjob_spawns_jobs_on_schedule(store: Store) -> None:
    clock = ManualClock()
    sim = Simulator(store, pod_startup_delay=0, job_duration=0, clock=clock).start()
    try:
        store.create(
            "batch/v1/cronjobs",
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": "tick", "namespace": NS},
                "spec": {
                    "schedule": "* * * * *",
                    "successfulJobsHistoryLimit": 1,
                    "jobTemplate": {
                        "metadata": {"labels": {"run": "tick"}},
                        "spec": {
                            "template": {
                                "spec": {
                                    "restartPolicy": "Never",
                                    "containers": [{"name": "t", "image": "busybox"}],
                                }
                            }
                        },
                    },
                },
            },
        )
        assert sim.wait_idle(5)
        assert store.list("batch/v1/jobs", NS) == []
        clock.advance(61)
        j = wait_for(lambda: store.list("batch/v1/jobs", NS), what="first job")[0]
        assert j["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
        assert j["metadata"]["labels"] == {"run": "tick"}
        minute = int(j["metadata"]["name"].rsplit("-", 1)[1])
        assert "batch.kubernetes.io/cronjob-scheduled-timestamp" in j["metadata"]["annotations"]
        assert minute * 60 <= clock.now()
        wait_for(
            lambda: condition(store.get("batch/v1/jobs", NS, j["metadata"]["name"]), "Complete"),
            what="job complete",
        )
        cj = wait_for(
            lambda: (
                (c := store.get("batch/v1/cronjobs", NS, "tick"))
                and c["status"].get("lastSuccessfulTime")
                and c
            )
        )
        assert cj["status"]["lastScheduleTime"] and "active" not in cj["status"]
        clock.advance(60)
        wait_for(
            lambda: any(
                x["metadata"]["name"] != j["metadata"]["name"] for x in store.list("batch/v1/jobs", NS)
            ),
            what="second job",
        )
        wait_for(
            lambda: (
                [x["metadata"]["name"] for x in store.list("batch/v1/jobs", NS)] != [j["metadata"]["name"]]
                and len(store.list("batch/v1/jobs", NS)) == 1
            ),
            what="history limit keeps 1 job",
        )
    finally:
        sim.stop()


def test_simulator_picks_up_existing_objects_and_stops_cleanly(store: Store) -> None:
    store.create("apps/v1/deployments", deployment("early", replicas=1))
    sim = Simulator(store, pod_startup_delay=0).start()
    try:
        wait_for(
            lambda: (
                (store.get("apps/v1/deployments", NS, "early").get("status") or {}).get("availableReplicas")
                == 1
            )
        )
    finally:
        sim.stop()
    assert all(not t.is_alive() for t in sim._workers) or sim._workers == []
    rv = store.resource_version
    store.create("apps/v1/deployments", deployment("late", replicas=1))
    time.sleep(0.2)
    assert store.resource_version == rv + 1  # nobody reconciles after stop()
    with pytest.raises(RuntimeError, match="create a new Simulator"):
        sim.start()


def test_rollback_reuses_old_replicaset_with_new_revision(store: Store, sim: Simulator) -> None:
    store.create("apps/v1/deployments", deployment("back", replicas=1))

    def complete(generation: int) -> bool:
        d = store.get("apps/v1/deployments", NS, "back")
        cond = condition(d, "Progressing") or {}
        return (d.get("status") or {}).get("observedGeneration") == generation and cond.get(
            "reason"
        ) == "NewReplicaSetAvailable"

    wait_for(lambda: complete(1))
    first = store.list("apps/v1/replicasets", NS)[0]["metadata"]["name"]
    for image, generation in (("nginx:1.26", 2), ("nginx:1.25", 3)):
        d = store.get("apps/v1/deployments", NS, "back")
        d["spec"]["template"]["spec"]["containers"][0]["image"] = image
        store.update("apps/v1/deployments", d)
        wait_for(lambda g=generation: complete(g), what=f"generation {generation} rolled out")
    revisions = {
        r["metadata"]["name"]: r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        for r in store.list("apps/v1/replicasets", NS)
    }
    assert len(revisions) == 2 and revisions[first] == "3"
    assert (
        store.get("apps/v1/deployments", NS, "back")["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
        == "3"
    )


def test_bare_pod_is_scheduled_and_unschedulable_pod_waits(store: Store, sim: Simulator) -> None:
    store.create(
        "/v1/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "solo", "namespace": NS},
            "spec": {"containers": [{"name": "c", "image": "redis:7"}]},
        },
    )
    pod = wait_for(
        lambda: (p := store.get("/v1/pods", NS, "solo")) and p["status"].get("phase") == "Running" and p
    )
    assert pod["spec"]["nodeName"] == "kedge-node-1"
    store.create(
        "/v1/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "picky", "namespace": NS},
            "spec": {"nodeSelector": {"disktype": "ssd"}, "containers": [{"name": "c", "image": "redis:7"}]},
        },
    )
    cond = wait_for(lambda: condition(store.get("/v1/pods", NS, "picky"), "PodScheduled"))
    assert cond["status"] == "False" and cond["reason"] == "Unschedulable"
    assert "didn't match Pod's node affinity/selector" in cond["message"]
    assert not store.get("/v1/pods", NS, "picky")["spec"].get("nodeName")


def test_finished_job_deleted_after_ttl(store: Store) -> None:
    clock = ManualClock()
    sim = Simulator(store, pod_startup_delay=0, job_duration=0, clock=clock).start()
    try:
        store.create("batch/v1/jobs", job("ttl", ttlSecondsAfterFinished=100))
        wait_for(lambda: condition(store.get("batch/v1/jobs", NS, "ttl"), "Complete"))
        assert sim.wait_idle(5)
        assert store.get("batch/v1/jobs", NS, "ttl") is not None
        clock.advance(101)
        wait_for(lambda: store.get("batch/v1/jobs", NS, "ttl") is None, what="job deleted by TTL")
    finally:
        sim.stop()


class InterferingStore(Store):
    """A real store where another client changes each Deployment right before the
    simulator's first status write to it, so that write hits a real 409 Conflict."""

    def __init__(self) -> None:
        super().__init__()
        self.interfered: set[str] = set()

    def update(
        self,
        resource: str,
        obj: Obj,
        subresource: str = "",
        manager: str = "kube-controller-manager",
        **kw: Any,
    ) -> Obj:
        name = obj["metadata"]["name"]
        if resource == "apps/v1/deployments" and subresource == "status" and name not in self.interfered:
            self.interfered.add(name)
            other = self.get(resource, obj["metadata"]["namespace"], name)
            other["metadata"].setdefault("labels", {})["touched-by"] = "someone-else"
            super().update(resource, other, manager="kubectl-edit")
        return super().update(resource, obj, subresource, manager, **kw)


def test_write_conflicts_are_retried() -> None:
    store = InterferingStore()
    sim = Simulator(store, pod_startup_delay=0).start()
    try:
        store.create("apps/v1/deployments", deployment("contended", replicas=2))
        d = wait_for(
            lambda: (
                (d := store.get("apps/v1/deployments", NS, "contended"))
                and (condition(d, "Progressing") or {}).get("reason") == "NewReplicaSetAvailable"
                and d
            )
        )
        assert d["metadata"]["labels"]["touched-by"] == "someone-else"
        assert d["status"]["availableReplicas"] == 2
        assert sim.stats()["errors"] >= 1
    finally:
        sim.stop()
        store.close()


def test_cronjob_concurrency_policies(store: Store) -> None:
    clock = ManualClock()
    sim = Simulator(store, pod_startup_delay=0, clock=clock).start()
    long_running = {
        "metadata": {"annotations": {"kedge.dev/simulate-duration": "1h"}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "t", "image": "busybox"}]},
    }
    try:
        for name, policy in (("forbid", "Forbid"), ("replace", "Replace")):
            store.create(
                "batch/v1/cronjobs",
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "metadata": {"name": name, "namespace": NS},
                    "spec": {
                        "schedule": "*/1 * * * *",
                        "concurrencyPolicy": policy,
                        "jobTemplate": {"spec": {"template": long_running}},
                    },
                },
            )
        assert sim.wait_idle(5)
        clock.advance(61)

        def jobs(prefix: str) -> list[str]:
            return sorted(
                j["metadata"]["name"]
                for j in store.list("batch/v1/jobs", NS)
                if j["metadata"]["name"].startswith(prefix + "-")
            )

        first_forbid = wait_for(lambda: jobs("forbid"), what="forbid job")
        first_replace = wait_for(lambda: jobs("replace"), what="replace job")
        assert sim.wait_idle(5)
        clock.advance(60)
        wait_for(lambda: jobs("replace") and jobs("replace") != first_replace, what="replaced job")
        assert sim.wait_idle(5)
        assert jobs("forbid") == first_forbid  # still running: the run was skipped
        assert len(jobs("replace")) == 1
        cj = store.get("batch/v1/cronjobs", NS, "replace")
        assert [a["name"] for a in cj["status"]["active"]] == jobs("replace")
    finally:
        sim.stop()


def events_for(store: Store, name: str) -> list[Obj]:
    return [e for e in store.list("/v1/events", NS) if e["involvedObject"]["name"] == name]


def test_events_recorded_like_the_real_components(store: Store, sim: Simulator) -> None:
    store.create("apps/v1/deployments", deployment("ev", replicas=1))
    pod = wait_for(lambda: (p := pods_of(store, "ev-")) and p[0]["status"].get("phase") == "Running" and p[0])
    wait_for(lambda: len(events_for(store, pod["metadata"]["name"])) >= 4, what="pod events")
    (rs,) = store.list("apps/v1/replicasets", NS)
    (scaled,) = events_for(store, "ev")
    assert (scaled["reason"], scaled["message"], scaled["source"]["component"]) == (
        "ScalingReplicaSet",
        f"Scaled up replica set {rs['metadata']['name']} from 0 to 1",
        "deployment-controller",
    )
    assert (
        scaled["involvedObject"]["kind"] == "Deployment"
        and scaled["type"] == "Normal"
        and scaled["count"] == 1
    )
    (created,) = events_for(store, rs["metadata"]["name"])
    assert (
        created["reason"] == "SuccessfulCreate"
        and created["message"] == f"Created pod: {pod['metadata']['name']}"
    )
    reasons = [
        e["reason"]
        for e in sorted(events_for(store, pod["metadata"]["name"]), key=lambda e: e["metadata"]["name"])
    ]
    assert reasons == ["Scheduled", "Pulled", "Created", "Started"]
    # a crash loop's BackOff events are aggregated into one Event with a growing count
    store.create("apps/v1/deployments", deployment("evcrash", image="app:crashloop", replicas=1))
    backoff = wait_for(
        lambda: next(
            (
                e
                for p in pods_of(store, "evcrash-")
                for e in events_for(store, p["metadata"]["name"])
                if e["reason"] == "BackOff" and e["count"] >= 2
            ),
            None,
        ),
        what="aggregated BackOff event",
    )
    assert backoff["type"] == "Warning" and backoff["message"].startswith(
        "Back-off restarting failed container app in pod "
    )


def test_events_can_be_switched_off(store: Store) -> None:
    sim = Simulator(store, pod_startup_delay=0, events=False).start()
    try:
        store.create("apps/v1/deployments", deployment("silent", replicas=1))
        wait_for(
            lambda: (
                (store.get("apps/v1/deployments", NS, "silent").get("status") or {}).get("availableReplicas")
                == 1
            )
        )
        assert store.list("/v1/events", NS) == []
    finally:
        sim.stop()


def test_pod_reported_running_elsewhere_is_never_moved_back_to_pending(store: Store) -> None:
    sim = Simulator(store, pod_startup_delay=30).start()
    try:
        pod = store.create(
            "/v1/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "ext", "namespace": NS},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        )
        wait_for(lambda: store.get("/v1/pods", NS, "ext")["spec"].get("nodeName"), what="scheduled")
        pod = store.get("/v1/pods", NS, "ext")
        pod["status"] = {"phase": "Running"}
        store.update("/v1/pods", pod, subresource="status", manager="someone")
        ready = wait_for(
            lambda: (
                (p := store.get("/v1/pods", NS, "ext"))
                and condition(p, "Ready")
                and condition(p, "Ready")["status"] == "True"
                and p
            )
        )
        assert ready["status"]["phase"] == "Running"
        assert sim.wait_idle(5)
        assert store.get("/v1/pods", NS, "ext")["status"]["phase"] == "Running"
    finally:
        sim.stop()


def test_pod_disruption_budget_and_autoscaler(store: Store, sim: Simulator) -> None:
    store.create("apps/v1/deployments", deployment("scaled", replicas=1))
    store.create(
        "policy/v1/poddisruptionbudgets",
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "scaled", "namespace": NS},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "scaled"}}},
        },
    )
    store.create(
        "autoscaling/v2/horizontalpodautoscalers",
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "scaled", "namespace": NS},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "scaled"},
                "minReplicas": 3,
                "maxReplicas": 6,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 80},
                        },
                    }
                ],
            },
        },
    )
    # the autoscaler raises the Deployment to minReplicas; the budget then allows 2 disruptions
    d = wait_for(
        lambda: (
            (d := store.get("apps/v1/deployments", NS, "scaled"))
            and (d.get("status") or {}).get("availableReplicas") == 3
            and d
        )
    )
    assert d["spec"]["replicas"] == 3
    hpa = wait_for(
        lambda: (
            (h := store.get("autoscaling/v2/horizontalpodautoscalers", NS, "scaled"))
            and (h.get("status") or {}).get("currentReplicas") == 3
            and h
        )
    )
    assert hpa["status"]["desiredReplicas"] == 3
    assert (
        condition(hpa, "AbleToScale")["status"] == "True"
        and condition(hpa, "ScalingActive")["reason"] == "ValidMetricFound"
    )
    pdb = wait_for(
        lambda: (
            (p := store.get("policy/v1/poddisruptionbudgets", NS, "scaled"))
            and (p.get("status") or {}).get("currentHealthy") == 3
            and p
        )
    )
    assert pdb["status"]["disruptionsAllowed"] == 2 and pdb["status"]["desiredHealthy"] == 1
    assert condition(pdb, "DisruptionAllowed")["reason"] == "SufficientPods"
    # Git says replicas: 1 again: the autoscaler wins, as on a real cluster
    d = store.get("apps/v1/deployments", NS, "scaled")
    d["spec"]["replicas"] = 1
    store.update("apps/v1/deployments", d)
    assert sim.wait_idle(5)
    assert store.get("apps/v1/deployments", NS, "scaled")["spec"]["replicas"] == 3
    assert any(e["reason"] == "SuccessfulRescale" for e in events_for(store, "scaled"))


class QuotaStore(Store):
    """A real store with a quota of zero pods in namespace "limited" (what a ResourceQuota or an
    admission webhook would do): pod creation there is refused with 403 Forbidden."""

    def create(self, resource: str, obj: Obj, manager: str = "kube-controller-manager", **kw: Any) -> Obj:
        if resource == "/v1/pods" and obj.get("metadata", {}).get("namespace") == "limited":
            prefix = obj["metadata"].get("generateName") or obj["metadata"].get("name")
            raise StoreError(
                403,
                "Forbidden",
                f'pods "{prefix}" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=0, limited: pods=0',
            )
        return super().create(resource, obj, manager, **kw)


def test_refused_pod_creation_is_reported_not_retried_forever() -> None:
    store = QuotaStore()
    sim = Simulator(store, pod_startup_delay=0).start()
    try:
        store.create(
            "/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "limited"}}
        )
        d = deployment("quota", replicas=2)
        d["metadata"]["namespace"] = "limited"
        store.create("apps/v1/deployments", d)
        cond = wait_for(
            lambda: condition(store.get("apps/v1/deployments", "limited", "quota"), "ReplicaFailure"),
            what="ReplicaFailure",
        )
        assert cond["status"] == "True" and cond["reason"] == "FailedCreate"
        assert "exceeded quota" in cond["message"]
        (rs,) = store.list("apps/v1/replicasets", "limited")
        rs_cond = condition(rs, "ReplicaFailure")
        assert rs_cond["reason"] == "FailedCreate" and rs["status"]["replicas"] == 0
        events = [e for e in store.list("/v1/events", "limited") if e["reason"] == "FailedCreate"]
        assert (
            events
            and events[0]["type"] == "Warning"
            and events[0]["message"].startswith("Error creating: pods ")
        )
        assert sim.wait_idle(5)
        assert sim.stats()["errors"] == 0  # reported, not retried in a loop
    finally:
        sim.stop()
        store.close()


def test_a_new_simulator_on_a_settled_cluster_writes_nothing(store: Store) -> None:
    first = Simulator(store, pod_startup_delay=0.2).start()
    try:
        store.create("apps/v1/deployments", deployment("steady", replicas=2))
        wait_for(
            lambda: (
                (store.get("apps/v1/deployments", NS, "steady").get("status") or {}).get("availableReplicas")
                == 2
            )
        )
        assert first.wait_idle(5)
    finally:
        first.stop()
    rv = store.resource_version
    second = Simulator(store, pod_startup_delay=0.2).start()
    try:
        assert second.wait_idle(5)
        assert store.resource_version == rv
    finally:
        second.stop()


def test_statefulset_scale_down_deletes_claims_when_asked(store: Store, sim: Simulator) -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "cache", "namespace": NS},
        "spec": {
            "replicas": 3,
            "podManagementPolicy": "Parallel",
            "persistentVolumeClaimRetentionPolicy": {"whenScaled": "Delete", "whenDeleted": "Retain"},
            "selector": {"matchLabels": {"app": "cache"}},
            "template": {
                "metadata": {"labels": {"app": "cache"}},
                "spec": {"containers": [{"name": "c", "image": "redis:7"}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    }
    store.create("apps/v1/statefulsets", sts)
    s = wait_for(
        lambda: (
            (s := store.get("apps/v1/statefulsets", NS, "cache"))
            and (s.get("status") or {}).get("readyReplicas") == 3
            and s
        )
    )
    s["spec"]["replicas"] = 1
    store.update("apps/v1/statefulsets", s)
    wait_for(
        lambda: sorted(p["metadata"]["name"] for p in pods_of(store, "cache-")) == ["cache-0"],
        what="scaled to 1",
    )
    claims = wait_for(
        lambda: (
            (
                c := sorted(
                    p["metadata"]["name"]
                    for p in store.list("/v1/persistentvolumeclaims", NS)
                    if "-cache-" in p["metadata"]["name"]
                )
            )
            == ["data-cache-0"]
            and c
        ),
        what="claims of removed ordinals deleted",
    )
    assert claims == ["data-cache-0"]
