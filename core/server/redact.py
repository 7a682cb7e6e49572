"""Keeping secrets out of API answers.

* Kubernetes Secrets: every value of ``data`` / ``stringData`` becomes a run of ``+`` (as Argo CD
  masks them). When a target and a live Secret are shown together, equal values get equal masks
  and different values different ones, so a diff still shows *that* a value changed, never what
  it is. The ``last-applied-configuration`` annotation (which carries the values) is dropped.
* Repository and cluster credentials are never part of an answer (see the handlers).
"""

from __future__ import annotations

import copy
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MASK_BASE = 8
REPO_SECRET_FIELDS = (
    "password",
    "sshPrivateKey",
    "tlsClientCertKey",
    "githubAppPrivateKey",
    "bearerToken",
    "gcpServiceAccountKey",
)


def is_secret(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "Secret" and obj.get("apiVersion", "v1") == "v1"


def mask_secrets(*objs: dict[str, Any] | None) -> list[dict[str, Any] | None]:
    """Copies of ``objs`` with Secret values masked consistently across all of them."""
    masks: dict[str, str] = {}
    out: list[dict[str, Any] | None] = []
    for obj in objs:
        if not is_secret(obj):
            out.append(obj)
            continue
        o = copy.deepcopy(obj)
        for fld in ("data", "stringData"):
            values = o.get(fld)
            if isinstance(values, dict):
                for k, v in values.items():
                    key = str(v)
                    if key not in masks:
                        masks[key] = "+" * (MASK_BASE + len(masks))
                    values[k] = masks[key]
        ann = (o.get("metadata") or {}).get("annotations")
        if isinstance(ann, dict):
            ann.pop(LAST_APPLIED, None)
        out.append(o)
    return out


def mask_secret(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    return mask_secrets(obj)[0]
