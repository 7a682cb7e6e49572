"""Dynamic provisioning: every PersistentVolumeClaim gets a generated PersistentVolume
(``pvc-<claim uid>``, hostPath under /var/local-path-provisioner) and both become Bound. A
deleted claim's volume is deleted (reclaim policy Delete) or Released (Retain)."""

from __future__ import annotations

from typing import Any

from kedge.localcluster.contract import AlreadyExistsError
from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator.context import SimContext
from kedge.localcluster.simulator.resources import PVCS, PVS

Obj = dict[str, Any]

PROVISIONER = "kedge.dev/local-path"


def volume_for_claim(pvc: Obj) -> Obj:
    spec = pvc.get("spec") or {}
    size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
    name = f"pvc-{m.uid_of(pvc)}"
    pv_spec: Obj = {
        "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
        "capacity": {"storage": size},
        "claimRef": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "name": m.name_of(pvc),
            "namespace": m.ns_of(pvc),
            "uid": m.uid_of(pvc),
            "resourceVersion": pvc.get("metadata", {}).get("resourceVersion", ""),
        },
        "hostPath": {
            "path": f"/var/local-path-provisioner/{name}_{m.ns_of(pvc)}_{m.name_of(pvc)}",
            "type": "DirectoryOrCreate",
        },
        "persistentVolumeReclaimPolicy": "Delete",
        "volumeMode": spec.get("volumeMode") or "Filesystem",
    }
    if spec.get("storageClassName"):
        pv_spec["storageClassName"] = spec["storageClassName"]
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
        "spec": pv_spec,
    }


def sync_pvc(ctx: SimContext, namespace: str | None, name: str) -> None:
    pvc = ctx.cache.get(PVCS, namespace, name)
    if pvc is None or m.is_deleting(pvc):
        return
    spec = pvc.get("spec") or {}
    volume_name = spec.get("volumeName") or f"pvc-{m.uid_of(pvc)}"
    pv = ctx.cache.get(PVS, None, volume_name)
    if pv is None:
        if spec.get("volumeName"):
            return  # waits for the named (pre-provisioned) volume to appear
        try:
            pv = ctx.create(PVS, volume_for_claim(pvc))
            ctx.event(
                pvc,
                "PersistentVolumeClaim",
                "Normal",
                "ProvisioningSucceeded",
                f"Successfully provisioned volume {m.name_of(pv)}",
                PROVISIONER,
            )
        except AlreadyExistsError:
            pv = ctx.cache.get(PVS, None, volume_name)
            if pv is None:
                raise
    claim_ref = (pv.get("spec") or {}).get("claimRef") or {}
    if not claim_ref:  # a pre-provisioned volume named by the claim: bind it to the claim
        claim_ref = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "name": name,
            "namespace": namespace,
            "uid": m.uid_of(pvc),
        }
        pv = ctx.update(PVS, {**pv, "spec": {**(pv.get("spec") or {}), "claimRef": claim_ref}})
    elif claim_ref.get("uid") not in (None, "", m.uid_of(pvc)):
        return  # the volume belongs to another claim
    if ((pv.get("status") or {}).get("phase")) != "Bound":
        body = m.with_status(pv, {"phase": "Bound"})
        ctx.update_status(PVS, body)
    annotations = {
        "pv.kubernetes.io/bind-completed": "yes",
        "pv.kubernetes.io/bound-by-controller": "yes",
        "volume.beta.kubernetes.io/storage-provisioner": PROVISIONER,
        "volume.kubernetes.io/storage-provisioner": PROVISIONER,
    }
    if spec.get("volumeName") != volume_name or any(
        m.annotations_of(pvc).get(k) != v for k, v in annotations.items()
    ):
        body = m.deep_copy(pvc)
        body["spec"]["volumeName"] = volume_name
        body["metadata"].setdefault("annotations", {}).update(annotations)
        pvc = ctx.update(PVCS, body)
    status = {
        "phase": "Bound",
        "accessModes": list((pv.get("spec") or {}).get("accessModes") or []),
        "capacity": dict((pv.get("spec") or {}).get("capacity") or {}),
    }
    if (pvc.get("status") or {}) != status:
        body = m.with_status(pvc, status)
        ctx.update_status(PVCS, body)


def sync_pv(ctx: SimContext, namespace: str | None, name: str) -> None:
    pv = ctx.cache.get(PVS, None, name)
    if pv is None or m.is_deleting(pv):
        return
    ref = (pv.get("spec") or {}).get("claimRef") or {}
    if not ref:
        return
    claim = ctx.cache.get(PVCS, ref.get("namespace"), ref.get("name", ""))
    if claim is not None and m.uid_of(claim) == ref.get("uid"):
        return
    if (pv.get("spec") or {}).get("persistentVolumeReclaimPolicy", "Delete") == "Delete" and m.annotations_of(
        pv
    ).get("pv.kubernetes.io/provisioned-by") == PROVISIONER:
        ctx.delete(PVS, None, name)
    elif (pv.get("status") or {}).get("phase") != "Released":
        body = m.with_status(pv, {"phase": "Released"})
        ctx.update_status(PVS, body)
