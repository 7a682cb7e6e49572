"""Resource tracking, as Argo CD does it: which live objects belong to which Application.

``application.resourceTrackingMethod`` in argocd-cm selects one of:

* ``annotation`` (the default): ``argocd.argoproj.io/tracking-id: <app>:<group>/<Kind>:<namespace>/<name>``.
  An object belongs to ``<app>`` only if the rest of the id matches the object itself, so a
  copied manifest does not make a stray object "managed".
* ``label``: ``app.kubernetes.io/instance: <app>`` (or ``application.instanceLabelKey``).
* ``annotation+label``: the annotation decides, the label is written too (for tools that
  select by label).

Applications outside the control-plane namespace are named ``<namespace>_<name>`` in ids.
``installationID`` adds ``argocd.argoproj.io/installation-id`` so two installations sharing a
cluster do not claim each other's objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TRACKING_ANNOTATION = "argocd.argoproj.io/tracking-id"
INSTALLATION_ID_ANNOTATION = "argocd.argoproj.io/installation-id"
DEFAULT_INSTANCE_LABEL = "app.kubernetes.io/instance"

METHOD_ANNOTATION = "annotation"
METHOD_LABEL = "label"
METHOD_ANNOTATION_AND_LABEL = "annotation+label"
METHODS = (METHOD_ANNOTATION, METHOD_LABEL, METHOD_ANNOTATION_AND_LABEL)


@dataclass(frozen=True)
class TrackingId:
    """A parsed ``tracking-id`` annotation."""

    app: str
    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.app}:{self.group}/{self.kind}:{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Tracking:
    """The tracking settings in force (from argocd-cm)."""

    method: str = METHOD_ANNOTATION
    label_key: str = DEFAULT_INSTANCE_LABEL
    installation_id: str = ""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(
                f"argocd-cm: application.resourceTrackingMethod: expected one of {', '.join(METHODS)}, "
                f"got {self.method!r}"
            )


def app_instance_name(name: str, namespace: str, control_plane_namespace: str) -> str:
    """The name an Application goes by in tracking ids and labels."""
    if not namespace or namespace == control_plane_namespace:
        return name
    return f"{namespace}_{name}"


def parse_tracking_id(value: str) -> TrackingId | None:
    """Parse ``app:group/Kind:namespace/name``; None if malformed."""
    try:
        app, gk, nsname = value.split(":", 2)
        group, kind = gk.split("/", 1)
        namespace, name = nsname.split("/", 1)
    except ValueError:
        return None
    if not app or not kind or not name:
        return None
    return TrackingId(app, group, kind, namespace, name)


def _group_of(obj: dict[str, Any]) -> str:
    api_version = obj.get("apiVersion") or ""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def tracking_id_for(app: str, obj: dict[str, Any], default_namespace: str = "") -> TrackingId:
    meta = obj.get("metadata") or {}
    return TrackingId(
        app,
        _group_of(obj),
        obj.get("kind", ""),
        meta.get("namespace") or default_namespace,
        meta.get("name", ""),
    )


def owning_app(obj: dict[str, Any], tracking: Tracking) -> str | None:
    """The instance name of the Application that manages ``obj``, or None."""
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    if tracking.installation_id and annotations.get(INSTALLATION_ID_ANNOTATION) != tracking.installation_id:
        return None
    if tracking.method == METHOD_LABEL:
        return (meta.get("labels") or {}).get(tracking.label_key) or None
    raw = annotations.get(TRACKING_ANNOTATION)
    if not raw:
        return None
    tid = parse_tracking_id(raw)
    if tid is None:
        return None
    # The id must describe this very object; a copied manifest does not make it ours.
    if tid.kind != obj.get("kind") or tid.name != meta.get("name") or tid.group != _group_of(obj):
        return None
    if tid.namespace and meta.get("namespace") and tid.namespace != meta.get("namespace"):
        return None
    return tid.app


def set_tracking(
    obj: dict[str, Any], app: str, tracking: Tracking, default_namespace: str = ""
) -> dict[str, Any]:
    """Mark a desired object as belonging to ``app`` (in place; returns ``obj``)."""
    meta = obj.setdefault("metadata", {})
    if tracking.method in (METHOD_ANNOTATION, METHOD_ANNOTATION_AND_LABEL):
        annotations = meta.get("annotations") or {}
        annotations[TRACKING_ANNOTATION] = str(tracking_id_for(app, obj, default_namespace))
        meta["annotations"] = annotations
    if tracking.method in (METHOD_LABEL, METHOD_ANNOTATION_AND_LABEL):
        labels = meta.get("labels") or {}
        labels[tracking.label_key] = app
        meta["labels"] = labels
    if tracking.installation_id:
        annotations = meta.get("annotations") or {}
        annotations[INSTALLATION_ID_ANNOTATION] = tracking.installation_id
        meta["annotations"] = annotations
    return obj
