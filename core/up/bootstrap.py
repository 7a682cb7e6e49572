"""First-start setup of a control plane: CRDs, namespace, Argo CD's settings objects.

Everything is created only when missing, so a restart (or an existing Argo CD namespace) keeps
the user's settings and the admin password.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import time
from dataclasses import dataclass
from typing import Any

from kedge.errors import KedgeError
from kedge.kube.client import KubeClient, KubeError

PART_OF = {"app.kubernetes.io/part-of": "argocd"}
INITIAL_ADMIN_SECRET = "argocd-initial-admin-secret"
IN_CLUSTER_SECRET = "cluster-kubernetes.default.svc-3396314289"  # Argo CD: cluster-<host>-<fnv32a(server)>


def _b64(v: str) -> str:
    return base64.b64encode(v.encode()).decode()


@dataclass
class BootstrapResult:
    created_secret: bool
    admin_password: str | None  # from argocd-initial-admin-secret (None once the user deleted it)


def install_crds(client: KubeClient, timeout: float = 30.0) -> None:
    """Apply Kedge's argoproj.io CRDs (updating earlier Kedge versions of them) and wait until
    they are served. CRDs someone else installed (Argo CD) are left as they are."""
    from kedge.manifests import crds

    crd_res = client.resource_for("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    for crd in crds():
        existing = client.get(crd_res, None, crd["metadata"]["name"]) if crd_res is not None else None
        if existing is not None and not _ours(existing):
            continue  # Argo CD's own CRDs serve Kedge as well: never overwrite them
        client.apply(crd, field_manager="kedge-up")
    deadline = time.monotonic() + timeout
    for kind in ("Application", "AppProject", "ApplicationSet"):
        while client.resource_for("argoproj.io/v1alpha1", kind) is None:
            if time.monotonic() > deadline:
                raise KedgeError(f"the cluster did not start serving {kind} within {timeout:.0f}s")
            time.sleep(0.1)


def _ours(obj: dict[str, Any]) -> bool:
    """Whether Kedge wrote this object (a ``kedge-*`` field manager owns part of it)."""
    managers = [m.get("manager", "") for m in (obj.get("metadata") or {}).get("managedFields") or []]
    return not managers or any(m.startswith("kedge") for m in managers)


def _create_if_missing(client: KubeClient, obj: dict[str, Any]) -> bool:
    res = client.resource_of(obj)
    meta = obj["metadata"]
    if client.get(res, meta.get("namespace"), meta["name"]) is not None:
        return False
    try:
        client.create(obj, field_manager="kedge-up")
    except KubeError as exc:
        if exc.conflict:
            return False
        raise
    return True


def bootstrap(client: KubeClient, namespace: str, url: str = "") -> BootstrapResult:
    """CRDs, the namespace, argocd-cm/-rbac-cm/-cmd-params-cm, argocd-secret with a generated
    ``server.secretkey`` and admin password (bcrypt), argocd-initial-admin-secret (the password in
    clear, as Argo CD keeps it), the default AppProject and the in-cluster destination Secret."""
    from kedge.auth import generate_password, hash_password

    install_crds(client)
    _create_if_missing(client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    for name, data in (
        ("argocd-cm", {"url": url} if url else {}),
        ("argocd-rbac-cm", {}),
        ("argocd-cmd-params-cm", {}),
    ):
        _create_if_missing(
            client,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": namespace, "labels": dict(PART_OF)},
                "data": data,
            },
        )
    password = generate_password()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    created = _create_if_missing(
        client,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": "argocd-secret", "namespace": namespace, "labels": dict(PART_OF)},
            "data": {
                "server.secretkey": _b64(secrets.token_urlsafe(32)),
                "admin.password": _b64(hash_password(password)),
                "admin.passwordMtime": _b64(now),
            },
        },
    )
    if created:
        _create_if_missing(
            client,
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "metadata": {"name": INITIAL_ADMIN_SECRET, "namespace": namespace},
                "data": {"password": _b64(password)},
            },
        )
    _create_if_missing(
        client,
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "default", "namespace": namespace},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"server": "*", "namespace": "*"}],
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            },
        },
    )
    _create_if_missing(
        client,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": IN_CLUSTER_SECRET,
                "namespace": namespace,
                "labels": {"argocd.argoproj.io/secret-type": "cluster"},
            },
            "data": {
                "name": _b64("in-cluster"),
                "server": _b64("https://kubernetes.default.svc"),
                "config": _b64('{"tlsClientConfig":{"insecure":false}}'),
            },
        },
    )
    return BootstrapResult(created, initial_password(client, namespace))


def initial_password(client: KubeClient, namespace: str) -> str | None:
    res = client.resource_for("v1", "Secret")
    assert res is not None
    obj = client.get(res, namespace, INITIAL_ADMIN_SECRET)
    if obj is None or "password" not in (obj.get("data") or {}):
        return None
    return base64.b64decode(obj["data"]["password"]).decode()
