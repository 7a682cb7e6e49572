"""ConfigMaps and Secrets as settings input, whatever loaded them (a directory or the cluster).

A *loader* produces plain Kubernetes object dicts; :func:`config_object` turns each into a
:class:`ConfigObject` with string data (a Secret's base64 ``data`` decoded and its
``stringData`` merged, ``stringData`` winning as the API server does).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
PART_OF_LABEL = "app.kubernetes.io/part-of"

ARGOCD_CM = "argocd-cm"
ARGOCD_RBAC_CM = "argocd-rbac-cm"
ARGOCD_CMD_PARAMS_CM = "argocd-cmd-params-cm"
ARGOCD_SECRET = "argocd-secret"
ARGOCD_NOTIFICATIONS_CM = "argocd-notifications-cm"
ARGOCD_NOTIFICATIONS_SECRET = "argocd-notifications-secret"

WELL_KNOWN = {
    ARGOCD_CM: "ConfigMap",
    ARGOCD_RBAC_CM: "ConfigMap",
    ARGOCD_CMD_PARAMS_CM: "ConfigMap",
    ARGOCD_NOTIFICATIONS_CM: "ConfigMap",
    ARGOCD_SECRET: "Secret",
    ARGOCD_NOTIFICATIONS_SECRET: "Secret",
}


@dataclass(frozen=True)
class ConfigObject:
    """A ConfigMap or Secret with its data as strings."""

    kind: str
    name: str
    namespace: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    source: str = ""

    @property
    def secret_type(self) -> str | None:
        """``repository``, ``repo-creds``, ``cluster`` ... from the ``argocd.argoproj.io/secret-type`` label."""
        return self.labels.get(SECRET_TYPE_LABEL) if self.kind == "Secret" else None

    @property
    def label(self) -> str:
        """How messages name the object: ``argocd-cm.yaml: ConfigMap argocd-cm``."""
        prefix = f"{self.source}: " if self.source else ""
        return f"{prefix}{self.kind} {self.name}"


def _str_map(value: Any, where: str, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a mapping of strings, got {type(value).__name__}")
        return {}
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(v, str):
            shown = "true" if v is True else "false" if v is False else repr(v)
            problems.append(f'{where}["{k}"]: expected string, got {shown} (quote the value)')
            continue
        out[str(k)] = v
    return out


def config_object(doc: Any, source: str = "") -> tuple[ConfigObject | None, list[str]]:
    """``(object, problems)`` for one ConfigMap/Secret dict; ``object`` is None if it is not one."""
    if not isinstance(doc, dict) or doc.get("kind") not in ("ConfigMap", "Secret"):
        return None, []
    kind = doc["kind"]
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    name = meta.get("name")
    where = f"{source}: " if source else ""
    if not isinstance(name, str) or not name:
        return None, [f"{where}{kind}: metadata.name: required field is missing"]
    problems: list[str] = []
    label = f"{where}{kind} {name}"
    data = _str_map(doc.get("data"), f"{label}: data", problems)
    if kind == "Secret":
        decoded: dict[str, str] = {}
        for k, v in data.items():
            try:
                decoded[k] = base64.b64decode(v.encode("ascii"), validate=True).decode("utf-8")
            except (binascii.Error, ValueError, UnicodeError):
                problems.append(f'{label}: data["{k}"]: expected base64 (use stringData for plain text)')
        decoded.update(_str_map(doc.get("stringData"), f"{label}: stringData", problems))
        data = decoded
    obj = ConfigObject(
        kind=kind,
        name=name,
        namespace=meta.get("namespace") or "",
        labels=_str_map(meta.get("labels"), f"{label}: metadata.labels", problems),
        annotations=_str_map(meta.get("annotations"), f"{label}: metadata.annotations", problems),
        data=data,
        source=source,
    )
    return obj, problems
