"""The real kubectl sees simulated workloads behave like a real cluster's: rollout status,
wait for conditions, set image + rollout, Job completion, failure injections in `get`."""

from __future__ import annotations

import json
from collections.abc import Callable
from subprocess import CompletedProcess

Kubectl = Callable[..., CompletedProcess[str]]

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
"""

JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: busybox:1.36
"""


def test_rollout_status_and_wait_available(kubectl: Kubectl, kube_namespace: str) -> None:
    ns = kube_namespace
    kubectl("apply", "-n", ns, "-f", "-", input=DEPLOYMENT)
    out = kubectl("rollout", "status", "-n", ns, "deployment/web", "--timeout=60s")
    assert 'deployment "web" successfully rolled out' in out.stdout
    kubectl("wait", "-n", ns, "--for=condition=Available", "deployment/web", "--timeout=30s")
    # a new image rolls out through a second ReplicaSet
    kubectl("set", "image", "-n", ns, "deployment/web", "web=nginx:1.26")
    out = kubectl("rollout", "status", "-n", ns, "deployment/web", "--timeout=60s")
    assert "successfully rolled out" in out.stdout
    rss = json.loads(kubectl("get", "replicasets", "-n", ns, "-o", "json").stdout)["items"]
    replicas = sorted(
        (rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"], rs["spec"]["replicas"])
        for rs in rss
    )
    assert replicas == [("1", 0), ("2", 2)]
    history = kubectl("rollout", "history", "-n", ns, "deployment/web").stdout
    assert "1" in history and "2" in history
    pods = json.loads(kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "json").stdout)["items"]
    assert {p["status"]["phase"] for p in pods} == {"Running"} and len(pods) == 2


def test_wait_for_job_complete(kubectl: Kubectl, kube_namespace: str) -> None:
    kubectl("apply", "-n", kube_namespace, "-f", "-", input=JOB)
    kubectl("wait", "-n", kube_namespace, "--for=condition=complete", "job/migrate", "--timeout=60s")
    job = json.loads(kubectl("get", "job/migrate", "-n", kube_namespace, "-o", "json").stdout)
    assert job["status"]["succeeded"] == 1


def test_crashloop_visible_in_kubectl_get(kubectl: Kubectl, kube_namespace: str) -> None:
    broken = DEPLOYMENT.replace("web", "broken").replace("nginx:1.25", "example/app:crashloop")
    kubectl("apply", "-n", kube_namespace, "-f", "-", input=broken)
    kubectl(
        "wait",
        "-n",
        kube_namespace,
        "pod",
        "-l",
        "app=broken",
        "--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=CrashLoopBackOff",
        "--timeout=60s",
    )
    table = kubectl("get", "pods", "-n", kube_namespace, "-l", "app=broken").stdout
    assert "CrashLoopBackOff" in table
    out = kubectl("rollout", "status", "-n", kube_namespace, "deployment/broken", "--timeout=2s", check=False)
    assert out.returncode != 0


STATEFUL_AND_DAEMON = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 2
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: postgres:16
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: example/agent:1
"""


def test_rollout_status_statefulset_and_daemonset(kubectl: Kubectl, kube_namespace: str) -> None:
    ns = kube_namespace
    kubectl("apply", "-n", ns, "-f", "-", input=STATEFUL_AND_DAEMON)
    out = kubectl("rollout", "status", "-n", ns, "statefulset/db", "--timeout=60s")
    assert "partitioned roll out complete" in out.stdout or "roll out complete" in out.stdout
    out = kubectl("rollout", "status", "-n", ns, "daemonset/agent", "--timeout=60s")
    assert 'daemon set "agent" successfully rolled out' in out.stdout
    pvcs = json.loads(kubectl("get", "pvc", "-n", ns, "-o", "json").stdout)["items"]
    assert sorted((p["metadata"]["name"], p["status"]["phase"]) for p in pvcs) == [
        ("data-db-0", "Bound"),
        ("data-db-1", "Bound"),
    ]
