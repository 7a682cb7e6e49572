import copy

import pytest

from kedge.kube.tracking import (
    TRACKING_ANNOTATION,
    Tracking,
    app_instance_name,
    owning_app,
    parse_tracking_id,
    set_tracking,
)


def cm(name="settings", ns="default"):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}}


def test_annotation_tracking_round_trip():
    t = Tracking()
    obj = set_tracking(cm(), "guestbook", t)
    assert obj["metadata"]["annotations"][TRACKING_ANNOTATION] == "guestbook:/ConfigMap:default/settings"
    assert owning_app(obj, t) == "guestbook"
    ns = set_tracking({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}, "a", t)
    assert ns["metadata"]["annotations"][TRACKING_ANNOTATION] == "a:/Namespace:/team"
    assert owning_app(ns, t) == "a"
    dep = set_tracking(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"}}, "a", t, "prod"
    )
    assert parse_tracking_id(dep["metadata"]["annotations"][TRACKING_ANNOTATION]).namespace == "prod"


def test_copied_manifest_is_not_claimed():
    t = Tracking()
    original = set_tracking(cm("one"), "guestbook", t)
    copy_ = copy.deepcopy(original)
    copy_["metadata"]["name"] = "two"
    assert owning_app(copy_, t) is None


def test_label_tracking_and_custom_key():
    t = Tracking(method="label", label_key="team.example.com/app")
    obj = set_tracking(cm(), "guestbook", t)
    assert obj["metadata"]["labels"] == {"team.example.com/app": "guestbook"}
    assert TRACKING_ANNOTATION not in (obj["metadata"].get("annotations") or {})
    assert owning_app(obj, t) == "guestbook"
    both = set_tracking(cm(), "g", Tracking(method="annotation+label"))
    assert both["metadata"]["labels"]["app.kubernetes.io/instance"] == "g"
    assert owning_app(both, Tracking(method="annotation+label")) == "g"


def test_installation_id_separates_installations():
    mine, theirs = Tracking(installation_id="a"), Tracking(installation_id="b")
    obj = set_tracking(cm(), "guestbook", mine)
    assert owning_app(obj, mine) == "guestbook"
    assert owning_app(obj, theirs) is None


def test_malformed_ids_and_bad_method():
    assert parse_tracking_id("nonsense") is None
    assert parse_tracking_id("app:/ConfigMap:") is None
    with pytest.raises(ValueError, match="application.resourceTrackingMethod"):
        Tracking(method="labels")
    assert app_instance_name("web", "team-a", "argocd") == "team-a_web"
    assert app_instance_name("web", "argocd", "argocd") == "web"
