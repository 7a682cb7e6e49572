"""Small helpers shared by the simulated controllers: time stamps, label selectors, owner
references, conditions, names and hashes. All pure functions on plain dicts."""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import math
import re
from typing import Any

Obj = dict[str, Any]

#: Characters Kubernetes uses for generated suffixes (no vowels, no look-alikes).
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def rfc3339(ts: float) -> str:
    """Epoch seconds -> ``2024-01-02T03:04:05Z`` (second precision, as metav1.Time)."""
    return _dt.datetime.fromtimestamp(int(ts), tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> float | None:
    """``2024-01-02T03:04:05Z`` (or with fraction/offset) -> epoch seconds; None stays None."""
    if not value:
        return None
    try:
        return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(value: Any) -> float | None:
    """A Go-style duration (``"5s"``, ``"1m30s"``, ``"250ms"``) or a plain number of seconds.
    Returns None when the value does not parse."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    pos, total = 0, 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            return None
        num = float(m.group(1))
        total += num * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[m.group(2)]
        pos = m.end()
    return total if pos == len(text) and pos else None


def safe_encode(text: str) -> str:
    """Map each character onto Kubernetes' safe alphabet (as ``rand.SafeEncodeString``)."""
    return "".join(_ALPHANUMS[ord(c) % len(_ALPHANUMS)] for c in text)


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_hash(obj: Any, collision_count: int | None = None) -> str:
    """The pod-template-hash / controller-revision-hash of an object: a 32-bit hash of its
    canonical JSON (plus the collision count), rendered like the real controllers' (a decimal
    number mapped onto the safe alphabet, e.g. ``5d4f7c9b8``)."""
    data = canonical(obj)
    if collision_count:
        data += str(collision_count).encode()
    return safe_encode(str(int.from_bytes(hashlib.sha256(data).digest()[:4], "big")))


def random_suffix(seed: str, length: int = 5) -> str:
    """A deterministic ``generateName``-style suffix derived from ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in digest[:length])


def sha_hex(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


# -- metadata -------------------------------------------------------------------------------


def meta(obj: Obj) -> Obj:
    return obj.setdefault("metadata", {})


def name_of(obj: Obj) -> str:
    return obj.get("metadata", {}).get("name", "")


def ns_of(obj: Obj) -> str | None:
    return obj.get("metadata", {}).get("namespace")


def uid_of(obj: Obj) -> str:
    return obj.get("metadata", {}).get("uid", "")


def labels_of(obj: Obj) -> dict[str, str]:
    return obj.get("metadata", {}).get("labels") or {}


def annotations_of(obj: Obj) -> dict[str, str]:
    return obj.get("metadata", {}).get("annotations") or {}


def is_deleting(obj: Obj) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


def controller_ref(owner: Obj) -> Obj:
    """An ownerReference marking ``owner`` as the managing controller."""
    return {
        "apiVersion": owner.get("apiVersion", ""),
        "kind": owner.get("kind", ""),
        "name": name_of(owner),
        "uid": uid_of(owner),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controller_of(obj: Obj) -> Obj | None:
    """The ownerReference with ``controller: true``, if any."""
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def owned_by(obj: Obj, owner: Obj) -> bool:
    ref = controller_of(obj)
    return bool(ref and ref.get("uid") == uid_of(owner))


# -- label selectors ------------------------------------------------------------------------


def selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    """Does a metav1.LabelSelector (``matchLabels`` + ``matchExpressions``) select ``labels``?
    An empty selector selects everything; a missing (None) selector selects nothing."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def map_selector_matches(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    """A Service-style selector (a plain map); empty or None selects nothing."""
    if not selector:
        return False
    return all(labels.get(k) == v for k, v in selector.items())


# -- conditions -----------------------------------------------------------------------------


def get_condition(status: Obj, ctype: str) -> Obj | None:
    for cond in status.get("conditions") or []:
        if cond.get("type") == ctype:
            return cond
    return None


def set_condition(status: Obj, cond: Obj, *, always_update: bool = False) -> None:
    """Set a condition as the Kubernetes controllers do: unchanged status+reason leaves the
    existing condition alone (unless ``always_update``); an unchanged status keeps its
    ``lastTransitionTime``; a changed condition moves to the end of the list."""
    conditions = status.setdefault("conditions", [])
    current = get_condition(status, cond["type"])
    if current is not None and not always_update:
        if current.get("status") == cond.get("status") and current.get("reason") == cond.get("reason"):
            return
    if current is not None and current.get("status") == cond.get("status"):
        if "lastTransitionTime" in current:
            cond["lastTransitionTime"] = current["lastTransitionTime"]
    status["conditions"] = [c for c in conditions if c.get("type") != cond["type"]] + [cond]


def remove_condition(status: Obj, ctype: str) -> None:
    if status.get("conditions"):
        status["conditions"] = [c for c in status["conditions"] if c.get("type") != ctype]


def pod_condition(pod: Obj, ctype: str) -> Obj | None:
    return get_condition(pod.get("status") or {}, ctype)


def pod_is_ready(pod: Obj) -> bool:
    cond = pod_condition(pod, "Ready")
    return bool(cond and cond.get("status") == "True")


def pod_is_active(pod: Obj) -> bool:
    """Not terminal and not being deleted (what ReplicaSets count)."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not is_deleting(pod)


def pod_available(pod: Obj, min_ready_seconds: int, now: float) -> bool:
    """Ready for at least ``min_ready_seconds``."""
    if not pod_is_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = parse_time((pod_condition(pod, "Ready") or {}).get("lastTransitionTime"))
    return since is not None and since + min_ready_seconds <= now


def ready_since(pod: Obj) -> float | None:
    return parse_time((pod_condition(pod, "Ready") or {}).get("lastTransitionTime"))


# -- int-or-percent -------------------------------------------------------------------------


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: ``2`` -> 2; ``"25%"`` of total, rounded."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        try:
            pct = float(text[:-1])
        except ValueError:
            return 0
        raw = pct * total / 100.0
        return int(math.ceil(raw)) if round_up else int(math.floor(raw))
    try:
        return int(text)
    except ValueError:
        return 0


def with_status(obj: Obj, status: Obj) -> Obj:
    """A shallow copy of ``obj`` with a new ``status`` (the cached object stays untouched; the
    store copies what it is given)."""
    return {**obj, "status": status}


def deep_copy(obj: Obj) -> Obj:
    return copy.deepcopy(obj)


def without_nones(d: Obj) -> Obj:
    """Drop keys whose value is None, 0-like omitempty semantics are up to the caller."""
    return {k: v for k, v in d.items() if v is not None}
