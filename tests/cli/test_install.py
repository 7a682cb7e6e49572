"""manifests/install.yaml: up to date with the CRDs, and accepted object by object by a real
``kubectl apply`` against the local cluster (in a namespace of its own, so other tests' control
planes are untouched)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "kedge_manifests_generate", ROOT / "manifests" / "generate.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_install_yaml_is_generated_from_the_crds():
    assert (ROOT / "manifests" / "install.yaml").read_text() == _generator().render()
    from kedge.manifests import crds

    docs = [d for d in yaml.safe_load_all((ROOT / "manifests" / "install.yaml").read_text()) if d]
    assert [d for d in docs if d["kind"] == "CustomResourceDefinition"] == crds()


def test_kubectl_applies_every_object(kubectl, local_cluster):
    ns = f"kedge-install-{os.getpid() % 10000}"
    text = (ROOT / "manifests" / "install.yaml").read_text().replace("namespace: argocd", f"namespace: {ns}")
    docs = [d for d in yaml.safe_load_all(text) if d]
    for d in docs:
        if d["kind"] == "Namespace":
            d["metadata"]["name"] = ns
        elif d["kind"] in ("ClusterRole", "ClusterRoleBinding"):
            d["metadata"]["name"] += f"-{ns}"
            if d["kind"] == "ClusterRoleBinding":
                d["roleRef"]["name"] += f"-{ns}"
        elif d["kind"] in ("StatefulSet",) or d["kind"] == "Deployment":
            c = d["spec"]["template"]["spec"]["containers"][0]
            c["args"] = [ns if a == "argocd" else a for a in c["args"]]
    kinds = {d["kind"] for d in docs}
    assert {
        "Namespace",
        "CustomResourceDefinition",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "ConfigMap",
        "Secret",
        "Deployment",
        "StatefulSet",
        "Service",
    } <= kinds
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {
        ("Deployment", "kedge-server"),
        ("Deployment", "kedge-repo-server"),
        ("StatefulSet", "kedge-application-controller"),
    } <= names
    assert {("ConfigMap", n) for n in ("argocd-cm", "argocd-rbac-cm", "argocd-cmd-params-cm")} <= names

    out = kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == len(docs), out.stdout
    assert all(line.endswith((" created", " configured", " unchanged")) for line in lines), out.stdout

    got = kubectl(
        "get", "deployments,statefulsets,services,configmaps,serviceaccounts", "-n", ns, "-o", "name"
    )
    for expected in (
        "deployment.apps/kedge-server",
        "deployment.apps/kedge-repo-server",
        "statefulset.apps/kedge-application-controller",
        "service/kedge-server",
        "configmap/argocd-cm",
        "serviceaccount/kedge-application-controller",
    ):
        assert expected in got.stdout.split()
    # the objects are what the file says (the server did not drop fields it does not know)
    sts = yaml.safe_load(
        kubectl("get", "statefulset", "kedge-application-controller", "-n", ns, "-o", "yaml").stdout
    )
    assert sts["spec"]["template"]["spec"]["containers"][0]["args"][0] == "controller"
    kubectl("delete", "namespace", ns, "--wait=false")
    for d in docs:
        if d["kind"] in ("ClusterRole", "ClusterRoleBinding"):
            kubectl("delete", d["kind"].lower(), d["metadata"]["name"], "--ignore-not-found")
