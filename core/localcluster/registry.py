"""The table of resources the local cluster serves: built-in kinds plus those of CustomResourceDefinitions.

One :class:`ResourceInfo` per (group, version, plural). Objects are *stored* once per (group, plural)
(the storage key), so a CRD serving several versions shows the same objects under each of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceInfo:
    """One served resource: what discovery advertises and what the store needs to know."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()  # "status", "scale"
    verbs: tuple[str, ...] = ALL_VERBS
    categories: tuple[str, ...] = ()
    #: objects carry metadata.generation (bumped on spec changes)
    has_generation: bool = True
    #: name must be a DNS-1123 label (63 chars, no dots) rather than a subdomain
    dns_label_names: bool = False
    #: for CRDs: the CRD's name, its openAPIV3Schema and scale subresource paths
    crd: str | None = None
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    scale_paths: tuple[str, str, str] | None = None  # spec replicas, status replicas, label selector
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)
    #: a CRD's spec.names.singular when it is not the lower-cased kind
    singular_name: str = ""
    #: answered, never stored (access reviews): only "create"
    virtual: bool = False

    @property
    def singular(self) -> str:
        return self.singular_name or self.kind.lower()

    @property
    def key(self) -> str:
        """The resource key of the contract: ``"apps/v1/deployments"``, ``"/v1/pods"``."""
        return f"{self.group}/{self.version}/{self.plural}"

    @property
    def storage_key(self) -> str:
        """Objects of every version of a resource live under ``"<group>/<plural>"``."""
        return f"{self.group}/{self.plural}"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def gvk(self) -> tuple[str, str, str]:
        return (self.group, self.version, self.kind)


def _r(
    gv: str, kind: str, plural: str, namespaced: bool = True, short: str = "", sub: str = "", **kw: Any
) -> ResourceInfo:
    group, _, version = gv.rpartition("/")
    return ResourceInfo(
        group=group,
        version=version,
        kind=kind,
        plural=plural,
        namespaced=namespaced,
        short_names=tuple(s for s in short.split(",") if s),
        subresources=tuple(s for s in sub.split(",") if s),
        **kw,
    )


_NO_GEN = {"has_generation": False}
_CORE_ALL = {"categories": ("all",)}

#: Built-in resources, table-driven. Order is discovery order.
BUILTIN: tuple[ResourceInfo, ...] = (
    # core/v1
    _r("v1", "Namespace", "namespaces", False, "ns", "status", dns_label_names=True, **_NO_GEN),
    _r("v1", "Pod", "pods", True, "po", "status", categories=("all",)),
    _r("v1", "Service", "services", True, "svc", "status", dns_label_names=True, categories=("all",)),
    _r("v1", "Endpoints", "endpoints", True, "ep", **_NO_GEN),
    _r("v1", "ConfigMap", "configmaps", True, "cm", **_NO_GEN),
    _r("v1", "Secret", "secrets", True, **_NO_GEN),
    _r("v1", "ServiceAccount", "serviceaccounts", True, "sa", **_NO_GEN),
    _r("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, "pvc", "status"),
    _r("v1", "PersistentVolume", "persistentvolumes", False, "pv", "status"),
    _r("v1", "Node", "nodes", False, "no", "status", **_NO_GEN),
    _r("v1", "Event", "events", True, "ev", **_NO_GEN),
    _r("v1", "LimitRange", "limitranges", True, "limits", **_NO_GEN),
    _r("v1", "ResourceQuota", "resourcequotas", True, "quota", "status", **_NO_GEN),
    _r(
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        True,
        "rc",
        "status,scale",
        categories=("all",),
    ),
    # apps/v1
    _r("apps/v1", "Deployment", "deployments", True, "deploy", "status,scale", categories=("all",)),
    _r("apps/v1", "ReplicaSet", "replicasets", True, "rs", "status,scale", categories=("all",)),
    _r("apps/v1", "StatefulSet", "statefulsets", True, "sts", "status,scale", categories=("all",)),
    _r("apps/v1", "DaemonSet", "daemonsets", True, "ds", "status", categories=("all",)),
    _r("apps/v1", "ControllerRevision", "controllerrevisions", True, **_NO_GEN),
    # batch/v1
    _r("batch/v1", "Job", "jobs", True, "", "status", categories=("all",)),
    _r("batch/v1", "CronJob", "cronjobs", True, "cj", "status", categories=("all",)),
    # networking.k8s.io/v1
    _r("networking.k8s.io/v1", "Ingress", "ingresses", True, "ing", "status"),
    _r("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True, "netpol"),
    _r("networking.k8s.io/v1", "IngressClass", "ingressclasses", False),
    # rbac.authorization.k8s.io/v1
    _r("rbac.authorization.k8s.io/v1", "Role", "roles", True, **_NO_GEN),
    _r("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True, **_NO_GEN),
    _r("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False, **_NO_GEN),
    _r("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False, **_NO_GEN),
    # apiextensions.k8s.io/v1
    _r(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        "crd,crds",
        "status",
    ),
    # autoscaling/v2
    _r(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        True,
        "hpa",
        "status",
        categories=("all",),
    ),
    # policy/v1
    _r("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", True, "pdb", "status"),
    # coordination.k8s.io/v1
    _r("coordination.k8s.io/v1", "Lease", "leases", True, **_NO_GEN),
    # storage.k8s.io/v1
    _r("storage.k8s.io/v1", "StorageClass", "storageclasses", False, "sc", **_NO_GEN),
    _r("storage.k8s.io/v1", "CSIDriver", "csidrivers", False),
    _r("storage.k8s.io/v1", "VolumeAttachment", "volumeattachments", False, "", "status"),
    # admissionregistration.k8s.io/v1 (stored only; webhooks are never called)
    _r(
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        False,
    ),
    _r(
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        False,
    ),
    # events.k8s.io/v1
    _r("events.k8s.io/v1", "Event", "events", True, "ev", **_NO_GEN),
    # kinds common in Helm charts and operators' manifests
    _r("v1", "PodTemplate", "podtemplates", True, **_NO_GEN),
    _r("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", False, "pc", **_NO_GEN),
    _r("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", True, **_NO_GEN),
    _r("node.k8s.io/v1", "RuntimeClass", "runtimeclasses", False, **_NO_GEN),
    _r("apiregistration.k8s.io/v1", "APIService", "apiservices", False, "", "status"),
    _r(
        "certificates.k8s.io/v1",
        "CertificateSigningRequest",
        "certificatesigningrequests",
        False,
        "csr",
        "status",
    ),
    _r("storage.k8s.io/v1", "CSINode", "csinodes", False, **_NO_GEN),
    # reviews kubectl auth can-i / whoami ask for; answered, never stored
    _r(
        "authorization.k8s.io/v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        False,
        verbs=("create",),
        virtual=True,
        **_NO_GEN,
    ),
    _r(
        "authorization.k8s.io/v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        False,
        verbs=("create",),
        virtual=True,
        **_NO_GEN,
    ),
    _r(
        "authentication.k8s.io/v1",
        "SelfSubjectReview",
        "selfsubjectreviews",
        False,
        verbs=("create",),
        virtual=True,
        **_NO_GEN,
    ),
)

#: Group preferred-order for discovery (core first, like a real server).
GROUP_ORDER = [
    "",
    "apps",
    "events.k8s.io",
    "autoscaling",
    "batch",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "scheduling.k8s.io",
    "node.k8s.io",
    "apiregistration.k8s.io",
    "certificates.k8s.io",
    "authorization.k8s.io",
    "authentication.k8s.io",
]


class Registry:
    """Resources currently served, looked up by key, by (group, version, plural) or by kind."""

    def __init__(self) -> None:
        self._by_key: dict[str, ResourceInfo] = {}
        for info in BUILTIN:
            self.add(info)

    def add(self, info: ResourceInfo) -> None:
        self._by_key[info.key] = info

    def remove_crd(self, crd_name: str) -> list[ResourceInfo]:
        """Stop serving every resource of a CRD; returns what was removed."""
        gone = [i for i in self._by_key.values() if i.crd == crd_name]
        for info in gone:
            del self._by_key[info.key]
        return gone

    def get(self, key: str) -> ResourceInfo | None:
        return self._by_key.get(key)

    def lookup(self, group: str, version: str, plural: str) -> ResourceInfo | None:
        return self._by_key.get(f"{group}/{version}/{plural}")

    def for_kind(self, api_version: str, kind: str) -> ResourceInfo | None:
        group, _, version = api_version.rpartition("/")
        for info in self._by_key.values():
            if info.kind == kind and info.group == group and info.version == version:
                return info
        return None

    def all(self) -> list[ResourceInfo]:
        return list(self._by_key.values())

    def versions_of(self, storage_key: str) -> list[ResourceInfo]:
        return [i for i in self._by_key.values() if i.storage_key == storage_key]

    def groups(self) -> dict[str, list[str]]:
        """group -> served versions (preferred first)."""
        out: dict[str, list[str]] = {}
        for info in self._by_key.values():
            vs = out.setdefault(info.group, [])
            if info.version not in vs:
                vs.append(info.version)
        order = {g: i for i, g in enumerate(GROUP_ORDER)}
        return dict(sorted(out.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def crd_resources(crd: dict[str, Any]) -> list[ResourceInfo]:
    """The resources a CustomResourceDefinition object serves (one per served version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = spec.get("group", "")
    out = []
    for v in spec.get("versions") or []:
        if not v.get("served", True):
            continue
        subs = v.get("subresources") or {}
        scale = subs.get("scale")
        out.append(
            ResourceInfo(
                group=group,
                version=v["name"],
                kind=names.get("kind", ""),
                plural=names.get("plural", ""),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                subresources=tuple(s for s in ("status", "scale") if s in subs),
                categories=tuple(names.get("categories") or ()),
                crd=(crd.get("metadata") or {}).get("name"),
                schema=((v.get("schema") or {}).get("openAPIV3Schema")),
                scale_paths=(
                    (
                        scale.get("specReplicasPath", ".spec.replicas"),
                        scale.get("statusReplicasPath", ".status.replicas"),
                        scale.get("labelSelectorPath", ""),
                    )
                    if isinstance(scale, dict)
                    else None
                ),
                printer_columns=tuple(v.get("additionalPrinterColumns") or ()),
                singular_name=names.get("singular") or "",
            )
        )
    return out
