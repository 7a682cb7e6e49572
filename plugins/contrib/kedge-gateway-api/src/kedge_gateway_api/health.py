"""Health of Gateway API objects from their standard status conditions.

Every function takes the object as a dict and returns ``{"status": ..., "message": ...}`` with
Argo CD's health statuses (``Healthy``, ``Progressing``, ``Degraded``), or ``None`` when the
kind has no health.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

GROUP = "gateway.networking.k8s.io"

Health = dict[str, str]


def _health(status: str, message: str) -> Health:
    return {"status": status, "message": message}


def _conditions(status: Any) -> dict[str, dict[str, Any]]:
    conds = status.get("conditions") if isinstance(status, dict) else None
    return {c["type"]: c for c in conds or [] if isinstance(c, dict) and isinstance(c.get("type"), str)}


def _generation(obj: dict[str, Any]) -> int | None:
    gen = (obj.get("metadata") or {}).get("generation")
    return gen if isinstance(gen, int) else None


def _stale(cond: dict[str, Any] | None, generation: int | None) -> bool:
    """A condition written for an older spec (``observedGeneration`` < ``metadata.generation``)."""
    if cond is None or generation is None:
        return False
    observed = cond.get("observedGeneration")
    return isinstance(observed, int) and observed < generation


def _why(cond: dict[str, Any]) -> str:
    reason, message = cond.get("reason") or "", cond.get("message") or ""
    if reason and message:
        return f"{reason}: {message}"
    return reason or message or f"{cond.get('type')} is {cond.get('status')}"


def gateway_class(obj: dict[str, Any]) -> Health:
    conds = _conditions(obj.get("status"))
    accepted = conds.get("Accepted")
    controller = (obj.get("spec") or {}).get("controllerName", "its controller")
    if accepted is None or accepted.get("status") == "Unknown" or _stale(accepted, _generation(obj)):
        return _health("Progressing", f"Waiting for {controller} to accept the GatewayClass")
    if accepted.get("status") == "True":
        return _health("Healthy", f"Accepted by {controller}")
    return _health("Degraded", _why(accepted))


def gateway(obj: dict[str, Any]) -> Health:
    status = obj.get("status") or {}
    conds = _conditions(status)
    gen = _generation(obj)
    accepted, programmed = conds.get("Accepted"), conds.get("Programmed")
    if accepted is None and programmed is None:
        return _health("Progressing", "Waiting for the Gateway controller to report status")
    if any(_stale(c, gen) for c in (accepted, programmed)):
        return _health("Progressing", f"Waiting for the controller to observe generation {gen}")
    if accepted is not None and accepted.get("status") == "False":
        return _health("Degraded", f"Not accepted: {_why(accepted)}")
    for listener in status.get("listeners") or []:
        problem = _listener_problem(listener, gen)
        if problem is not None:
            return problem
    if programmed is None or programmed.get("status") == "Unknown" or programmed.get("reason") == "Pending":
        return _health("Progressing", f"Waiting for the Gateway to be programmed ({_why(programmed or {})})")
    if programmed.get("status") == "False":
        return _health("Degraded", f"Not programmed: {_why(programmed)}")
    if accepted is None or accepted.get("status") != "True":
        return _health("Progressing", "Waiting for the Gateway to be accepted")
    addresses = [
        a.get("value") for a in status.get("addresses") or [] if isinstance(a, dict) and a.get("value")
    ]
    return _health("Healthy", "Programmed" + (f" at {', '.join(addresses)}" if addresses else ""))


def _listener_problem(listener: Any, gen: int | None) -> Health | None:
    if not isinstance(listener, dict):
        return None
    name = listener.get("name", "?")
    conds = _conditions(listener)
    if any(_stale(c, gen) for c in conds.values()):
        return _health(
            "Progressing", f"Listener {name}: waiting for the controller to observe generation {gen}"
        )
    conflicted = conds.get("Conflicted")
    if conflicted is not None and conflicted.get("status") == "True":
        return _health("Degraded", f"Listener {name} conflicted: {_why(conflicted)}")
    for ctype in ("Accepted", "ResolvedRefs"):
        cond = conds.get(ctype)
        if cond is not None and cond.get("status") == "False":
            return _health("Degraded", f"Listener {name} {ctype}=False: {_why(cond)}")
    prog = conds.get("Programmed")
    if prog is not None and prog.get("status") == "False" and prog.get("reason") != "Pending":
        return _health("Degraded", f"Listener {name} not programmed: {_why(prog)}")
    return None


def _ref_key(ref: dict[str, Any], default_ns: str, default_kind: str) -> tuple[str, str, str, str]:
    return (
        ref.get("kind") or default_kind,
        ref.get("namespace") or default_ns,
        ref.get("name") or "",
        str(ref.get("sectionName") or ref.get("port") or ""),
    )


def _attachment(
    obj: dict[str, Any], refs_field: str, status_field: str, ref_key: str, default_kind: str, noun: str
) -> Health:
    """Shared logic of routes (``status.parents``) and policies (``status.ancestors``)."""
    ns = (obj.get("metadata") or {}).get("namespace") or "default"
    gen = _generation(obj)
    wanted = [r for r in (obj.get("spec") or {}).get(refs_field) or [] if isinstance(r, dict)]
    reported = [p for p in (obj.get("status") or {}).get(status_field) or [] if isinstance(p, dict)]
    by_key: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for p in reported:
        by_key.setdefault(_ref_key(p.get(ref_key) or {}, ns, default_kind), []).append(p)
    if not reported:
        return _health("Progressing", f"Waiting for a {noun} to accept it")
    for p in reported:
        label = _label(p.get(ref_key) or {}, ns)
        conds = _conditions(p)
        if any(_stale(c, gen) for c in conds.values()):
            return _health(
                "Progressing", f"{noun.capitalize()} {label}: waiting for generation {gen} to be observed"
            )
        for ctype in ("Accepted", "ResolvedRefs"):
            cond = conds.get(ctype)
            if cond is not None and cond.get("status") == "False":
                return _health("Degraded", f"{noun.capitalize()} {label} {ctype}=False: {_why(cond)}")
        accepted = conds.get("Accepted")
        if accepted is None or accepted.get("status") != "True":
            return _health("Progressing", f"Waiting for {noun} {label} to accept it")
    missing = [r for r in wanted if _ref_key(r, ns, default_kind) not in by_key]
    if refs_field == "parentRefs" and missing:
        names = ", ".join(_label(r, ns) for r in missing)
        return _health("Progressing", f"Waiting for {noun} {names} to report status")
    count = len(reported)
    return _health("Healthy", f"Accepted by {count} {noun}{'s' if count != 1 else ''}")


def _label(ref: dict[str, Any], ns: str) -> str:
    label = f"{ref.get('namespace') or ns}/{ref.get('name', '?')}"
    section = ref.get("sectionName")
    return f"{label}:{section}" if section else label


def route(obj: dict[str, Any]) -> Health:
    """HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute: per-parent status."""
    return _attachment(obj, "parentRefs", "parents", "parentRef", "Gateway", "parent")


def policy(obj: dict[str, Any]) -> Health:
    """BackendTLSPolicy and other policies with ``status.ancestors``."""
    return _attachment(obj, "targetRefs", "ancestors", "ancestorRef", "Gateway", "ancestor")


@dataclass(frozen=True)
class HealthCheck:
    """A Kedge health check provider: ``name`` is ``group/Kind``."""

    name: str
    func: Callable[[dict[str, Any]], Health | None]

    def assess(self, obj: dict[str, Any]) -> Health | None:
        return self.func(obj)


_KINDS: dict[str, Callable[[dict[str, Any]], Health | None]] = {
    "GatewayClass": gateway_class,
    "Gateway": gateway,
    "HTTPRoute": route,
    "GRPCRoute": route,
    "TLSRoute": route,
    "TCPRoute": route,
    "UDPRoute": route,
    "BackendTLSPolicy": policy,
}

CHECKS: tuple[HealthCheck, ...] = tuple(HealthCheck(f"{GROUP}/{kind}", fn) for kind, fn in _KINDS.items())


def assess(obj: dict[str, Any]) -> Health | None:
    """Health of any supported Gateway API object (None for other kinds)."""
    api = str(obj.get("apiVersion", ""))
    if api.split("/")[0] != GROUP:
        return None
    fn = _KINDS.get(str(obj.get("kind")))
    return fn(obj) if fn else None
