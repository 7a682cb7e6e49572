"""``$key`` and ``$<secret-name>:<key>`` references in settings values, resolved like Argo CD.

* ``$oidc.okta.clientSecret`` -> key ``oidc.okta.clientSecret`` of ``argocd-secret`` (or of the
  given default Secret, e.g. ``argocd-notifications-secret`` for notification services);
* ``$my-secret:clientSecret`` -> key ``clientSecret`` of Secret ``my-secret``, which must carry
  the label ``app.kubernetes.io/part-of: argocd``.

A reference that cannot be resolved is left as written and reported through ``warn``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kedge.settings.objects import PART_OF_LABEL, ConfigObject


def resolve(
    value: str,
    secrets: Mapping[str, ConfigObject],
    default_secret: str = "argocd-secret",
    warn: Callable[[str], None] | None = None,
) -> str:
    """The value with a leading ``$`` reference replaced by the secret value."""
    if not isinstance(value, str) or not value.startswith("$") or len(value) < 2:
        return value
    ref = value[1:]
    if ":" in ref:
        secret_name, key = ref.split(":", 1)
        secret = secrets.get(secret_name)
        if secret is None:
            _warn(warn, f"reference {value!r}: Secret {secret_name!r} not found")
            return value
        if secret.labels.get(PART_OF_LABEL) != "argocd":
            _warn(warn, f"reference {value!r}: Secret {secret_name!r} lacks label {PART_OF_LABEL}: argocd")
            return value
    else:
        secret_name, key = default_secret, ref
        secret = secrets.get(secret_name)
    if secret is None or key not in secret.data:
        _warn(warn, f"reference {value!r}: key {key!r} not found in Secret {secret_name!r}")
        return value
    return secret.data[key]


def resolve_tree(
    tree: Any,
    secrets: Mapping[str, ConfigObject],
    default_secret: str = "argocd-secret",
    warn: Callable[[str], None] | None = None,
) -> Any:
    """:func:`resolve` every string in a parsed YAML tree (``oidc.config``, a notification service...)."""
    if isinstance(tree, dict):
        return {k: resolve_tree(v, secrets, default_secret, warn) for k, v in tree.items()}
    if isinstance(tree, list):
        return [resolve_tree(v, secrets, default_secret, warn) for v in tree]
    if isinstance(tree, str):
        return resolve(tree, secrets, default_secret, warn)
    return tree


def _warn(warn: Callable[[str], None] | None, msg: str) -> None:
    if warn is not None:
        warn(msg)
