"""Kedge's built-in Python health checks: Argo CD's (gitops-engine's) statuses and messages."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from kedge.health import assess

DEPLOY = yaml.safe_load((Path(__file__).parent / "fixtures" / "lua" / "deployment.yaml").read_text())


def h(obj: dict) -> tuple[str, str] | None:
    res = assess(obj)
    return None if res is None else (res["status"], res["message"])


def with_(base: dict, **paths) -> dict:
    obj = copy.deepcopy(base)
    for path, value in paths.items():
        cur = obj
        keys = path.split("__")
        for k in keys[:-1]:
            cur = cur.setdefault(k, {})
        if value is None:
            cur.pop(keys[-1], None)
        else:
            cur[keys[-1]] = value
    return obj


# -- Deployment ------------------------------------------------------------------------------------------
def test_deployment_statuses():
    assert h(DEPLOY) == ("Healthy", "")
    assert h(with_(DEPLOY, spec__paused=True)) == ("Suspended", "Deployment is paused")
    assert h(with_(DEPLOY, metadata__generation=5)) == (
        "Progressing",
        "Waiting for rollout to finish: observed deployment generation less then desired generation",
    )
    deadline = with_(DEPLOY)
    deadline["status"]["conditions"][1]["reason"] = "ProgressDeadlineExceeded"
    assert h(deadline) == ("Degraded", 'Deployment "guestbook-ui" exceeded its progress deadline')
    assert h(with_(DEPLOY, status__updatedReplicas=1)) == (
        "Progressing",
        "Waiting for rollout to finish: 1 out of 3 new replicas have been updated...",
    )
    assert h(with_(DEPLOY, status__replicas=4)) == (
        "Progressing",
        "Waiting for rollout to finish: 1 old replicas are pending termination...",
    )
    assert h(with_(DEPLOY, status__availableReplicas=1)) == (
        "Progressing",
        "Waiting for rollout to finish: 1 of 3 updated replicas are available...",
    )


def test_deleted_objects_are_pending_deletion_unless_a_hook_finalizer_holds_them():
    deleting = with_(DEPLOY, metadata__deletionTimestamp="2024-03-01T10:00:00Z")
    assert h(deleting) == ("Progressing", "Pending deletion")
    hook = with_(deleting, metadata__finalizers=["argocd.argoproj.io/hook-finalizer"])
    assert h(hook) == ("Healthy", "")


# -- ReplicaSet, StatefulSet, DaemonSet ----------------------------------------------------------------
RS = {
    "apiVersion": "apps/v1",
    "kind": "ReplicaSet",
    "metadata": {"name": "rs", "generation": 1},
    "spec": {"replicas": 2},
    "status": {"observedGeneration": 1, "availableReplicas": 2},
}


def test_replicaset_statuses():
    assert h(RS) == ("Healthy", "")
    assert h(with_(RS, metadata__generation=2))[0] == "Progressing"
    assert h(with_(RS, status__availableReplicas=1)) == (
        "Progressing",
        "Waiting for rollout to finish: 1 out of 2 new replicas are available...",
    )
    failed = with_(RS, status__conditions=[{"type": "ReplicaFailure", "status": "True", "message": "quota"}])
    assert h(failed) == ("Degraded", "quota")


STS = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "db", "generation": 1},
    "spec": {"replicas": 3, "updateStrategy": {"type": "RollingUpdate"}},
    "status": {
        "observedGeneration": 1,
        "readyReplicas": 3,
        "updatedReplicas": 3,
        "currentReplicas": 3,
        "currentRevision": "db-1",
        "updateRevision": "db-1",
    },
}


def test_statefulset_statuses():
    assert h(STS) == ("Healthy", "statefulset rolling update complete 3 pods at revision db-1...")
    assert h(with_(STS, status__observedGeneration=0)) == (
        "Progressing",
        "Waiting for statefulset spec update to be observed...",
    )
    assert h(with_(STS, status__readyReplicas=1)) == ("Progressing", "Waiting for 2 pods to be ready...")
    assert h(with_(STS, status__updateRevision="db-2", status__updatedReplicas=1)) == (
        "Progressing",
        "waiting for statefulset rolling update to complete 1 pods at revision db-2...",
    )
    part = with_(STS, spec__updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}})
    assert h(with_(part, status__updatedReplicas=1)) == (
        "Progressing",
        "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...",
    )
    assert h(with_(part, status__updatedReplicas=2)) == (
        "Healthy",
        "partitioned roll out complete: 2 new pods have been updated...",
    )
    assert h(with_(STS, spec__updateStrategy={"type": "OnDelete"})) == (
        "Healthy",
        "statefulset has 3 ready pods (3 updated)",
    )


DS = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "agent", "generation": 1},
    "spec": {},
    "status": {
        "observedGeneration": 1,
        "desiredNumberScheduled": 3,
        "updatedNumberScheduled": 3,
        "numberAvailable": 3,
    },
}


def test_daemonset_statuses():
    assert h(DS) == ("Healthy", "")
    assert h(with_(DS, metadata__generation=2)) == (
        "Progressing",
        "Waiting for rollout to finish: observed daemon set generation less then desired generation",
    )
    assert h(with_(DS, status__updatedNumberScheduled=1)) == (
        "Progressing",
        'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...',
    )
    assert h(with_(DS, status__numberAvailable=2)) == (
        "Progressing",
        'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...',
    )
    assert h(with_(DS, spec__updateStrategy={"type": "OnDelete"}, status__updatedNumberScheduled=1)) == (
        "Healthy",
        "daemon set 1 out of 3 new pods have been updated",
    )


# -- Pod ---------------------------------------------------------------------------------------------------
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"restartPolicy": "Always"}}


@pytest.mark.parametrize(
    "status,spec,expected",
    [
        ({"phase": "Pending", "message": "unschedulable"}, {}, ("Progressing", "unschedulable")),
        ({"phase": "Succeeded"}, {}, ("Healthy", "")),
        ({"phase": "Failed", "message": "evicted"}, {}, ("Degraded", "evicted")),
        (
            {
                "phase": "Failed",
                "containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 2}}}],
            },
            {},
            ("Degraded", 'container "c" failed with exit code 2'),
        ),
        (
            {
                "phase": "Failed",
                "containerStatuses": [
                    {"name": "c", "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}
                ],
            },
            {},
            ("Degraded", "OOMKilled"),
        ),
        ({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}, {}, ("Healthy", "")),
        ({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}, {}, ("Progressing", "")),
        (
            {
                "phase": "Running",
                "containerStatuses": [
                    {"name": "c", "lastState": {"terminated": {"exitCode": 1}}, "state": {}}
                ],
            },
            {},
            ("Degraded", ""),
        ),
        (
            {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "c",
                        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m"}},
                    },
                    {"name": "d", "state": {"waiting": {"reason": "ErrImagePull", "message": "pull failed"}}},
                ],
            },
            {},
            ("Degraded", "back-off 5m, pull failed"),
        ),
        # hooks (restartPolicy Never/OnFailure) are never Degraded early and Progressing while running
        (
            {
                "phase": "Running",
                "containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "ErrImagePull"}}}],
            },
            {"restartPolicy": "Never"},
            ("Progressing", ""),
        ),
        ({"phase": "Weird"}, {}, ("Unknown", "")),
    ],
)
def test_pod_statuses(status, spec, expected):
    pod = copy.deepcopy(POD)
    pod["status"] = status
    pod["spec"].update(spec)
    assert h(pod) == expected


def test_pod_ignore_restart_policy_annotation():
    pod = with_(
        POD,
        spec__restartPolicy="Never",
        status={"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    )
    assert h(pod) == ("Progressing", "")
    pod["metadata"]["annotations"] = {"argocd.argoproj.io/ignore-restart-policy": "true"}
    assert h(pod) == ("Healthy", "")


# -- Service, PVC, Ingress -----------------------------------------------------------------------------------
def test_service_pvc_ingress():
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}}
    assert h(svc) == ("Healthy", "")
    lb = with_(svc, spec__type="LoadBalancer")
    assert h(lb) == ("Progressing", "")
    assert h(with_(lb, status={"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}})) == ("Healthy", "")
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"}}
    for phase, code in [
        ("Bound", "Healthy"),
        ("Pending", "Progressing"),
        ("Lost", "Degraded"),
        (None, "Unknown"),
    ]:
        assert h(with_(pvc, status={"phase": phase} if phase else {})) == (code, "")
    for api in ("networking.k8s.io/v1", "extensions/v1beta1"):
        ing = {"apiVersion": api, "kind": "Ingress", "metadata": {"name": "i"}}
        assert h(ing) == ("Progressing", "")
        assert h(with_(ing, status={"loadBalancer": {"ingress": [{"hostname": "lb"}]}})) == ("Healthy", "")


# -- Job, HPA, APIService ------------------------------------------------------------------------------------
def test_job_statuses():
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}}
    assert h(job) == ("Progressing", "")
    assert h(
        with_(job, status={"conditions": [{"type": "Complete", "status": "True", "message": "done"}]})
    ) == (
        "Healthy",
        "done",
    )
    assert h(
        with_(
            job,
            status={"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]},
        )
    ) == (
        "Degraded",
        "BackoffLimitExceeded",
    )
    assert h(
        with_(job, status={"conditions": [{"type": "Suspended", "status": "True", "message": "suspended"}]})
    ) == (
        "Suspended",
        "suspended",
    )


def test_hpa_statuses():
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}}
    ok = [
        {"type": "AbleToScale", "status": "True", "message": "ready"},
        {"type": "ScalingLimited", "status": "True", "message": "limited"},
    ]
    assert h(with_(hpa, status={"conditions": ok})) == ("Healthy", "ready,limited")
    bad = [
        {
            "type": "ScalingActive",
            "status": "False",
            "reason": "FailedGetResourceMetric",
            "message": "no metrics",
        }
    ]
    assert h(with_(hpa, status={"conditions": bad})) == ("Degraded", "no metrics")
    waiting = [{"type": "ScalingActive", "status": "True", "message": "x"}]
    assert h(with_(hpa, status={"conditions": waiting})) == ("Progressing", "Waiting to Autoscale")
    v1 = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}}
    assert h(v1) == ("Progressing", "Waiting to Autoscale")
    v1["metadata"]["annotations"] = {
        "autoscaling.alpha.kubernetes.io/conditions": '[{"type":"AbleToScale","status":"True","message":"ok"}]'
    }
    assert h(v1) == ("Healthy", "ok")
    v1["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/conditions"] = "not json"
    status, message = h(v1)
    assert status == "Unknown" and "failed to convert conditions annotation" in message


def test_apiservice_statuses():
    api = {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": "v1.metrics"},
    }
    assert h(api) == ("Progressing", "Waiting to be processed")
    cond = {"type": "Available", "status": "True", "reason": "Passed", "message": "all checks passed"}
    assert h(with_(api, status={"conditions": [cond]})) == ("Healthy", "Passed: all checks passed")
    cond = {**cond, "status": "False", "reason": "MissingEndpoints", "message": "no endpoints"}
    assert h(with_(api, status={"conditions": [cond]})) == ("Progressing", "MissingEndpoints: no endpoints")


def test_application_health_is_the_child_apps_own():
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "child"}}
    assert h(app) == ("Progressing", "Waiting for application to be reconciled")
    assert h(with_(app, status={"health": {"status": "Degraded", "message": "boom"}})) == ("Degraded", "boom")
    assert h(with_(app, status={"health": {"status": "Healthy"}})) == ("Healthy", "")


def test_kinds_without_health():
    assert assess({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}) is None
    assert assess({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}) is None
