"""Fields the API server refuses to change on update, with its messages.

These are the rules GitOps tools run into (and answer with ``Replace=true`` or recreation):
workload selectors, StatefulSet spec, Job template, Service clusterIP, immutable ConfigMaps and
Secrets, PVC spec, Pod spec. Each violation is a 422 ``Invalid`` cause.
"""

from __future__ import annotations

import json
from typing import Any

from kedge.localcluster.validation import Cause

Obj = dict[str, Any]

#: StatefulSet spec fields an update may change
_STS_MUTABLE = {
    "replicas",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
    "ordinals",
    "revisionHistoryLimit",
    "selector",
}


def _j(v: Any) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def _spec(o: Obj) -> Obj:
    s = o.get("spec")
    return s if isinstance(s, dict) else {}


def _without(d: Obj, keys: set[str]) -> Obj:
    return {k: v for k, v in d.items() if k not in keys}


def _pod_spec_masked(spec: Obj, old_node: str) -> Obj:
    out = dict(spec)
    for key in ("containers", "initContainers"):
        if isinstance(out.get(key), list):
            out[key] = [
                {k: v for k, v in c.items() if k != "image"} if isinstance(c, dict) else c for c in out[key]
            ]
    for key in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
        out.pop(key, None)
    if not old_node:  # binding a pending pod to a node
        out.pop("nodeName", None)
    return out


def update_causes(storage_key: str, old: Obj, new: Obj) -> list[Cause]:
    """Causes for changes ``new`` makes to immutable fields of ``old`` (empty when allowed)."""
    causes: list[Cause] = []
    os_, ns_ = _spec(old), _spec(new)
    if storage_key in (
        "apps/deployments",
        "apps/replicasets",
        "apps/daemonsets",
        "apps/statefulsets",
        "batch/jobs",
    ):
        if os_.get("selector") != ns_.get("selector") and ns_.get("selector") is not None:
            causes.append(
                Cause("spec.selector", f"Invalid value: {_j(ns_.get('selector'))}: field is immutable")
            )
    if storage_key == "apps/statefulsets":
        if _without(os_, _STS_MUTABLE) != _without(ns_, _STS_MUTABLE):
            causes.append(
                Cause(
                    "spec",
                    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                    "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                    "FieldValueForbidden",
                )
            )
    elif storage_key == "batch/jobs":
        if os_.get("template") != ns_.get("template"):
            causes.append(Cause("spec.template", "Invalid value: the Job's pod template: field is immutable"))
        if (
            "completions" in os_
            and os_.get("completions") != ns_.get("completions")
            and os_.get("completionMode") != "Indexed"
        ):
            causes.append(
                Cause("spec.completions", f"Invalid value: {_j(ns_.get('completions'))}: field is immutable")
            )
    elif storage_key == "/services":
        old_ip, new_ip = os_.get("clusterIP"), ns_.get("clusterIP")
        external = "ExternalName" in (os_.get("type"), ns_.get("type"))
        if old_ip and new_ip and old_ip != new_ip and not external:
            causes.append(
                Cause("spec.clusterIPs[0]", f'Invalid value: []string{{"{new_ip}"}}: may not change once set')
            )
    elif storage_key in ("/configmaps", "/secrets"):
        if old.get("immutable") is True:
            for field in ("data", "binaryData"):
                if old.get(field) != new.get(field):
                    causes.append(
                        Cause(
                            field,
                            "Forbidden: field is immutable when `immutable` is set",
                            "FieldValueForbidden",
                        )
                    )
            if new.get("immutable") is not True:
                causes.append(
                    Cause(
                        "immutable",
                        "Forbidden: field is immutable when `immutable` is set",
                        "FieldValueForbidden",
                    )
                )
    elif storage_key == "/persistentvolumeclaims":
        skip = {"resources", "volumeAttributesClassName"}
        if not os_.get("volumeName"):
            skip.add("volumeName")
        if os_.get("storageClassName") is None:
            skip.add("storageClassName")
        if _without(os_, skip) != _without(ns_, skip) or _without(
            os_.get("resources") or {}, {"requests"}
        ) != _without(ns_.get("resources") or {}, {"requests"}):
            causes.append(
                Cause(
                    "spec",
                    "Forbidden: spec is immutable after creation except resources.requests and "
                    "volumeAttributesClassName for bound claims",
                    "FieldValueForbidden",
                )
            )
    elif storage_key == "/pods":
        if _pod_spec_masked(os_, os_.get("nodeName") or "") != _pod_spec_masked(
            ns_, os_.get("nodeName") or ""
        ):
            causes.append(
                Cause(
                    "spec",
                    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                    "to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
                    "was previously negative)",
                    "FieldValueForbidden",
                )
            )
    return causes
