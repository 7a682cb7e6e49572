"""The contrib plugin kedge-gateway-api: installed by pip, found via its entry point, right statuses."""

from __future__ import annotations

import copy

import pytest

from kedge import plugins

G = "gateway.networking.k8s.io"


def cond(type_: str, status: str, reason: str = "", message: str = "", gen: int = 1) -> dict:
    return {"type": type_, "status": status, "reason": reason or type_, "message": message,
            "observedGeneration": gen, "lastTransitionTime": "2024-05-01T10:00:00Z"}  # fmt: skip


@pytest.fixture(scope="module")
def registry():
    plugins.reset()
    reg = plugins.registry()
    yield reg
    plugins.reset()


def check(registry, kind: str):
    return registry.provider("health_checks", f"{G}/{kind}")


def test_plugin_is_loaded_from_its_entry_point(registry):
    info = registry.plugins["gateway-api"]
    assert (info.origin, info.distribution) == ("entrypoint", "kedge-gateway-api")
    assert info.hooks == ["kedge_health_checks"]
    for kind in ("GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute",
                 "BackendTLSPolicy"):  # fmt: skip
        assert registry.owner("health_checks", f"{G}/{kind}") == "gateway-api"


GATEWAY = {
    "apiVersion": f"{G}/v1",
    "kind": "Gateway",
    "metadata": {"name": "web", "namespace": "infra", "generation": 2},
    "spec": {"gatewayClassName": "istio", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
    "status": {
        "addresses": [{"type": "IPAddress", "value": "10.0.0.7"}],
        "conditions": [cond("Accepted", "True", gen=2), cond("Programmed", "True", gen=2)],
        "listeners": [{"name": "http", "attachedRoutes": 1, "supportedKinds": [{"kind": "HTTPRoute"}],
                       "conditions": [cond("Accepted", "True", gen=2), cond("Programmed", "True", gen=2),
                                      cond("ResolvedRefs", "True", gen=2), cond("Conflicted", "False", "NoConflicts", gen=2)]}],
    },
}  # fmt: skip


def gw(**changes) -> dict:
    obj = copy.deepcopy(GATEWAY)
    for path, value in changes.items():
        cur = obj
        parts = path.split("__")
        for p in parts[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        if isinstance(cur, list):
            cur[int(parts[-1])] = value
        else:
            cur[parts[-1]] = value
    return obj


@pytest.mark.parametrize(
    "obj,expected",
    [
        (GATEWAY, {"status": "Healthy", "message": "Programmed at 10.0.0.7"}),
        ({**GATEWAY, "status": {}}, {"status": "Progressing", "message": "Waiting for the Gateway controller to report status"}),
        (gw(status__conditions=[cond("Accepted", "True", gen=1), cond("Programmed", "True", gen=1)]),
         {"status": "Progressing", "message": "Waiting for the controller to observe generation 2"}),
        (gw(status__conditions=[cond("Accepted", "False", "InvalidParameters", "parametersRef not found", gen=2),
                                cond("Programmed", "False", "Invalid", gen=2)]),
         {"status": "Degraded", "message": "Not accepted: InvalidParameters: parametersRef not found"}),
        (gw(status__conditions=[cond("Accepted", "True", gen=2),
                                cond("Programmed", "Unknown", "Pending", "Waiting for controller", gen=2)]),
         {"status": "Progressing", "message": "Waiting for the Gateway to be programmed (Pending: Waiting for controller)"}),
        (gw(status__conditions=[cond("Accepted", "True", gen=2),
                                cond("Programmed", "False", "AddressNotAssigned", "no IP available", gen=2)]),
         {"status": "Degraded", "message": "Not programmed: AddressNotAssigned: no IP available"}),
        (gw(status__listeners__0__conditions=[cond("Accepted", "True", gen=2),
                                              cond("ResolvedRefs", "False", "InvalidCertificateRef", "secret tls missing", gen=2)]),
         {"status": "Degraded", "message": "Listener http ResolvedRefs=False: InvalidCertificateRef: secret tls missing"}),
        (gw(status__listeners__0__conditions=[cond("Conflicted", "True", "HostnameConflict", "shared hostname", gen=2)]),
         {"status": "Degraded", "message": "Listener http conflicted: HostnameConflict: shared hostname"}),
    ],
    ids=["healthy", "no-status", "stale", "not-accepted", "pending", "no-address", "listener-refs", "listener-conflict"],
)  # fmt: skip
def test_gateway(registry, obj, expected):
    assert check(registry, "Gateway").assess(obj) == expected


def test_gateway_class(registry):
    gc = {"apiVersion": f"{G}/v1", "kind": "GatewayClass", "metadata": {"name": "istio", "generation": 1},
          "spec": {"controllerName": "istio.io/gateway-controller"}}  # fmt: skip
    c = check(registry, "GatewayClass")
    assert c.assess(gc) == {"status": "Progressing",
                            "message": "Waiting for istio.io/gateway-controller to accept the GatewayClass"}  # fmt: skip
    gc["status"] = {"conditions": [cond("Accepted", "True")]}
    assert c.assess(gc) == {"status": "Healthy", "message": "Accepted by istio.io/gateway-controller"}
    gc["status"] = {"conditions": [cond("Accepted", "False", "InvalidParameters", "bad params")]}
    assert c.assess(gc) == {"status": "Degraded", "message": "InvalidParameters: bad params"}


def route(kind: str, parents: list[dict] | None, parent_refs: list[dict], generation: int = 3) -> dict:
    obj = {"apiVersion": f"{G}/v1", "kind": kind,
           "metadata": {"name": "store", "namespace": "shop", "generation": generation},
           "spec": {"parentRefs": parent_refs, "rules": [{"backendRefs": [{"name": "store", "port": 8080}]}]}}  # fmt: skip
    if parents is not None:
        obj["status"] = {"parents": parents}
    return obj


def parent(name: str, ns: str = "infra", section: str | None = None, *conds: dict) -> dict:
    ref = {"group": G, "kind": "Gateway", "name": name, "namespace": ns}
    if section:
        ref["sectionName"] = section
    return {"parentRef": ref, "controllerName": "istio.io/gateway-controller", "conditions": list(conds)}


REFS = [
    {"name": "web", "namespace": "infra"},
    {"name": "internal", "namespace": "infra", "sectionName": "https"},
]


@pytest.mark.parametrize("kind", ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"])
def test_routes_use_per_parent_status(registry, kind):
    c = check(registry, kind)
    ok = [cond("Accepted", "True", gen=3), cond("ResolvedRefs", "True", gen=3)]
    assert c.assess(route(kind, None, REFS)) == {
        "status": "Progressing",
        "message": "Waiting for a parent to accept it",
    }
    healthy = route(
        kind, [parent("web", "infra", None, *ok), parent("internal", "infra", "https", *ok)], REFS
    )
    assert c.assess(healthy) == {"status": "Healthy", "message": "Accepted by 2 parents"}
    one_missing = route(kind, [parent("web", "infra", None, *ok)], REFS)
    assert c.assess(one_missing) == {"status": "Progressing",
                                     "message": "Waiting for parent infra/internal:https to report status"}  # fmt: skip
    rejected = route(kind, [parent("web", "infra", None, *ok), parent("internal", "infra", "https",
                     cond("Accepted", "False", "NotAllowedByListeners", "namespace shop not allowed", gen=3))], REFS)  # fmt: skip
    assert c.assess(rejected) == {
        "status": "Degraded",
        "message": "Parent infra/internal:https Accepted=False: NotAllowedByListeners: namespace shop not allowed",
    }
    broken_backend = route(kind, [parent("web", "infra", None, cond("Accepted", "True", gen=3),
                                         cond("ResolvedRefs", "False", "BackendNotFound", "service store not found", gen=3))],
                           REFS[:1])  # fmt: skip
    assert c.assess(broken_backend) == {
        "status": "Degraded",
        "message": "Parent infra/web ResolvedRefs=False: BackendNotFound: service store not found",
    }
    stale = route(kind, [parent("web", "infra", None, cond("Accepted", "True", gen=2))], REFS[:1])
    assert c.assess(stale) == {
        "status": "Progressing",
        "message": "Parent infra/web: waiting for generation 3 to be observed",
    }


def test_route_parent_in_own_namespace_by_default(registry):
    refs = [{"name": "local-gw"}]
    p = {
        "parentRef": {"name": "local-gw"},
        "controllerName": "x",
        "conditions": [cond("Accepted", "True", gen=1)],
    }
    obj = route("HTTPRoute", [p], refs, generation=1)
    assert check(registry, "HTTPRoute").assess(obj) == {
        "status": "Healthy",
        "message": "Accepted by 1 parent",
    }


def test_backend_tls_policy_ancestors(registry):
    c = check(registry, "BackendTLSPolicy")
    pol = {"apiVersion": f"{G}/v1alpha3", "kind": "BackendTLSPolicy", "metadata": {"name": "p", "namespace": "shop"},
           "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": "store"}]}}  # fmt: skip
    assert c.assess(pol)["status"] == "Progressing"
    pol["status"] = {"ancestors": [{"ancestorRef": {"name": "web", "namespace": "infra"}, "controllerName": "x",
                                    "conditions": [cond("Accepted", "True")]}]}  # fmt: skip
    assert c.assess(pol) == {"status": "Healthy", "message": "Accepted by 1 ancestor"}


def test_module_level_assess_dispatches_by_kind():
    from kedge_gateway_api import assess

    assert assess(GATEWAY)["status"] == "Healthy"
    assert assess({"apiVersion": "v1", "kind": "Service"}) is None
    assert assess({"apiVersion": f"{G}/v1beta1", "kind": "ReferenceGrant"}) is None
