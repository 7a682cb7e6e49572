"""API discovery documents: the legacy form (/api, /apis, /api/v1, /apis/<g>/<v>) and the aggregated
``apidiscovery.k8s.io/v2`` form kubectl and client-go ask for first."""

from __future__ import annotations

from typing import Any

from kedge.localcluster.registry import Registry, ResourceInfo

AGGREGATED_CT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
SUB_VERBS = ["get", "patch", "update"]


def wants_aggregated(accept: str) -> str | None:
    """The aggregated discovery version the client accepts (``v2`` or ``v2beta1``), else None."""
    if "as=APIGroupDiscoveryList" not in accept:
        return None
    for part in accept.split(","):
        if "as=APIGroupDiscoveryList" in part and "g=apidiscovery.k8s.io" in part:
            if "v=v2beta1" in part:
                return "v2beta1"
            if "v=v2" in part:
                return "v2"
    return None


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _gv(group: str, version: str) -> dict[str, str]:
    return {"groupVersion": f"{group}/{version}" if group else version, "version": version}


def api_group(group: str, versions: list[str]) -> dict[str, Any]:
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": [_gv(group, v) for v in versions],
        "preferredVersion": _gv(group, versions[0]),
    }


def api_group_list(registry: Registry) -> dict[str, Any]:
    groups = [api_group(g, vs) for g, vs in registry.groups().items() if g]
    for g in groups:
        del g["kind"], g["apiVersion"]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _scale_kind() -> dict[str, str]:
    return {"group": "autoscaling", "version": "v1", "kind": "Scale"}


def api_resource_list(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    infos = [i for i in registry.all() if i.group == group and i.version == version]
    if not infos:
        return None
    resources: list[dict[str, Any]] = []
    for i in infos:
        r: dict[str, Any] = {
            "name": i.plural,
            "singularName": i.singular,
            "namespaced": i.namespaced,
            "kind": i.kind,
            "verbs": list(i.verbs),
        }
        if i.short_names:
            r["shortNames"] = list(i.short_names)
        if i.categories:
            r["categories"] = list(i.categories)
        resources.append(r)
        if i.storage_key == "/pods":
            resources.append(
                {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]}
            )
        for sub in i.subresources:
            sr: dict[str, Any] = {
                "name": f"{i.plural}/{sub}",
                "singularName": "",
                "namespaced": i.namespaced,
                "kind": i.kind,
                "verbs": SUB_VERBS,
            }
            if sub == "scale":
                sr.update(group="autoscaling", version="v1", kind="Scale")
            resources.append(sr)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def _agg_resource(i: ResourceInfo) -> dict[str, Any]:
    r: dict[str, Any] = {
        "resource": i.plural,
        "responseKind": {"group": i.group, "version": i.version, "kind": i.kind},
        "scope": "Namespaced" if i.namespaced else "Cluster",
        "singularResource": i.singular,
        "verbs": list(i.verbs),
    }
    if i.short_names:
        r["shortNames"] = list(i.short_names)
    if i.categories:
        r["categories"] = list(i.categories)
    if i.subresources:
        r["subresources"] = [
            {
                "subresource": sub,
                "responseKind": _scale_kind()
                if sub == "scale"
                else {"group": i.group, "version": i.version, "kind": i.kind},
                "verbs": SUB_VERBS,
            }
            for sub in i.subresources
        ]
    if i.storage_key == "/pods":
        r.setdefault("subresources", []).append(
            {
                "subresource": "log",
                "responseKind": {"group": "", "version": "v1", "kind": "Pod"},
                "verbs": ["get"],
            }
        )
    return r


def aggregated(registry: Registry, core: bool, version: str = "v2") -> dict[str, Any]:
    """The APIGroupDiscoveryList for /api (core=True) or /apis."""
    items = []
    for group, versions in registry.groups().items():
        if (group == "") != core:
            continue
        vs = []
        for v in versions:
            infos = [i for i in registry.all() if i.group == group and i.version == v]
            vs.append({"version": v, "resources": [_agg_resource(i) for i in infos], "freshness": "Current"})
        items.append({"metadata": {"name": group, "creationTimestamp": None}, "versions": vs})
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"apidiscovery.k8s.io/{version}",
        "metadata": {},
        "items": items,
    }
