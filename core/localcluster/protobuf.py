"""Decoding of the Kubernetes protobuf request bodies that kubectl's typed clients send.

``kubectl create namespace|configmap|secret|serviceaccount|deployment|service|job|cronjob|role|
rolebinding|clusterrole|clusterrolebinding|ingress|pdb|priorityclass|quota`` post their
object as ``application/vnd.kubernetes.protobuf`` (client-go has no JSON fallback for request
bodies). This module reads that wire format for those kinds and returns the JSON form; any field it
does not know that carries a value is refused rather than dropped (the caller answers 415 and
suggests ``kubectl apply``). Responses are always JSON, which every client accepts.

Envelope: the 4 bytes ``k8s\\0`` then a ``runtime.Unknown`` message (1: TypeMeta{1: apiVersion,
2: kind}, 2: raw bytes of the object message). Go's generated messages encode every non-pointer
field, zero values included, so zero values are read as "unset" except for pointer fields (marked
``"?"`` below; ``i0`` is a required integer kept when 0; ``inline:`` an embedded struct).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    """The body cannot be decoded (malformed, or uses a kind/field this server does not read)."""


# field number -> (json name, type); types: s string, b bytes, i int, ?i pointer int, t bool,
# ?t pointer bool, m:<Msg>, [s / [m:<Msg> repeated, {s map<string,string>, {b map<string,bytes>,
# {q map<string,Quantity>, ios IntOrString, time Time, skip (read and ignore)
F = dict[int, tuple[str, str]]
SCHEMA: dict[str, F] = {
    "TypeMeta": {1: ("apiVersion", "s"), 2: ("kind", "s")},
    "ObjectMeta": {
        1: ("name", "s"),
        2: ("generateName", "s"),
        3: ("namespace", "s"),
        4: ("selfLink", "skip"),
        5: ("uid", "s"),
        6: ("resourceVersion", "s"),
        7: ("generation", "i"),
        8: ("creationTimestamp", "time"),
        11: ("labels", "{s"),
        12: ("annotations", "{s"),
        13: ("ownerReferences", "[m:OwnerReference"),
        14: ("finalizers", "[s"),
    },
    "OwnerReference": {
        1: ("kind", "s"),
        3: ("name", "s"),
        4: ("uid", "s"),
        5: ("apiVersion", "s"),
        6: ("controller", "?t"),
        7: ("blockOwnerDeletion", "?t"),
    },
    "Namespace": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:NamespaceSpec"), 3: ("status", "skip")},
    "NamespaceSpec": {1: ("finalizers", "[s")},
    "ConfigMap": {
        1: ("metadata", "m:ObjectMeta"),
        2: ("data", "{s"),
        3: ("binaryData", "{b"),
        4: ("immutable", "?t"),
    },
    "Secret": {
        1: ("metadata", "m:ObjectMeta"),
        2: ("data", "{b"),
        3: ("type", "s"),
        4: ("stringData", "{s"),
        5: ("immutable", "?t"),
    },
    "ServiceAccount": {
        1: ("metadata", "m:ObjectMeta"),
        2: ("secrets", "[m:ObjectReference"),
        3: ("imagePullSecrets", "[m:LocalObjectReference"),
        4: ("automountServiceAccountToken", "?t"),
    },
    "ObjectReference": {
        1: ("kind", "s"),
        2: ("namespace", "s"),
        3: ("name", "s"),
        4: ("uid", "s"),
        5: ("apiVersion", "s"),
        6: ("resourceVersion", "s"),
        7: ("fieldPath", "s"),
    },
    "LocalObjectReference": {1: ("name", "s")},
    "Deployment": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:DeploymentSpec"), 3: ("status", "skip")},
    "DeploymentSpec": {
        1: ("replicas", "?i"),
        2: ("selector", "m:LabelSelector"),
        3: ("template", "m:PodTemplateSpec"),
        4: ("strategy", "m:DeploymentStrategy"),
        5: ("minReadySeconds", "i"),
        6: ("revisionHistoryLimit", "?i"),
        7: ("paused", "t"),
        9: ("progressDeadlineSeconds", "?i"),
    },
    "DeploymentStrategy": {1: ("type", "s"), 2: ("rollingUpdate", "m:RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "ios"), 2: ("maxSurge", "ios")},
    "LabelSelector": {1: ("matchLabels", "{s"), 2: ("matchExpressions", "[m:LabelSelectorRequirement")},
    "LabelSelectorRequirement": {1: ("key", "s"), 2: ("operator", "s"), 3: ("values", "[s")},
    "PodTemplateSpec": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:PodSpec")},
    "PodSpec": {
        2: ("containers", "[m:Container"),
        3: ("restartPolicy", "s"),
        4: ("terminationGracePeriodSeconds", "?i"),
        6: ("dnsPolicy", "s"),
        7: ("nodeSelector", "{s"),
        8: ("serviceAccountName", "s"),
        9: ("serviceAccount", "s"),
        10: ("nodeName", "s"),
        15: ("imagePullSecrets", "[m:LocalObjectReference"),
        16: ("hostname", "s"),
        17: ("subdomain", "s"),
        19: ("schedulerName", "s"),
        20: ("initContainers", "[m:Container"),
        24: ("priorityClassName", "s"),
    },
    "Container": {
        1: ("name", "s"),
        2: ("image", "s"),
        3: ("command", "[s"),
        4: ("args", "[s"),
        5: ("workingDir", "s"),
        6: ("ports", "[m:ContainerPort"),
        7: ("env", "[m:EnvVar"),
        8: ("resources", "m:ResourceRequirements"),
        13: ("terminationMessagePath", "s"),
        14: ("imagePullPolicy", "s"),
        16: ("stdin", "t"),
        17: ("stdinOnce", "t"),
        18: ("tty", "t"),
        20: ("terminationMessagePolicy", "s"),
    },
    "ContainerPort": {
        1: ("name", "s"),
        2: ("hostPort", "i"),
        3: ("containerPort", "i"),
        4: ("protocol", "s"),
        5: ("hostIP", "s"),
    },
    "EnvVar": {1: ("name", "s"), 2: ("value", "s")},
    "ResourceRequirements": {1: ("limits", "{q"), 2: ("requests", "{q")},
    "Service": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:ServiceSpec"), 3: ("status", "skip")},
    "ServiceSpec": {
        1: ("ports", "[m:ServicePort"),
        2: ("selector", "{s"),
        3: ("clusterIP", "s"),
        4: ("type", "s"),
        5: ("externalIPs", "[s"),
        7: ("sessionAffinity", "s"),
        10: ("externalName", "s"),
    },
    "ServicePort": {
        1: ("name", "s"),
        2: ("protocol", "s"),
        3: ("port", "i"),
        4: ("targetPort", "ios"),
        5: ("nodePort", "i"),
    },
    "PolicyRule": {
        1: ("verbs", "[s"),
        2: ("apiGroups", "[s"),
        3: ("resources", "[s"),
        4: ("resourceNames", "[s"),
        5: ("nonResourceURLs", "[s"),
    },
    "Role": {1: ("metadata", "m:ObjectMeta"), 2: ("rules", "[m:PolicyRule")},
    "ClusterRole": {
        1: ("metadata", "m:ObjectMeta"),
        2: ("rules", "[m:PolicyRule"),
        3: ("aggregationRule", "m:AggregationRule"),
    },
    "AggregationRule": {1: ("clusterRoleSelectors", "[m:LabelSelector")},
    "Subject": {1: ("kind", "s"), 2: ("apiGroup", "s"), 3: ("name", "s"), 4: ("namespace", "s")},
    "RoleRef": {1: ("apiGroup", "s"), 2: ("kind", "s"), 3: ("name", "s")},
    "RoleBinding": {
        1: ("metadata", "m:ObjectMeta"),
        2: ("subjects", "[m:Subject"),
        3: ("roleRef", "m:RoleRef"),
    },
    "Job": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:JobSpec"), 3: ("status", "skip")},
    "JobSpec": {
        1: ("parallelism", "?i"),
        2: ("completions", "?i"),
        3: ("activeDeadlineSeconds", "?i"),
        4: ("selector", "m:LabelSelector"),
        5: ("manualSelector", "?t"),
        6: ("template", "m:PodTemplateSpec"),
        7: ("backoffLimit", "?i"),
        8: ("ttlSecondsAfterFinished", "?i"),
        9: ("completionMode", "s"),
        10: ("suspend", "?t"),
    },
    "CronJob": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:CronJobSpec"), 3: ("status", "skip")},
    "CronJobSpec": {
        1: ("schedule", "s"),
        2: ("startingDeadlineSeconds", "?i"),
        3: ("concurrencyPolicy", "s"),
        4: ("suspend", "?t"),
        5: ("jobTemplate", "m:JobTemplateSpec"),
        6: ("successfulJobsHistoryLimit", "?i"),
        7: ("failedJobsHistoryLimit", "?i"),
        8: ("timeZone", "s"),
    },
    "JobTemplateSpec": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:JobSpec")},
    "Ingress": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:IngressSpec"), 3: ("status", "skip")},
    "IngressSpec": {
        1: ("defaultBackend", "m:IngressBackend"),
        2: ("tls", "[m:IngressTLS"),
        3: ("rules", "[m:IngressRule"),
        4: ("ingressClassName", "s"),
    },
    "IngressTLS": {1: ("hosts", "[s"), 2: ("secretName", "s")},
    "IngressRule": {1: ("host", "s"), 2: ("", "inline:IngressRuleValue")},
    "IngressRuleValue": {1: ("http", "m:HTTPIngressRuleValue")},
    "HTTPIngressRuleValue": {1: ("paths", "[m:HTTPIngressPath")},
    "HTTPIngressPath": {1: ("path", "s"), 2: ("backend", "m:IngressBackend"), 3: ("pathType", "s")},
    "IngressBackend": {4: ("service", "m:IngressServiceBackend")},
    "IngressServiceBackend": {1: ("name", "s"), 2: ("port", "m:ServiceBackendPort")},
    "ServiceBackendPort": {1: ("name", "s"), 2: ("number", "i")},
    "PodDisruptionBudget": {
        1: ("metadata", "m:ObjectMeta"),
        2: ("spec", "m:PodDisruptionBudgetSpec"),
        3: ("status", "skip"),
    },
    "PodDisruptionBudgetSpec": {
        1: ("minAvailable", "ios"),
        2: ("selector", "m:LabelSelector"),
        3: ("maxUnavailable", "ios"),
        4: ("unhealthyPodEvictionPolicy", "s"),
    },
    "PriorityClass": {
        1: ("metadata", "m:ObjectMeta"),
        2: ("value", "i0"),
        3: ("globalDefault", "t"),
        4: ("description", "s"),
        5: ("preemptionPolicy", "s"),
    },
    "ResourceQuota": {
        1: ("metadata", "m:ObjectMeta"),
        2: ("spec", "m:ResourceQuotaSpec"),
        3: ("status", "skip"),
    },
    "ResourceQuotaSpec": {1: ("hard", "{q"), 2: ("scopes", "[s")},
    "HorizontalPodAutoscaler": {
        1: ("metadata", "m:ObjectMeta"),
        2: ("spec", "m:HPASpec"),
        3: ("status", "skip"),
    },
    "HPASpec": {
        1: ("scaleTargetRef", "m:CrossVersionObjectReference"),
        2: ("minReplicas", "?i"),
        3: ("maxReplicas", "i0"),
        4: ("metrics", "[m:MetricSpec"),
    },
    "CrossVersionObjectReference": {1: ("kind", "s"), 2: ("name", "s"), 3: ("apiVersion", "s")},
    "MetricSpec": {1: ("type", "s"), 4: ("resource", "m:ResourceMetricSource")},
    "ResourceMetricSource": {1: ("name", "s"), 2: ("target", "m:MetricTarget")},
    "MetricTarget": {
        1: ("type", "s"),
        2: ("value", "m:Quantity"),
        3: ("averageValue", "m:Quantity"),
        4: ("averageUtilization", "?i"),
    },
    "Quantity": {1: ("string", "s")},
}
#: (apiVersion, kind) -> message
KINDS = {
    ("v1", "Namespace"): "Namespace",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "Service"): "Service",
    ("apps/v1", "Deployment"): "Deployment",
    ("v1", "ResourceQuota"): "ResourceQuota",
    ("rbac.authorization.k8s.io/v1", "Role"): "Role",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "ClusterRole",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "RoleBinding",
    ("batch/v1", "Job"): "Job",
    ("batch/v1", "CronJob"): "CronJob",
    ("networking.k8s.io/v1", "Ingress"): "Ingress",
    ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget",
    ("scheduling.k8s.io/v1", "PriorityClass"): "PriorityClass",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "HorizontalPodAutoscaler",
}


def _varint(b: bytes, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if i >= len(b):
            raise ProtobufError("truncated varint")
        x = b[i]
        i += 1
        result |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return result, i
        if shift > 70:
            raise ProtobufError("varint too long")


def _fields(b: bytes) -> list[tuple[int, int, Any]]:
    out = []
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 2:
            n, i = _varint(b, i)
            if i + n > len(b):
                raise ProtobufError("truncated field")
            v = b[i : i + n]
            i += n
        elif wt == 1:
            v, i = b[i : i + 8], i + 8
        elif wt == 5:
            v, i = b[i : i + 4], i + 4
        else:
            raise ProtobufError(f"unsupported wire type {wt}")
        out.append((num, wt, v))
    return out


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _str(v: Any) -> str:
    if not isinstance(v, bytes):
        raise ProtobufError("expected a string")
    return v.decode("utf-8")


def _entry(v: bytes) -> tuple[bytes, bytes]:
    key = val = b""
    for num, _, x in _fields(v):
        if num == 1:
            key = x
        elif num == 2:
            val = x
    return key, val


def _is_zero(wt: int, v: Any) -> bool:
    return v == 0 if wt == 0 else not v


def decode_message(b: bytes, msg: str, path: str = "") -> dict[str, Any]:
    schema = SCHEMA[msg]
    out: dict[str, Any] = {}
    for num, wt, v in _fields(b):
        spec = schema.get(num)
        if spec is None:
            if _is_zero(wt, v):
                continue
            raise ProtobufError(
                f"field {num} of {msg} ({path or 'object'}) is not supported in protobuf bodies"
            )
        name, typ = spec
        p = f"{path}.{name}" if path else name
        if typ == "skip":
            continue
        if typ.startswith("["):
            inner = typ[1:]
            val = decode_message(v, inner[2:], p) if inner.startswith("m:") else _str(v)
            out.setdefault(name, []).append(val)
        elif typ.startswith("{"):
            k, x = _entry(v)
            if typ == "{s":
                val = _str(x)
            elif typ == "{b":
                val = base64.b64encode(x).decode()
            else:  # Quantity{1: string}
                val = next((_str(q) for n, _, q in _fields(x) if n == 1), "")
            out.setdefault(name, {})[_str(k)] = val
        elif typ == "m:Quantity":
            q = decode_message(v, "Quantity", p).get("string")
            if q:
                out[name] = q
        elif typ.startswith("m:"):
            sub = decode_message(v, typ[2:], p)
            if sub:
                out[name] = sub
        elif typ.startswith("inline:"):  # an embedded struct whose fields sit in the parent (json:",inline")
            out.update(decode_message(v, typ[7:], path))
        elif typ == "s":
            if v:
                out[name] = _str(v)
        elif typ in ("i", "?i", "i0"):
            if v or typ != "i":
                out[name] = _signed(v)
        elif typ in ("t", "?t"):
            if v or typ == "?t":
                out[name] = bool(v)
        elif typ == "ios":
            t = iv = 0
            sv = ""
            for n, _, x in _fields(v):
                if n == 1:
                    t = x
                elif n == 2:
                    iv = _signed(x)
                elif n == 3:
                    sv = _str(x)
            out[name] = sv if t == 1 else iv
        elif typ == "time":
            secs = next((_signed(x) for n, _, x in _fields(v) if n == 1), 0)
            if secs:
                out[name] = datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded object; raises ProtobufError."""
    if not body.startswith(MAGIC):
        raise ProtobufError("not a Kubernetes protobuf body (missing the k8s\\0 prefix)")
    type_meta: dict[str, Any] = {}
    raw = b""
    for num, _, v in _fields(body[len(MAGIC) :]):
        if num == 1:
            type_meta = decode_message(v, "TypeMeta")
        elif num == 2:
            raw = v
    key = (type_meta.get("apiVersion", ""), type_meta.get("kind", ""))
    msg = KINDS.get(key)
    if msg is None:
        raise ProtobufError(f"protobuf bodies of kind {key[1] or '?'} ({key[0] or '?'}) are not supported")
    return {"apiVersion": key[0], "kind": key[1], **decode_message(raw, msg)}
