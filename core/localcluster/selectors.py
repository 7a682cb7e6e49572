"""Label and field selectors with the API server's syntax.

Label selectors: ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x)``, ``a``, ``!a``,
comma-separated (AND). Field selectors: ``path=value``, ``path==value``, ``path!=value``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kedge.localcluster.validation import label_value_error, qualified_name_error


class SelectorError(ValueError):
    """The selector string does not parse; the message names the offending part."""


Requirement = tuple[str, str, frozenset[str]]  # (key, op, values): op in = != in notin exists !exists

_TOKEN = re.compile(r"\s*(!=|==|=|\(|\)|,|!|[^\s!=,()]+)")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            if text[pos:].strip() == "":
                break
            raise SelectorError(f"unable to parse requirement: {text[pos:]!r}")
        out.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def parse_label_selector(text: str | None) -> list[Requirement]:
    """Parse a label selector; raises SelectorError with a clear message."""
    if not text or not text.strip():
        return []
    toks = _tokens(text)
    reqs: list[Requirement] = []
    i = 0

    def need(cond: bool, msg: str) -> None:
        if not cond:
            raise SelectorError(f"unable to parse requirement: {msg} in {text!r}")

    while i < len(toks):
        if toks[i] == "!":
            need(i + 1 < len(toks), "missing key after '!'")
            key = toks[i + 1]
            _check_key(key)
            reqs.append((key, "!exists", frozenset()))
            i += 2
        else:
            key = toks[i]
            need(key not in "(),=!", f"unexpected {key!r}")
            _check_key(key)
            i += 1
            if i >= len(toks) or toks[i] == ",":
                reqs.append((key, "exists", frozenset()))
            elif toks[i] in ("=", "==", "!="):
                op = "!=" if toks[i] == "!=" else "="
                i += 1
                val = ""
                if i < len(toks) and toks[i] not in (",", ")", "("):
                    val = toks[i]
                    i += 1
                _check_value(val)
                reqs.append((key, op, frozenset([val])))
            elif toks[i].lower() in ("in", "notin"):
                op = toks[i].lower()
                i += 1
                need(i < len(toks) and toks[i] == "(", "expected '(' after in/notin")
                i += 1
                vals: list[str] = []
                while i < len(toks) and toks[i] != ")":
                    if toks[i] != ",":
                        _check_value(toks[i])
                        vals.append(toks[i])
                    i += 1
                need(i < len(toks), "missing ')'")
                i += 1
                reqs.append((key, op, frozenset(vals)))
            else:
                raise SelectorError(f"unable to parse requirement: unexpected {toks[i]!r} in {text!r}")
        if i < len(toks):
            need(toks[i] == ",", f"expected ',' but found {toks[i]!r}")
            i += 1
    return reqs


def _check_key(key: str) -> None:
    err = qualified_name_error(key)
    if err:
        raise SelectorError(f"invalid label key {key!r}: {err}")


def _check_value(val: str) -> None:
    err = label_value_error(val)
    if err:
        raise SelectorError(f"invalid label value {val!r}: {err}")


def matches_labels(reqs: list[Requirement], labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    for key, op, vals in reqs:
        present = key in labels
        if op == "=" or op == "in":
            if not present or labels[key] not in vals:
                return False
        elif op == "!=" or op == "notin":
            if present and labels[key] in vals:
                return False
        elif op == "exists":
            if not present:
                return False
        elif present:  # !exists
            return False
    return True


def selector_from_match(sel: dict[str, Any] | None) -> list[Requirement]:
    """A ``LabelSelector`` object (matchLabels/matchExpressions) as requirements."""
    if not sel:
        return []
    reqs: list[Requirement] = [
        (k, "=", frozenset([str(v)])) for k, v in (sel.get("matchLabels") or {}).items()
    ]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}
    for e in sel.get("matchExpressions") or []:
        reqs.append(
            (e.get("key", ""), ops.get(e.get("operator", ""), "in"), frozenset(e.get("values") or ()))
        )
    return reqs


def selector_string(sel: dict[str, Any] | None) -> str:
    """Render a LabelSelector object as the string form (for the scale subresource)."""
    parts = []
    for key, op, vals in selector_from_match(sel):
        if op == "=":
            parts.append(f"{key}={next(iter(vals))}")
        elif op in ("in", "notin"):
            parts.append(f"{key} {op} ({','.join(sorted(vals))})")
        elif op == "exists":
            parts.append(key)
        else:
            parts.append(f"!{key}")
    return ",".join(parts)


FieldRequirement = tuple[str, bool, str]  # (path, equal?, value)


def parse_field_selector(text: str | None) -> list[FieldRequirement]:
    if not text or not text.strip():
        return []
    out: list[FieldRequirement] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "!=" in part:
            k, v = part.split("!=", 1)
            out.append((k.strip(), False, v.strip()))
        elif "==" in part:
            k, v = part.split("==", 1)
            out.append((k.strip(), True, v.strip()))
        elif "=" in part:
            k, v = part.split("=", 1)
            out.append((k.strip(), True, v.strip()))
        else:
            raise SelectorError(f"invalid field selector: {part!r}: expected path=value or path!=value")
    return out


#: field paths every resource supports; others are allowed per resource below
COMMON_FIELDS = {"metadata.name", "metadata.namespace"}
EXTRA_FIELDS: dict[str, set[str]] = {
    "/pods": {
        "status.phase",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.podIP",
        "status.nominatedNodeName",
    },
    "/events": {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    },
    "/secrets": {"type"},
    "/namespaces": {"status.phase"},
    "/nodes": {"spec.unschedulable"},
    "/replicationcontrollers": {"status.replicas"},
    "apps/replicasets": {"status.replicas"},
    "batch/jobs": {"status.successful"},
    "events.k8s.io/events": {"regarding.kind", "regarding.name", "regarding.namespace", "reason", "type"},
}


def check_field_selector(storage_key: str, reqs: list[FieldRequirement], is_crd: bool) -> None:
    allowed = COMMON_FIELDS | EXTRA_FIELDS.get(storage_key, set())
    for path, _, _ in reqs:
        if path not in allowed and not is_crd:
            kind = storage_key.rpartition("/")[2]
            raise SelectorError(f'field label not supported: "{path}" for {kind}')
        if is_crd and path not in COMMON_FIELDS:
            raise SelectorError(f'field label not supported: "{path}"')


def field_getter(path: str) -> Callable[[dict[str, Any]], str]:
    parts = path.split(".")

    def get(obj: dict[str, Any]) -> str:
        cur: Any = obj
        for p in parts:
            if not isinstance(cur, dict):
                return ""
            cur = cur.get(p)
        if cur is None:
            return ""
        if isinstance(cur, bool):
            return "true" if cur else "false"
        return str(cur)

    return get
