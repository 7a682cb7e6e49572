"""``ignoreDifferences`` rules from the Application and from argocd-cm, and applying them.

A rule (Application ``spec.ignoreDifferences[]`` or argocd-cm
``resource.customizations.ignoreDifferences.<group_Kind>`` / ``.all``) has ``group``, ``kind``,
optional ``name`` and ``namespace`` (globs allowed, ``*`` matches anything), and any of
``jsonPointers``, ``jqPathExpressions``, ``managedFieldsManagers``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kedge.diff import fieldsv1
from kedge.diff.jqrunner import JqError, delete_paths
from kedge.errors import ConfigError


@dataclass(frozen=True)
class IgnoreRule:
    group: str = "*"
    kind: str = "*"
    name: str = ""
    namespace: str = ""
    json_pointers: tuple[str, ...] = ()
    jq_path_expressions: tuple[str, ...] = ()
    managed_fields_managers: tuple[str, ...] = ()
    origin: str = ""  # where the rule came from, for error messages

    def matches(self, group: str, kind: str, namespace: str, name: str) -> bool:
        return (
            _glob(self.group, group)
            and _glob(self.kind, kind)
            and (not self.name or _glob(self.name, name))
            and (not self.namespace or _glob(self.namespace, namespace))
        )


def _glob(pattern: str, value: str) -> bool:
    return pattern == "*" or pattern == value or fnmatch.fnmatchcase(value, pattern)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def rule_from_dict(
    doc: Mapping[str, Any], origin: str, group: str | None = None, kind: str | None = None
) -> IgnoreRule:
    if not isinstance(doc, Mapping):
        raise ConfigError(f"{origin}: expected a mapping, got {type(doc).__name__}")
    for ptr in doc.get("jsonPointers") or []:
        if not isinstance(ptr, str) or (ptr and not ptr.startswith("/")):
            raise ConfigError(f"{origin}.jsonPointers: {ptr!r} is not a JSON pointer (must start with '/')")
    return IgnoreRule(
        group=group
        if group is not None
        else str(doc.get("group", "") if doc.get("group") is not None else ""),
        kind=kind if kind is not None else str(doc.get("kind", "*")),
        name=str(doc.get("name") or ""),
        namespace=str(doc.get("namespace") or ""),
        json_pointers=_strings(doc.get("jsonPointers"), f"{origin}.jsonPointers"),
        jq_path_expressions=_strings(doc.get("jqPathExpressions"), f"{origin}.jqPathExpressions"),
        managed_fields_managers=_strings(doc.get("managedFieldsManagers"), f"{origin}.managedFieldsManagers"),
        origin=origin,
    )


def rules_from_application(app: Mapping[str, Any]) -> list[IgnoreRule]:
    name = (app.get("metadata") or {}).get("name", "?")
    items = (app.get("spec") or {}).get("ignoreDifferences") or []
    if not isinstance(items, list):
        raise ConfigError(f"Application {name}: spec.ignoreDifferences: expected a list")
    return [
        rule_from_dict(d, f"Application {name}: spec.ignoreDifferences[{i}]") for i, d in enumerate(items)
    ]


PREFIX = "resource.customizations.ignoreDifferences."


def rules_from_settings(cm_data: Mapping[str, str]) -> list[IgnoreRule]:
    """Rules from argocd-cm keys ``resource.customizations.ignoreDifferences.<group_Kind>`` and
    ``.all``, and from the legacy ``resource.customizations`` map (``ignoreDifferences`` key)."""
    rules: list[IgnoreRule] = []
    for key, raw in cm_data.items():
        if not key.startswith(PREFIX):
            continue
        suffix = key[len(PREFIX) :]
        doc = _yaml(raw, f"argocd-cm: {key}")
        if suffix == "all":
            rules.append(rule_from_dict(doc, f"argocd-cm: {key}", group="*", kind="*"))
        else:
            group, _, kind = suffix.rpartition("_")
            rules.append(rule_from_dict(doc, f"argocd-cm: {key}", group=group, kind=kind))
    legacy = cm_data.get("resource.customizations")
    if legacy:
        table = _yaml(legacy, "argocd-cm: resource.customizations") or {}
        for gk, body in table.items():
            if isinstance(body, Mapping) and body.get("ignoreDifferences"):
                group, _, kind = str(gk).rpartition("/")
                doc = _yaml(
                    body["ignoreDifferences"], f"argocd-cm: resource.customizations[{gk}].ignoreDifferences"
                )
                rules.append(
                    rule_from_dict(doc, f"argocd-cm: resource.customizations[{gk}]", group=group, kind=kind)
                )
    return rules


def _yaml(raw: Any, where: str) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: invalid YAML: {exc}") from None


@dataclass
class Ignored:
    """What the rules removed, for greying out in the UI."""

    pointers: list[str] = field(default_factory=list)


def apply_rules(
    obj: dict[str, Any] | None,
    rules: Iterable[IgnoreRule],
    live: dict[str, Any] | None = None,
    jq_timeout: float = 1.0,
) -> dict[str, Any] | None:
    """Remove ignored fields from ``obj`` (in place; returns it). ``live`` supplies the
    managedFields for ``managedFieldsManagers`` rules (they apply to desired and live alike)."""
    if obj is None:
        return None
    for rule in rules:
        for ptr in rule.json_pointers:
            remove_pointer(obj, ptr)
        if rule.managed_fields_managers and live is not None:
            for entry in (live.get("metadata") or {}).get("managedFields") or []:
                if entry.get("manager") in rule.managed_fields_managers and entry.get("fieldsV1"):
                    fieldsv1.remove_fields(obj, entry["fieldsV1"])
        for expr in rule.jq_path_expressions:
            try:
                obj = delete_paths(obj, expr, timeout=jq_timeout)
            except JqError as exc:
                raise ConfigError(f"{rule.origin}: jqPathExpressions {expr!r}: {exc}") from None
    return obj


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def remove_pointer(obj: Any, pointer: str) -> None:
    """Delete the value at an RFC 6901 pointer if present (missing paths are fine)."""
    if not pointer or pointer == "/":
        return
    tokens = [_unescape(t) for t in pointer.lstrip("/").split("/")]
    parent = obj
    for tok in tokens[:-1]:
        if isinstance(parent, dict):
            parent = parent.get(tok)
        elif isinstance(parent, list) and tok.isdigit() and int(tok) < len(parent):
            parent = parent[int(tok)]
        else:
            return
        if parent is None:
            return
    last = tokens[-1]
    if isinstance(parent, dict):
        parent.pop(last, None)
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        del parent[int(last)]
