"""The local cluster driven by the real kubectl (client-side apply, get, watch, delete, discovery)."""

from __future__ import annotations

import json
import subprocess
import time

import yaml

from tests.conftest import kubectl_binary

DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  a: "1"
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
"""


def test_client_side_apply_creates_and_get_yaml_round_trips(kubectl, kube_namespace):
    out = kubectl("apply", "-n", kube_namespace, "-f", "-", input=DEPLOY)
    assert "deployment.apps/web created" in out.stdout
    assert "configmap/cfg created" in out.stdout and "service/web created" in out.stdout
    got = yaml.safe_load(kubectl("get", "-n", kube_namespace, "deploy", "web", "-o", "yaml").stdout)
    assert got["metadata"]["generation"] == 1 and got["spec"]["replicas"] == 2
    assert "kubectl.kubernetes.io/last-applied-configuration" in got["metadata"]["annotations"]
    svc = json.loads(kubectl("get", "-n", kube_namespace, "svc", "web", "-o", "json").stdout)
    assert svc["spec"]["clusterIP"].startswith("10.96.")
    table = kubectl("get", "-n", kube_namespace, "deploy,cm,svc").stdout
    assert "deployment.apps/web" in table and "READY" in table and "CLUSTER-IP" in table


def test_strict_validation_rejects_unknown_fields(kubectl, kube_namespace):
    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {a: b}\nbogus: 1\n"
    out = kubectl("apply", "-n", kube_namespace, "-f", "-", input=bad, check=False)
    assert out.returncode != 0
    assert 'unknown field "bogus"' in out.stderr


def test_bad_names_are_rejected_with_field_errors(kubectl, kube_namespace):
    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_Valid\n  labels: {ok: 'bad value!'}\n"
    out = kubectl("apply", "-n", kube_namespace, "-f", "-", input=bad, check=False)
    assert out.returncode != 0
    assert "is invalid" in out.stderr and "metadata.name" in out.stderr and "metadata.labels" in out.stderr


def test_auth_can_i_and_whoami(kubectl):
    assert kubectl("auth", "can-i", "create", "deployments").stdout.strip() == "yes"
    assert "system:masters" in kubectl("auth", "whoami").stdout


def test_api_resources_and_versions(kubectl):
    out = kubectl("api-resources").stdout
    for line in (
        "deployments",
        "customresourcedefinitions",
        "leases",
        "horizontalpodautoscalers",
        "ingresses",
    ):
        assert line in out
    assert "apps/v1" in kubectl("api-versions").stdout


def test_get_watch_streams_changes(kubectl, local_cluster, kube_namespace):
    proc = subprocess.Popen(
        [
            kubectl_binary(),
            "--kubeconfig",
            local_cluster.kubeconfig_path,
            "get",
            "cm",
            "-n",
            kube_namespace,
            "-w",
            "--output-watch-events",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.7)
        local_cluster.store.create(
            "/v1/configmaps", {"metadata": {"name": "watched", "namespace": kube_namespace}}
        )
        deadline = time.monotonic() + 10
        seen = ""
        while time.monotonic() < deadline and "watched" not in seen:
            seen += proc.stdout.readline()
        assert "ADDED" in seen and "watched" in seen
    finally:
        proc.kill()
        proc.communicate(timeout=5)


def test_delete_cascade_foreground_removes_dependents(kubectl, local_cluster, kube_namespace):
    store = local_cluster.store
    owner = store.create("/v1/configmaps", {"metadata": {"name": "owner", "namespace": kube_namespace}})
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "owner",
        "uid": owner["metadata"]["uid"],
        "blockOwnerDeletion": True,
    }
    store.create(
        "/v1/secrets", {"metadata": {"name": "dep", "namespace": kube_namespace, "ownerReferences": [ref]}}
    )
    kubectl("delete", "cm", "owner", "-n", kube_namespace, "--cascade=foreground", "--timeout=20s")
    assert store.get("/v1/configmaps", kube_namespace, "owner") is None
    assert store.get("/v1/secrets", kube_namespace, "dep") is None


def test_namespace_deletion_removes_contents(kubectl, local_cluster, kube_namespace):
    kubectl(
        "apply",
        "-n",
        kube_namespace,
        "-f",
        "-",
        input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inside}\n",
    )
    kubectl("delete", "namespace", kube_namespace, "--timeout=20s")
    assert local_cluster.store.get("/v1/namespaces", None, kube_namespace) is None
    assert local_cluster.store.get("/v1/configmaps", kube_namespace, "inside") is None


def test_reapply_patches_diff_and_server_side_apply(kubectl, kube_namespace):
    kubectl("apply", "-n", kube_namespace, "-f", "-", input=DEPLOY)
    changed = DEPLOY.replace("replicas: 2", "replicas: 3").replace('a: "1"', 'a: "2"')
    diff = kubectl("diff", "-n", kube_namespace, "-f", "-", input=changed, check=False)
    assert diff.returncode == 1, diff.stderr  # 1: differences found
    assert "-  replicas: 2" in diff.stdout and "+  replicas: 3" in diff.stdout
    out = kubectl("apply", "-n", kube_namespace, "-f", "-", input=changed).stdout
    assert "deployment.apps/web configured" in out and "service/web unchanged" in out
    d = json.loads(kubectl("get", "-n", kube_namespace, "deploy", "web", "-o", "json").stdout)
    assert d["spec"]["replicas"] == 3 and d["metadata"]["generation"] == 2
    assert kubectl("diff", "-n", kube_namespace, "-f", "-", input=changed).returncode == 0
    ssa = kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "-n",
        kube_namespace,
        "-f",
        "-",
        input=changed.replace("nginx:1.25", "nginx:1.26"),
    )
    assert "deployment.apps/web serverside-applied" in ssa.stdout
    d = json.loads(
        kubectl("get", "-n", kube_namespace, "deploy", "web", "-o", "json", "--show-managed-fields").stdout
    )
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert "kubectl" in {m["manager"] for m in d["metadata"]["managedFields"] if m["operation"] == "Apply"}


def test_wait_and_rollout_status_with_the_simulator(kubectl, local_cluster, kube_namespace):
    assert local_cluster.simulator is not None, "the local_cluster fixture runs the workload simulator"
    kubectl("apply", "-n", kube_namespace, "-f", "-", input=DEPLOY)
    kubectl("wait", "-n", kube_namespace, "--for=condition=Available", "deploy/web", "--timeout=30s")
    out = kubectl("rollout", "status", "-n", kube_namespace, "deploy/web", "--timeout=30s").stdout
    assert "successfully rolled out" in out
    pods = json.loads(kubectl("get", "pods", "-n", kube_namespace, "-l", "app=web", "-o", "json").stdout)[
        "items"
    ]
    assert len(pods) == 2 and all(p["status"]["phase"] == "Running" for p in pods)
    assert (
        kubectl("logs", "-n", kube_namespace, "deploy/web").returncode == 0
    )  # simulated containers log nothing


def test_imperative_create_commands_send_protobuf(kubectl, local_cluster, kube_namespace):
    ns = kube_namespace + "-pb"
    kubectl("create", "namespace", ns)
    kubectl(
        "create", "secret", "generic", "repo", "-n", ns, "--from-literal=password=s3cret", "--type=Opaque"
    )
    kubectl("create", "configmap", "settings", "-n", ns, "--from-literal=a=1")
    kubectl("create", "serviceaccount", "robot", "-n", ns)
    kubectl("create", "deployment", "app", "-n", ns, "--image=nginx:1.25", "--replicas=2", "--port=80")
    kubectl("create", "service", "clusterip", "app", "-n", ns, "--tcp=80:8080")
    store = local_cluster.store
    assert store.get("/v1/secrets", ns, "repo")["data"] == {"password": "czNjcmV0"}
    assert store.get("/v1/configmaps", ns, "settings")["data"] == {"a": "1"}
    d = store.get("apps/v1/deployments", ns, "app")
    assert d["spec"]["replicas"] == 2 and d["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP"}
    ]
    svc = store.get("/v1/services", ns, "app")
    assert svc["spec"]["ports"][0]["port"] == 80 and svc["spec"]["ports"][0]["targetPort"] == 8080
    kubectl("create", "role", "reader", "-n", ns, "--verb=get,list", "--resource=pods,deployments.apps")
    kubectl("create", "rolebinding", "reader", "-n", ns, "--role=reader", "--serviceaccount", f"{ns}:robot")
    kubectl("create", "cronjob", "tick", "-n", ns, "--image=busybox", "--schedule=*/5 * * * *", "--", "date")
    kubectl("create", "ingress", "web", "-n", ns, "--rule=example.com/=app:80", "--class=nginx")
    role = store.get("rbac.authorization.k8s.io/v1/roles", ns, "reader")
    assert role["rules"] == [
        {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]},
        {"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"]},
    ]
    rb = store.get("rbac.authorization.k8s.io/v1/rolebindings", ns, "reader")
    subjects = [{k: v for k, v in sub.items() if v != ""} for sub in rb["subjects"]]
    assert subjects == [{"kind": "ServiceAccount", "name": "robot", "namespace": ns}]
    assert rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}
    cj = store.get("batch/v1/cronjobs", ns, "tick")
    assert cj["spec"]["schedule"] == "*/5 * * * *"
    assert cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"] == ["date"]
    ing = store.get("networking.k8s.io/v1/ingresses", ns, "web")
    assert ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
        "name": "app",
        "port": {"number": 80},
    }
    kubectl("autoscale", "deployment", "app", "-n", ns, "--min=2", "--max=5", "--cpu-percent=60")
    hpa = store.get("autoscaling/v2/horizontalpodautoscalers", ns, "app")
    assert (
        hpa["spec"]["maxReplicas"] == 5
        and hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    )
    kubectl("scale", "deployment", "app", "-n", ns, "--replicas=3")
    assert store.get("apps/v1/deployments", ns, "app")["spec"]["replicas"] == 3


def test_older_kubectl_1_32_works_too(local_cluster, kube_namespace):
    import os

    import pytest

    old = "/usr/bin/kubectl"
    if not os.path.exists(old):
        pytest.skip("no second kubectl at /usr/bin/kubectl")

    def run(*args, input=None):
        return subprocess.run(
            [old, "--kubeconfig", local_cluster.kubeconfig_path, *args],
            capture_output=True,
            text=True,
            input=input,
            timeout=60,
        )

    out = run("apply", "-n", kube_namespace, "-f", "-", input=DEPLOY)
    assert out.returncode == 0, out.stderr
    out = run("apply", "-n", kube_namespace, "-f", "-", input=DEPLOY.replace("replicas: 2", "replicas: 1"))
    assert "deployment.apps/web configured" in out.stdout, out.stderr
    out = run("get", "-n", kube_namespace, "deploy", "web", "-o", "jsonpath={.spec.replicas}")
    assert out.stdout == "1", out.stderr
    assert "deployments" in run("api-resources").stdout
