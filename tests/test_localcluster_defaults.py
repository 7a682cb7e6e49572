"""Defaulting of built-in kinds (kedge.localcluster.defaults.apply_defaults): the values a real
API server writes, as ``kubectl get -o yaml`` shows them."""

from __future__ import annotations

import copy
import ipaddress

import pytest

from kedge.localcluster.defaults import (
    ClusterIPAllocator,
    apply_defaults,
    image_pull_policy,
    stable_node_port,
)


def pod_template(**spec) -> dict:
    return {
        "metadata": {"labels": {"app": "web"}},
        "spec": {
            "containers": [{"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}],
            **spec,
        },
    }


def workload(kind: str, api_version: str = "apps/v1", **spec) -> dict:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": pod_template(), **spec},
    }


def defaulted(obj: dict) -> dict:
    apply_defaults(obj)
    return obj


EXPECTED_POD_TEMPLATE_SPEC = {
    "containers": [
        {
            "name": "app",
            "image": "nginx:1.25",
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"containerPort": 80, "protocol": "TCP"}],
            "resources": {},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
        }
    ],
    "dnsPolicy": "ClusterFirst",
    "restartPolicy": "Always",
    "schedulerName": "default-scheduler",
    "securityContext": {},
    "terminationGracePeriodSeconds": 30,
}


def test_deployment_defaults_exactly():
    d = defaulted(workload("Deployment"))
    assert d["spec"] == {
        "selector": {"matchLabels": {"app": "web"}},
        "replicas": 1,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": EXPECTED_POD_TEMPLATE_SPEC},
    }


def test_deployment_keeps_user_values_and_recreate_has_no_rolling_update():
    d = defaulted(workload("Deployment", replicas=0, strategy={"type": "Recreate"}, revisionHistoryLimit=2))
    assert d["spec"]["replicas"] == 0
    assert d["spec"]["strategy"] == {"type": "Recreate"}
    assert d["spec"]["revisionHistoryLimit"] == 2
    d = defaulted(workload("Deployment", strategy={"rollingUpdate": {"maxSurge": 1}}))
    assert d["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"},
    }


def test_defaulting_is_idempotent():
    d = defaulted(workload("Deployment"))
    again = copy.deepcopy(d)
    apply_defaults(again)
    assert again == d


def test_statefulset_defaults():
    sts = workload(
        "StatefulSet",
        serviceName="web",
        volumeClaimTemplates=[
            {
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            }
        ],
    )
    spec = defaulted(sts)["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert spec["replicas"] == 1 and spec["revisionHistoryLimit"] == 10
    claim = spec["volumeClaimTemplates"][0]
    assert claim["apiVersion"] == "v1" and claim["kind"] == "PersistentVolumeClaim"
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["status"] == {"phase": "Pending"}
    assert spec["template"]["spec"] == EXPECTED_POD_TEMPLATE_SPEC
    ondelete = defaulted(workload("StatefulSet", updateStrategy={"type": "OnDelete"}))
    assert ondelete["spec"]["updateStrategy"] == {"type": "OnDelete"}


def test_daemonset_and_replicaset_defaults():
    ds = defaulted(workload("DaemonSet"))["spec"]
    assert ds["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert ds["revisionHistoryLimit"] == 10
    assert "replicas" not in ds
    rs = defaulted(workload("ReplicaSet"))["spec"]
    assert rs["replicas"] == 1


def test_job_defaults_and_generated_selector():
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "pi", "namespace": "default", "uid": "1234"},
        "spec": {
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}}
        },
    }
    spec = defaulted(job)["spec"]
    assert spec["backoffLimit"] == 6
    assert spec["completions"] == 1 and spec["parallelism"] == 1
    assert spec["completionMode"] == "NonIndexed"
    assert spec["suspend"] is False
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "1234"}}
    labels = spec["template"]["metadata"]["labels"]
    assert labels == {
        "batch.kubernetes.io/controller-uid": "1234",
        "controller-uid": "1234",
        "batch.kubernetes.io/job-name": "pi",
        "job-name": "pi",
    }
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert spec["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_job_parallelism_only_leaves_completions_unset():
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {"parallelism": 3, "template": {"spec": {"containers": []}}},
    }
    spec = defaulted(job)["spec"]
    assert spec["parallelism"] == 3 and "completions" not in spec


def test_cronjob_defaults():
    cj = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c"},
        "spec": {
            "schedule": "*/5 * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "containers": [{"name": "c", "image": "busybox:1.36"}],
                        }
                    }
                }
            },
        },
    }
    spec = defaulted(cj)["spec"]
    assert (
        spec["concurrencyPolicy"],
        spec["suspend"],
        spec["successfulJobsHistoryLimit"],
        spec["failedJobsHistoryLimit"],
    ) == (
        "Allow",
        False,
        3,
        1,
    )
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["dnsPolicy"] == "ClusterFirst" and pod["restartPolicy"] == "OnFailure"
    assert "backoffLimit" not in spec["jobTemplate"]["spec"], "job defaults apply to Jobs, not to templates"


def test_service_defaults():
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"port": 80}, {"port": 443, "targetPort": "https", "protocol": "TCP"}],
        },
    }
    spec = defaulted(svc)["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["sessionAffinity"] == "None"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["ports"] == [
        {"port": 80, "protocol": "TCP", "targetPort": 80},
        {"port": 443, "targetPort": "https", "protocol": "TCP"},
    ]
    assert "clusterIP" not in spec, "without an allocator the caller allocates the ClusterIP"
    assert "externalTrafficPolicy" not in spec
    assert svc["status"] == {"loadBalancer": {}}


def test_service_cluster_ip_allocation_is_deterministic_and_unique():
    alloc = ClusterIPAllocator()
    ips = set()
    for i in range(200):
        svc = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": f"s{i}", "namespace": "ns"},
            "spec": {"ports": [{"port": 80}]},
        }
        apply_defaults(svc, allocate_ip=alloc)
        ip = svc["spec"]["clusterIP"]
        assert ipaddress.ip_address(ip) in ipaddress.ip_network("10.96.0.0/12")
        assert svc["spec"]["clusterIPs"] == [ip]
        ips.add(ip)
    assert len(ips) == 200 and "10.96.0.1" not in ips
    again = ClusterIPAllocator()
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s0", "namespace": "ns"}, "spec": {}}
    apply_defaults(svc, allocate_ip=again)
    first = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s0", "namespace": "ns"}, "spec": {}}
    apply_defaults(first, allocate_ip=ClusterIPAllocator())
    assert svc["spec"]["clusterIP"] == first["spec"]["clusterIP"]


def test_nodeport_and_loadbalancer_services():
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "np", "namespace": "d"},
        "spec": {"type": "NodePort", "ports": [{"port": 80}]},
    }
    spec = defaulted(svc)["spec"]
    assert spec["externalTrafficPolicy"] == "Cluster"
    port = spec["ports"][0]
    assert 30000 <= port["nodePort"] <= 32767
    assert port["nodePort"] == stable_node_port(svc, port), "stable across updates"
    lb = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
    }
    spec = defaulted(lb)["spec"]
    assert spec["allocateLoadBalancerNodePorts"] is True and "nodePort" in spec["ports"][0]
    ext = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"type": "ExternalName", "externalName": "example.com"},
    }
    spec = defaulted(ext)["spec"]
    assert (
        "ipFamilies" not in spec and "internalTrafficPolicy" not in spec and spec["sessionAffinity"] == "None"
    )
    sticky = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"sessionAffinity": "ClientIP"},
    }
    assert defaulted(sticky)["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


@pytest.mark.parametrize(
    "image,policy",
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("registry.local:5000/team/app", "Always"),
        ("registry.local:5000/team/app:v1", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
        ("nginx:latest@sha256:" + "a" * 64, "Always"),
    ],
)
def test_image_pull_policy(image, policy):
    assert image_pull_policy(image) == policy


def test_pod_defaults_include_admission_and_status():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "nginx",
                    "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                    "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                    "livenessProbe": {"httpGet": {"port": 80}},
                }
            ],
            "volumes": [
                {"name": "cfg", "configMap": {"name": "cm"}},
                {"name": "scratch"},
                {"name": "sec", "secret": {"secretName": "s"}},
            ],
        },
    }
    obj = defaulted(pod)
    spec = obj["spec"]
    c = spec["containers"][0]
    assert c["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert c["env"][0]["valueFrom"]["fieldRef"] == {"fieldPath": "spec.nodeName", "apiVersion": "v1"}
    assert c["livenessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert spec["volumes"] == [
        {"name": "cfg", "configMap": {"name": "cm", "defaultMode": 420}},
        {"name": "scratch", "emptyDir": {}},
        {"name": "sec", "secret": {"secretName": "s", "defaultMode": 420}},
    ]
    assert spec["enableServiceLinks"] is True
    assert spec["serviceAccountName"] == "default" and spec["serviceAccount"] == "default"
    assert spec["priority"] == 0 and spec["preemptionPolicy"] == "PreemptLowerPriority"
    assert [t["key"] for t in spec["tolerations"]] == [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ]
    assert obj["status"] == {"phase": "Pending", "qosClass": "Guaranteed"}


def test_pod_qos_classes():
    best = defaulted(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
        }
    )
    assert best["status"]["qosClass"] == "BestEffort"
    burst = defaulted(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "1"}}}]},
        }
    )
    assert burst["status"]["qosClass"] == "Burstable"


def test_host_network_pods_get_host_ports():
    d = workload("Deployment")
    d["spec"]["template"]["spec"]["hostNetwork"] = True
    port = defaulted(d)["spec"]["template"]["spec"]["containers"][0]["ports"][0]
    assert port["hostPort"] == 80


def test_service_account_name_mirrors_deprecated_field():
    d = workload("Deployment")
    d["spec"]["template"]["spec"]["serviceAccountName"] = "robot"
    spec = defaulted(d)["spec"]["template"]["spec"]
    assert spec["serviceAccount"] == "robot"


def test_config_and_storage_kinds():
    assert defaulted({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})["type"] == "Opaque"
    assert (
        defaulted(
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "kubernetes.io/tls"}
        )["type"]
        == "kubernetes.io/tls"
    )
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}
    assert defaulted(copy.deepcopy(cm)) == cm
    pvc = defaulted(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "c"},
            "spec": {"accessModes": ["ReadWriteOnce"]},
        }
    )
    assert pvc["spec"]["volumeMode"] == "Filesystem" and pvc["status"] == {"phase": "Pending"}
    pv = defaulted({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "v"}, "spec": {}})
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    sc = defaulted(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "s"},
            "provisioner": "x",
        }
    )
    assert sc["reclaimPolicy"] == "Delete" and sc["volumeBindingMode"] == "Immediate"


def test_namespace_defaults():
    ns = defaulted({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["status"] == {"phase": "Active"}


def test_ingress_is_not_defaulted():
    ing = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i"},
        "spec": {
            "rules": [
                {
                    "host": "a.example",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "s", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        },
    }
    assert defaulted(copy.deepcopy(ing)) == ing


def test_network_policy_rbac_hpa_crd_webhook_defaults():
    np = defaulted(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "n"},
            "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]},
        }
    )
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert np["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP"
    rb = defaulted(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "r"},
            "subjects": [
                {"kind": "User", "name": "jane"},
                {"kind": "ServiceAccount", "name": "sa", "namespace": "d"},
            ],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "x"},
        }
    )
    assert [s["apiGroup"] for s in rb["subjects"]] == ["rbac.authorization.k8s.io", ""]
    hpa = defaulted(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h"},
            "spec": {"maxReplicas": 3},
        }
    )
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {
        "type": "Utilization",
        "averageUtilization": 80,
    }
    crd = defaulted(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"names": {"kind": "Widget", "plural": "widgets"}},
        }
    )
    assert crd["spec"]["names"]["singular"] == "widget" and crd["spec"]["names"]["listKind"] == "WidgetList"
    assert crd["spec"]["conversion"] == {"strategy": "None"}
    wh = defaulted(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "w"},
            "webhooks": [
                {
                    "name": "w.example.com",
                    "clientConfig": {"service": {"name": "s", "namespace": "d"}},
                    "rules": [{"operations": ["CREATE"]}],
                }
            ],
        }
    )
    hook = wh["webhooks"][0]
    assert (
        hook["failurePolicy"],
        hook["matchPolicy"],
        hook["timeoutSeconds"],
        hook["reinvocationPolicy"],
    ) == ("Fail", "Equivalent", 10, "Never")
    assert hook["clientConfig"]["service"]["port"] == 443 and hook["rules"][0]["scope"] == "*"


def test_custom_resources_and_junk_are_left_alone():
    cr = {"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {}}
    assert defaulted(copy.deepcopy(cr)) == cr
    apply_defaults({"kind": "Deployment", "apiVersion": "apps/v1", "spec": "not-a-map"})  # no exception
    apply_defaults("not an object")  # type: ignore[arg-type]


def test_replication_controller_node_and_pv_defaults():
    rc = defaulted(
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "metadata": {"name": "rc"},
            "spec": {"template": pod_template()},
        }
    )
    assert rc["spec"]["selector"] == {"app": "web"} and rc["metadata"]["labels"] == {"app": "web"}
    assert rc["spec"]["replicas"] == 1
    node = defaulted(
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, "status": {"capacity": {"cpu": "4"}}}
    )
    assert node["status"]["allocatable"] == {"cpu": "4"}
    pv = defaulted(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": "v"},
            "spec": {"hostPath": {"path": "/d"}},
        }
    )
    assert pv["spec"]["hostPath"] == {"path": "/d", "type": ""}
