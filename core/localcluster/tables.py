"""Server-side ``meta.k8s.io/v1`` Table output, which ``kubectl get`` prints.

Each kind has a few columns like the real server's printers; anything else gets NAME and AGE.
Custom resources use their CRD's ``additionalPrinterColumns`` (simple ``.a.b`` JSON paths).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kedge.localcluster.registry import ResourceInfo

Obj = dict[str, Any]


def _g(obj: Any, *path: str | int, default: Any = None) -> Any:
    for p in path:
        if isinstance(obj, dict):
            obj = obj.get(p)  # type: ignore[arg-type]
        elif isinstance(obj, list) and isinstance(p, int) and p < len(obj):
            obj = obj[p]
        else:
            return default
        if obj is None:
            return default
    return obj


def age(ts: str | None, now: datetime | None = None) -> str:
    """Human age like kubectl's: ``5s``, ``3m``, ``2h5m``, ``4d``."""
    if not ts:
        return "<unknown>"
    try:
        t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<invalid>"
    s = int(((now or datetime.now(UTC)) - t).total_seconds())
    if s < 0:
        s = 0
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    d = h // 24
    if d < 8:
        return f"{d}d{h % 24}h" if h % 24 else f"{d}d"
    if d < 365 * 2:
        return f"{d}d"
    return f"{d // 365}y"


Column = tuple[str, str, Callable[[Obj], Any], int]  # name, type, getter, priority


def _name(o: Obj) -> str:
    return _g(o, "metadata", "name", default="")


def _age(o: Obj) -> str:
    return age(_g(o, "metadata", "creationTimestamp"))


def _ready_of(total: Any, ready: Any) -> str:
    return f"{ready or 0}/{total or 0}"


def _pod_ready(o: Obj) -> str:
    cs = _g(o, "status", "containerStatuses", default=[]) or []
    total = len(_g(o, "spec", "containers", default=[]) or [])
    return f"{sum(1 for c in cs if c.get('ready'))}/{total}"


def _pod_status(o: Obj) -> str:
    if _g(o, "metadata", "deletionTimestamp"):
        return "Terminating"
    for c in _g(o, "status", "containerStatuses", default=[]) or []:
        waiting = _g(c, "state", "waiting", "reason")
        if waiting:
            return waiting
        term = _g(c, "state", "terminated", "reason")
        if term and _g(o, "status", "phase") not in ("Succeeded", "Failed"):
            return term
    return _g(o, "status", "reason") or _g(o, "status", "phase", default="Pending")


def _restarts(o: Obj) -> int:
    return sum(c.get("restartCount", 0) for c in _g(o, "status", "containerStatuses", default=[]) or [])


def _ports(o: Obj) -> str:
    out = []
    for p in _g(o, "spec", "ports", default=[]) or []:
        s = str(p.get("port", ""))
        if p.get("nodePort"):
            s += f":{p['nodePort']}"
        out.append(f"{s}/{p.get('protocol', 'TCP')}")
    return ",".join(out) or "<none>"


def _external_ip(o: Obj) -> str:
    ing = _g(o, "status", "loadBalancer", "ingress", default=[]) or []
    ips = [i.get("ip") or i.get("hostname") for i in ing if i.get("ip") or i.get("hostname")]
    ips += _g(o, "spec", "externalIPs", default=[]) or []
    if ips:
        return ",".join(ips)
    if _g(o, "spec", "type") == "LoadBalancer":
        return "<pending>"
    if _g(o, "spec", "type") == "ExternalName":
        return _g(o, "spec", "externalName", default="")
    return "<none>"


def _count(path: tuple[str, ...]) -> Callable[[Obj], int]:
    return lambda o: len(_g(o, *path, default={}) or {})


def _job_completions(o: Obj) -> str:
    return f"{_g(o, 'status', 'succeeded', default=0)}/{_g(o, 'spec', 'completions', default=1)}"


def _job_status(o: Obj) -> str:
    for c in _g(o, "status", "conditions", default=[]) or []:
        if c.get("status") == "True" and c.get("type") in ("Complete", "Failed", "Suspended"):
            return c["type"]
    return "Running"


def _ingress_hosts(o: Obj) -> str:
    hosts = [r.get("host") for r in _g(o, "spec", "rules", default=[]) or [] if r.get("host")]
    return ",".join(hosts) or "*"


def _ingress_address(o: Obj) -> str:
    ing = _g(o, "status", "loadBalancer", "ingress", default=[]) or []
    return ",".join(i.get("ip") or i.get("hostname", "") for i in ing)


def _node_status(o: Obj) -> str:
    for c in _g(o, "status", "conditions", default=[]) or []:
        if c.get("type") == "Ready":
            return "Ready" if c.get("status") == "True" else "NotReady"
    return "Unknown"


def _event_object(o: Obj) -> str:
    io = o.get("involvedObject") or o.get("regarding") or {}
    return f"{str(io.get('kind', '')).lower()}/{io.get('name', '')}"


NAME: Column = ("Name", "string", _name, 0)
AGE: Column = ("Age", "string", _age, 0)

COLUMNS: dict[str, list[Column]] = {
    "/pods": [
        NAME,
        ("Ready", "string", _pod_ready, 0),
        ("Status", "string", _pod_status, 0),
        ("Restarts", "integer", _restarts, 0),
        AGE,
        ("IP", "string", lambda o: _g(o, "status", "podIP", default="<none>"), 1),
        ("Node", "string", lambda o: _g(o, "spec", "nodeName", default="<none>"), 1),
    ],
    "apps/deployments": [
        NAME,
        (
            "Ready",
            "string",
            lambda o: _ready_of(_g(o, "spec", "replicas", default=1), _g(o, "status", "readyReplicas")),
            0,
        ),
        ("Up-to-date", "integer", lambda o: _g(o, "status", "updatedReplicas", default=0), 0),
        ("Available", "integer", lambda o: _g(o, "status", "availableReplicas", default=0), 0),
        AGE,
    ],
    "apps/replicasets": [
        NAME,
        ("Desired", "integer", lambda o: _g(o, "spec", "replicas", default=1), 0),
        ("Current", "integer", lambda o: _g(o, "status", "replicas", default=0), 0),
        ("Ready", "integer", lambda o: _g(o, "status", "readyReplicas", default=0), 0),
        AGE,
    ],
    "apps/statefulsets": [
        NAME,
        (
            "Ready",
            "string",
            lambda o: _ready_of(_g(o, "spec", "replicas", default=1), _g(o, "status", "readyReplicas")),
            0,
        ),
        AGE,
    ],
    "apps/daemonsets": [
        NAME,
        ("Desired", "integer", lambda o: _g(o, "status", "desiredNumberScheduled", default=0), 0),
        ("Current", "integer", lambda o: _g(o, "status", "currentNumberScheduled", default=0), 0),
        ("Ready", "integer", lambda o: _g(o, "status", "numberReady", default=0), 0),
        ("Up-to-date", "integer", lambda o: _g(o, "status", "updatedNumberScheduled", default=0), 0),
        ("Available", "integer", lambda o: _g(o, "status", "numberAvailable", default=0), 0),
        AGE,
    ],
    "/services": [
        NAME,
        ("Type", "string", lambda o: _g(o, "spec", "type", default="ClusterIP"), 0),
        ("Cluster-IP", "string", lambda o: _g(o, "spec", "clusterIP", default="<none>"), 0),
        ("External-IP", "string", _external_ip, 0),
        ("Port(s)", "string", _ports, 0),
        AGE,
        (
            "Selector",
            "string",
            lambda o: (
                ",".join(f"{k}={v}" for k, v in (_g(o, "spec", "selector", default={}) or {}).items())
                or "<none>"
            ),
            1,
        ),
    ],
    "/configmaps": [
        NAME,
        ("Data", "integer", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}), 0),
        AGE,
    ],
    "/secrets": [
        NAME,
        ("Type", "string", lambda o: o.get("type", "Opaque"), 0),
        ("Data", "integer", _count(("data",)), 0),
        AGE,
    ],
    "/namespaces": [NAME, ("Status", "string", lambda o: _g(o, "status", "phase", default="Active"), 0), AGE],
    "/serviceaccounts": [NAME, ("Secrets", "integer", _count(("secrets",)), 0), AGE],
    "/nodes": [
        NAME,
        ("Status", "string", _node_status, 0),
        ("Roles", "string", lambda o: "<none>", 0),
        AGE,
        ("Version", "string", lambda o: _g(o, "status", "nodeInfo", "kubeletVersion", default=""), 0),
    ],
    "/persistentvolumeclaims": [
        NAME,
        ("Status", "string", lambda o: _g(o, "status", "phase", default="Pending"), 0),
        ("Volume", "string", lambda o: _g(o, "spec", "volumeName", default=""), 0),
        ("Capacity", "string", lambda o: _g(o, "status", "capacity", "storage", default=""), 0),
        ("Access Modes", "string", lambda o: ",".join(_g(o, "status", "accessModes", default=[]) or []), 0),
        ("StorageClass", "string", lambda o: _g(o, "spec", "storageClassName", default="<unset>"), 0),
        AGE,
    ],
    "/persistentvolumes": [
        NAME,
        ("Capacity", "string", lambda o: _g(o, "spec", "capacity", "storage", default=""), 0),
        ("Status", "string", lambda o: _g(o, "status", "phase", default="Pending"), 0),
        (
            "Claim",
            "string",
            lambda o: (
                f"{_g(o, 'spec', 'claimRef', 'namespace', default='')}/{_g(o, 'spec', 'claimRef', 'name', default='')}".strip(
                    "/"
                )
            ),
            0,
        ),
        AGE,
    ],
    "/events": [
        (
            "Last Seen",
            "string",
            lambda o: age(o.get("lastTimestamp") or _g(o, "metadata", "creationTimestamp")),
            0,
        ),
        ("Type", "string", lambda o: o.get("type", ""), 0),
        ("Reason", "string", lambda o: o.get("reason", ""), 0),
        ("Object", "string", _event_object, 0),
        ("Message", "string", lambda o: o.get("message", ""), 0),
        ("Name", "string", _name, 1),
    ],
    "batch/jobs": [
        NAME,
        ("Status", "string", _job_status, 0),
        ("Completions", "string", _job_completions, 0),
        AGE,
    ],
    "batch/cronjobs": [
        NAME,
        ("Schedule", "string", lambda o: _g(o, "spec", "schedule", default=""), 0),
        ("Suspend", "boolean", lambda o: bool(_g(o, "spec", "suspend", default=False)), 0),
        ("Active", "integer", lambda o: len(_g(o, "status", "active", default=[]) or []), 0),
        (
            "Last Schedule",
            "string",
            lambda o: (
                age(_g(o, "status", "lastScheduleTime")) if _g(o, "status", "lastScheduleTime") else "<none>"
            ),
            0,
        ),
        AGE,
    ],
    "networking.k8s.io/ingresses": [
        NAME,
        ("Class", "string", lambda o: _g(o, "spec", "ingressClassName", default="<none>"), 0),
        ("Hosts", "string", _ingress_hosts, 0),
        ("Address", "string", _ingress_address, 0),
        ("Ports", "string", lambda o: "80, 443" if _g(o, "spec", "tls") else "80", 0),
        AGE,
    ],
    "apiextensions.k8s.io/customresourcedefinitions": [
        NAME,
        ("Created At", "date", lambda o: _g(o, "metadata", "creationTimestamp", default=""), 0),
    ],
    "/endpoints": [
        NAME,
        (
            "Endpoints",
            "string",
            lambda o: (
                ",".join(
                    f"{a.get('ip')}:{p.get('port')}"
                    for s in o.get("subsets") or []
                    for a in s.get("addresses") or []
                    for p in (s.get("ports") or [{}])
                )
                or "<none>"
            ),
            0,
        ),
        AGE,
    ],
}


def _jsonpath_getter(expr: str) -> Callable[[Obj], Any]:
    path = [p for p in expr.strip().lstrip(".").replace("[", ".[").split(".") if p]

    def get(o: Obj) -> Any:
        cur: Any = o
        for p in path:
            if p.startswith("[") and p.endswith("]"):
                inner = p[1:-1]
                if inner.isdigit() and isinstance(cur, list) and int(inner) < len(cur):
                    cur = cur[int(inner)]
                    continue
                if inner.startswith("?(@.") and "==" in inner and isinstance(cur, list):
                    k, v = inner[4:-1].split("==", 1)
                    v = v.strip().strip("\"'")
                    cur = next((x for x in cur if isinstance(x, dict) and str(x.get(k.strip())) == v), None)
                    continue
                return None
            if not isinstance(cur, dict):
                return None
            cur = cur.get(p)
        return cur

    return get


def columns_for(info: ResourceInfo) -> list[Column]:
    if info.crd is not None:
        if not info.printer_columns:
            return [NAME, AGE]
        cols: list[Column] = [NAME]
        for pc in info.printer_columns:
            get = _jsonpath_getter(pc.get("jsonPath", ""))
            typ = pc.get("type", "string")
            if typ == "date":
                cols.append(
                    (
                        pc.get("name", ""),
                        "date",
                        lambda o, g=get: age(g(o)) if g(o) else "<unknown>",
                        pc.get("priority", 0),
                    )
                )
            else:
                cols.append((pc.get("name", ""), typ, get, pc.get("priority", 0)))
        if not any(c[0] == "Age" for c in cols):
            cols.append(AGE)
        return cols
    return COLUMNS.get(info.storage_key, [NAME, AGE])


def column_definitions(cols: list[Column]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "type": typ if typ != "date" else "string",
            "format": "name" if name == "Name" else "",
            "description": f"{name} of the object"
            if name != "Age"
            else "CreationTimestamp is a timestamp representing the server time when this object was created.",
            "priority": prio,
        }
        for name, typ, _, prio in cols
    ]


def row(cols: list[Column], obj: Obj, include: str) -> dict[str, Any]:
    cells = []
    for _, _, get, _ in cols:
        try:
            v = get(obj)
        except Exception:  # a printer must never fail a list
            v = None
        cells.append("<none>" if v is None else v)
    r: dict[str, Any] = {"cells": cells}
    if include == "Object":
        r["object"] = obj
    elif include != "None":
        r["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata", {}),
        }
    return r


def table(
    info: ResourceInfo,
    objs: list[Obj],
    meta: dict[str, Any],
    include: str = "Metadata",
    with_columns: bool = True,
) -> dict[str, Any]:
    cols = columns_for(info)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": column_definitions(cols) if with_columns else None,
        "rows": [row(cols, o, include) for o in objs],
    }
