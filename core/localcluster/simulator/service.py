"""Service networking: Endpoints (and EndpointSlices when the server serves them) from the
ready and not-ready pods a Service selects, LoadBalancer addresses, Ingress addresses, and
Namespace phase."""

from __future__ import annotations

from typing import Any

from kedge.localcluster.simulator import meta as m
from kedge.localcluster.simulator.context import SimContext
from kedge.localcluster.simulator.resources import (
    ENDPOINTS,
    ENDPOINTSLICES,
    INGRESSES,
    NAMESPACES,
    PODS,
    SERVICES,
)

Obj = dict[str, Any]

MANAGED_BY = "endpointslice-controller.k8s.io"


def _resolve_port(svc_port: Obj, pod: Obj) -> int | None:
    target = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == target and (p.get("protocol") or "TCP") == (
                svc_port.get("protocol") or "TCP"
            ):
                return int(p.get("containerPort"))
    return None


def _address(pod: Obj) -> Obj:
    addr: Obj = {"ip": (pod.get("status") or {}).get("podIP")}
    node = (pod.get("spec") or {}).get("nodeName")
    if node:
        addr["nodeName"] = node
    addr["targetRef"] = {
        "kind": "Pod",
        "name": m.name_of(pod),
        "namespace": m.ns_of(pod),
        "uid": m.uid_of(pod),
    }
    return addr


def endpoint_pods(service: Obj, pods: list[Obj]) -> list[Obj]:
    """Pods that back a Service: selected, with an IP, not terminal, not being deleted."""
    selector = (service.get("spec") or {}).get("selector")
    return [
        p
        for p in pods
        if m.map_selector_matches(selector, m.labels_of(p))
        and (p.get("status") or {}).get("podIP")
        and m.pod_is_active(p)
    ]


def endpoints_subsets(service: Obj, pods: list[Obj]) -> list[Obj]:
    """Endpoints ``subsets``: pods grouped by their resolved port set; ready pods under
    ``addresses``, others under ``notReadyAddresses`` (all ready with publishNotReadyAddresses)."""
    spec = service.get("spec") or {}
    publish_all = bool(spec.get("publishNotReadyAddresses"))
    groups: dict[tuple[Any, ...], Obj] = {}
    for pod in endpoint_pods(service, pods):
        ports = []
        for sp in spec.get("ports") or []:
            port = _resolve_port(sp, pod)
            if port is None:
                continue
            entry: Obj = {"port": port, "protocol": sp.get("protocol") or "TCP"}
            if sp.get("name"):
                entry["name"] = sp["name"]
            if sp.get("appProtocol"):
                entry["appProtocol"] = sp["appProtocol"]
            ports.append(entry)
        if spec.get("ports") and not ports:
            continue
        key = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
        group = groups.setdefault(key, {"addresses": [], "notReadyAddresses": [], "ports": ports})
        if publish_all or m.pod_is_ready(pod):
            group["addresses"].append(_address(pod))
        else:
            group["notReadyAddresses"].append(_address(pod))
    subsets = []
    for key in sorted(groups):
        group = groups[key]
        subset: Obj = {}
        for field in ("addresses", "notReadyAddresses"):
            if group[field]:
                subset[field] = sorted(
                    group[field], key=lambda a: tuple(int(x) for x in a["ip"].split(".") if x.isdigit())
                )
        if group["ports"]:
            subset["ports"] = sorted(group["ports"], key=lambda p: (p.get("name", ""), p["port"]))
        subsets.append(subset)
    return subsets


def endpoints_object(service: Obj, subsets: list[Obj], existing: Obj | None) -> Obj:
    spec = service.get("spec") or {}
    labels = dict(m.labels_of(service))
    if spec.get("clusterIP") == "None":
        labels["service.kubernetes.io/headless"] = ""
    body: Obj = (
        m.deep_copy(existing)
        if existing is not None
        else {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": m.name_of(service), "namespace": m.ns_of(service)},
        }
    )
    if labels:
        body["metadata"]["labels"] = labels
    else:
        body["metadata"].pop("labels", None)
    if subsets:
        body["subsets"] = subsets
    else:
        body.pop("subsets", None)
    return body


def endpoint_slice(service: Obj, pods: list[Obj], existing: Obj | None) -> Obj:
    """One IPv4 EndpointSlice for the Service (ports resolved against the first pod)."""
    spec = service.get("spec") or {}
    backing = endpoint_pods(service, pods)
    ports = []
    for sp in spec.get("ports") or []:
        port = _resolve_port(sp, backing[0]) if backing else None
        entry: Obj = {"name": sp.get("name", ""), "protocol": sp.get("protocol") or "TCP"}
        if port is not None:
            entry["port"] = port
        ports.append(entry)
    endpoints = []
    for pod in sorted(backing, key=m.name_of):
        ready = m.pod_is_ready(pod)
        ep: Obj = {
            "addresses": [(pod.get("status") or {})["podIP"]],
            "conditions": {"ready": ready, "serving": ready, "terminating": False},
            "targetRef": {
                "kind": "Pod",
                "name": m.name_of(pod),
                "namespace": m.ns_of(pod),
                "uid": m.uid_of(pod),
            },
        }
        if (pod.get("spec") or {}).get("nodeName"):
            ep["nodeName"] = pod["spec"]["nodeName"]
        endpoints.append(ep)
    body = (
        m.deep_copy(existing)
        if existing is not None
        else {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": f"{m.name_of(service)}-{m.random_suffix(m.uid_of(service))}",
                "namespace": m.ns_of(service),
                "ownerReferences": [{**m.controller_ref(service), "apiVersion": "v1", "kind": "Service"}],
            },
        }
    )
    body["metadata"]["labels"] = {
        **m.labels_of(service),
        "kubernetes.io/service-name": m.name_of(service),
        "endpointslice.kubernetes.io/managed-by": MANAGED_BY,
    }
    body["addressType"] = "IPv4"
    body["endpoints"] = endpoints
    body["ports"] = ports
    return body


def load_balancer_status(service: Obj, ip: str | None) -> Obj:
    if ip is None:
        return {}
    return {"ingress": [{"ip": ip, "ipMode": "VIP"}]}


def sync_service(ctx: SimContext, namespace: str | None, name: str) -> None:
    svc = ctx.cache.get(SERVICES, namespace, name)
    existing = ctx.cache.get(ENDPOINTS, namespace, name)
    if svc is None or m.is_deleting(svc):
        if existing is not None and svc is None:
            ctx.delete(ENDPOINTS, namespace, name)
        return  # EndpointSlices are owned by the Service: the garbage collector removes them
    spec = svc.get("spec") or {}
    # LoadBalancer address
    key = f"{namespace}/{name}"
    if spec.get("type") == "LoadBalancer":
        ip = spec.get("loadBalancerIP") or ctx.allocate_lb_ip(key)
        lb = load_balancer_status(svc, ip)
    else:
        lb = {}
    if ((svc.get("status") or {}).get("loadBalancer") or {}) != lb:
        body = m.deep_copy(svc)
        body.setdefault("status", {})["loadBalancer"] = lb
        svc = ctx.update_status(SERVICES, body)
    if not spec.get("selector") or spec.get("type") == "ExternalName":
        return  # Endpoints of selector-less Services belong to the user
    pods = ctx.cache.labelled(PODS, namespace, spec.get("selector") or {})  # the selected ones
    subsets = endpoints_subsets(svc, pods)
    wanted = endpoints_object(svc, subsets, existing)
    if existing is None:
        ctx.create(ENDPOINTS, wanted)
    elif wanted != existing:
        ctx.update(ENDPOINTS, wanted)
    if ctx.served(ENDPOINTSLICES):
        slices = ctx.cache.labelled(
            ENDPOINTSLICES,
            namespace,
            {"kubernetes.io/service-name": name, "endpointslice.kubernetes.io/managed-by": MANAGED_BY},
        )
        current = slices[0] if slices else None
        body = endpoint_slice(svc, pods, current)
        if current is None:
            ctx.create(ENDPOINTSLICES, body)
        elif body != current:
            ctx.update(ENDPOINTSLICES, body)


def sync_ingress(ctx: SimContext, namespace: str | None, name: str) -> None:
    ing = ctx.cache.get(INGRESSES, namespace, name)
    if ing is None or m.is_deleting(ing):
        return
    wanted = {"ingress": [{"ip": ctx.opts.ingress_address}]}
    if ((ing.get("status") or {}).get("loadBalancer") or {}) != wanted:
        body = m.deep_copy(ing)
        body.setdefault("status", {})["loadBalancer"] = wanted
        ctx.update_status(INGRESSES, body)


def sync_namespace(ctx: SimContext, namespace: str | None, name: str) -> None:
    ns = ctx.cache.get(NAMESPACES, None, name)
    if ns is None or m.is_deleting(ns):
        return  # termination is the API server's
    if (ns.get("status") or {}).get("phase") != "Active":
        body = m.deep_copy(ns)
        body.setdefault("status", {})["phase"] = "Active"
        ctx.update_status(NAMESPACES, body)
