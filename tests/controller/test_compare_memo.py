"""compare_app(..., previous=): a resource whose desired object, live resourceVersion, ignore
rules and status option are unchanged keeps its previous ResourceDiff object; anything else is
compared again. Real objects in the local cluster, seen through a real ClusterCache."""

from __future__ import annotations

import itertools
import time

import pytest

from kedge.controller.compare import (
    OUT_OF_SYNC,
    SYNCED,
    ClusterView,
    CompareResult,
    ServerSideDiffCache,
    compare_app,
)
from kedge.health import ResourceOverrides, assess
from kedge.jsoncopy import deep_copy
from kedge.kube.cache import ClusterCache
from kedge.kube.client import KubeClient
from kedge.kube.keys import ResourceKey
from kedge.kube.tracking import Tracking, set_tracking

_ids = itertools.count()
TRACKING = Tracking()
OVERRIDES = ResourceOverrides.from_configmap({})


def wait_for(cond, timeout: float = 15.0, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


@pytest.fixture(scope="module")
def client(local_cluster):
    c = KubeClient.from_kubeconfig(str(local_cluster.kubeconfig_path))
    yield c
    c.close()


@pytest.fixture(scope="module")
def view(client, local_cluster):
    cache = ClusterCache(client, tracking=TRACKING, health=lambda obj: assess(obj, OVERRIDES))
    cache.start()
    assert cache.wait_synced(30)
    yield ClusterView(client=client, cache=cache, server=local_cluster.url, name="in-cluster")
    cache.stop()


def _cm(name: str, ns: str, data: dict[str, str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": data,
    }


def _app(name: str, ns: str, ignore: list | None = None) -> dict:
    spec = {
        "destination": {"server": "https://kubernetes.default.svc", "namespace": ns},
        "project": "default",
    }
    if ignore:
        spec["ignoreDifferences"] = ignore
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name},
        "spec": spec,
    }


class Scene:
    """An app with ConfigMaps ``a`` and ``b`` applied (tracked) and visible in the cache."""

    def __init__(self, client: KubeClient, view: ClusterView, ns: str) -> None:
        self.client, self.view, self.ns = client, view, ns
        self.app_name = f"memo{next(_ids)}"
        self.app = _app(self.app_name, ns)
        self.cm_data: dict[str, str] = {}
        self.desired = [_cm("a", ns, {"x": "1"}), _cm("b", ns, {"y": "1"})]
        for obj in self.desired:
            self.put_live(deep_copy(obj))

    def key(self, name: str) -> ResourceKey:
        return ResourceKey("", "ConfigMap", self.ns, name)

    def put_live(self, obj: dict) -> str:
        """Apply ``obj`` (tracked by the app); wait until the cache has this version."""
        set_tracking(obj, self.app_name, TRACKING)
        rv = self.client.apply(obj, field_manager="argocd-controller")["metadata"]["resourceVersion"]
        self.wait_cached(obj["metadata"]["name"], rv)
        return rv

    def wait_cached(self, name: str, rv: str) -> None:
        key = self.key(name)

        def seen() -> bool:
            entry = self.view.cache.managed(self.app_name).get(key)
            return entry is not None and entry.obj["metadata"]["resourceVersion"] == rv

        wait_for(seen)

    def compare(self, previous: CompareResult | None = None, **kw) -> CompareResult:
        return compare_app(
            self.app,
            self.app_name,
            self.desired,
            self.view,
            None,
            self.cm_data,
            OVERRIDES,
            TRACKING,
            previous=previous,
            **kw,
        )

    def check_same_as_fresh(self, result: CompareResult) -> None:
        """A memoised comparison says exactly what a full one says."""
        fresh = self.compare(None)
        assert result.sync_status == fresh.sync_status
        assert [(r.key, r.status, r.diff) for r in result.resources] == [
            (r.key, r.status, r.diff) for r in fresh.resources
        ]


def _diffs(result: CompareResult) -> dict[str, object]:
    return {r.key.name: r.diff for r in result.resources}


def _status(result: CompareResult) -> dict[str, str]:
    return {r.key.name: r.status for r in result.resources}


@pytest.fixture
def scene(client, view, kube_namespace):
    return Scene(client, view, kube_namespace)


def test_nothing_changed_reuses_every_diff(scene):
    first = scene.compare()
    assert first.sync_status == SYNCED and _status(first) == {"a": SYNCED, "b": SYNCED}
    assert all(r.inputs is not None for r in first.resources)
    second = scene.compare(first)
    assert second.sync_status == SYNCED and _status(second) == {"a": SYNCED, "b": SYNCED}
    for name in ("a", "b"):
        assert _diffs(second)[name] is _diffs(first)[name]
    third = scene.compare(second)
    assert all(_diffs(third)[n] is _diffs(first)[n] for n in ("a", "b"))
    # a hard refresh (no previous) compares everything again, with the same answer
    fresh = scene.compare(None)
    assert all(_diffs(fresh)[n] is not _diffs(first)[n] for n in ("a", "b"))
    assert _diffs(fresh) == _diffs(first)


def test_a_live_change_recomputes_that_resource_only(scene):
    first = scene.compare()
    assert first.sync_status == SYNCED
    live = deep_copy(scene.desired[0])
    live["data"] = {"x": "changed-in-cluster"}
    scene.put_live(live)
    second = scene.compare(first)
    assert _diffs(second)["a"] is not _diffs(first)["a"]
    assert _diffs(second)["b"] is _diffs(first)["b"]
    assert _status(second) == {"a": OUT_OF_SYNC, "b": SYNCED} and second.sync_status == OUT_OF_SYNC
    assert _diffs(second)["a"].modified
    scene.check_same_as_fresh(second)
    # unchanged since: reused, and still out of sync
    third = scene.compare(second)
    assert _diffs(third)["a"] is _diffs(second)["a"] and third.sync_status == OUT_OF_SYNC
    # the cluster is put back: a new resourceVersion, compared again, in sync
    scene.put_live(deep_copy(scene.desired[0]))
    fourth = scene.compare(third)
    assert _diffs(fourth)["a"] is not _diffs(third)["a"]
    assert fourth.sync_status == SYNCED and _status(fourth)["a"] == SYNCED


def test_a_metadata_only_live_change_is_recompared(scene):
    first = scene.compare()
    res = scene.client.resource_for("v1", "ConfigMap")
    rv = scene.client.patch(res, scene.ns, "b", {"metadata": {"labels": {"touched": "yes"}}})["metadata"][
        "resourceVersion"
    ]
    scene.wait_cached("b", rv)
    second = scene.compare(first)
    assert _diffs(second)["b"] is not _diffs(first)["b"]  # new resourceVersion
    assert _diffs(second)["a"] is _diffs(first)["a"]
    assert second.sync_status == SYNCED  # an extra label is not drift
    scene.check_same_as_fresh(second)


def test_a_desired_change_recomputes_that_resource_only(scene):
    first = scene.compare()
    scene.desired = [scene.desired[0], _cm("b", scene.ns, {"y": "2"})]
    second = scene.compare(first)
    assert _diffs(second)["b"] is not _diffs(first)["b"]
    assert _diffs(second)["a"] is _diffs(first)["a"]
    assert _status(second) == {"a": SYNCED, "b": OUT_OF_SYNC} and second.sync_status == OUT_OF_SYNC
    assert [c.path for c in _diffs(second)["b"].changes] == ["/data/y"]
    scene.check_same_as_fresh(second)
    # an equal desired object (a new dict, same content) still reuses
    scene.desired = deep_copy(scene.desired)
    third = scene.compare(second)
    assert all(_diffs(third)[n] is _diffs(second)[n] for n in ("a", "b"))
    # back to what the cluster has
    scene.desired = [scene.desired[0], _cm("b", scene.ns, {"y": "1"})]
    fourth = scene.compare(third)
    assert _diffs(fourth)["b"] is not _diffs(third)["b"] and fourth.sync_status == SYNCED


def test_changed_ignore_rules_recompute(scene):
    live = deep_copy(scene.desired[0])
    live["data"] = {"x": "drifted"}
    scene.put_live(live)
    first = scene.compare()
    assert _status(first) == {"a": OUT_OF_SYNC, "b": SYNCED}

    # an Application ignoreDifferences rule for "a" only
    scene.app = _app(
        scene.app_name,
        scene.ns,
        ignore=[{"group": "", "kind": "ConfigMap", "name": "a", "jsonPointers": ["/data"]}],
    )
    second = scene.compare(first)
    assert _diffs(second)["a"] is not _diffs(first)["a"]
    assert _diffs(second)["b"] is _diffs(first)["b"]  # the rule does not match b
    assert _status(second) == {"a": SYNCED, "b": SYNCED} and second.sync_status == SYNCED
    scene.check_same_as_fresh(second)
    assert all(_diffs(scene.compare(second))[n] is _diffs(second)[n] for n in ("a", "b"))

    # the same rule with another pointer is another rule
    scene.app = _app(
        scene.app_name,
        scene.ns,
        ignore=[{"group": "", "kind": "ConfigMap", "name": "a", "jsonPointers": ["/data/other"]}],
    )
    third = scene.compare(second)
    assert _diffs(third)["a"] is not _diffs(second)["a"]
    assert third.sync_status == OUT_OF_SYNC
    scene.check_same_as_fresh(third)

    # argocd-cm rules (all kinds) count too, and match both resources
    scene.app = _app(scene.app_name, scene.ns)
    fourth = scene.compare(third)
    scene.cm_data = {"resource.customizations.ignoreDifferences.all": "jsonPointers:\n- /data\n"}
    fifth = scene.compare(fourth)
    assert all(_diffs(fifth)[n] is not _diffs(fourth)[n] for n in ("a", "b"))
    assert fifth.sync_status == SYNCED
    scene.check_same_as_fresh(fifth)

    # removing every rule: compared again, drift visible again
    scene.cm_data = {}
    sixth = scene.compare(fifth)
    assert all(_diffs(sixth)[n] is not _diffs(fifth)[n] for n in ("a", "b"))
    assert _status(sixth) == {"a": OUT_OF_SYNC, "b": SYNCED}


def test_the_status_compare_option_is_an_input(scene):
    first = scene.compare()
    scene.cm_data = {"resource.compareoptions": "ignoreResourceStatusField: none\n"}
    second = scene.compare(first)
    assert all(_diffs(second)[n] is not _diffs(first)[n] for n in ("a", "b"))
    assert all(r.inputs[-1] is False for r in second.resources)
    assert second.sync_status == SYNCED
    scene.check_same_as_fresh(second)


def test_missing_and_extraneous_resources(scene):
    # "c" is desired but not in the cluster; "b" is in the cluster but no longer desired
    scene.desired = [scene.desired[0], _cm("c", scene.ns, {"z": "1"})]
    first = scene.compare()
    assert _status(first) == {"a": SYNCED, "b": OUT_OF_SYNC, "c": OUT_OF_SYNC}
    by = first.by_key()
    assert by[scene.key("b")].requires_pruning and by[scene.key("c")].live is None
    second = scene.compare(first)
    assert all(_diffs(second)[n] is _diffs(first)[n] for n in ("a", "b", "c"))
    assert second.sync_status == OUT_OF_SYNC
    # "c" appears in the cluster: compared again, now in sync
    scene.put_live(_cm("c", scene.ns, {"z": "1"}))
    third = scene.compare(second)
    assert _diffs(third)["c"] is not _diffs(second)["c"]
    assert _diffs(third)["b"] is _diffs(second)["b"]
    assert _status(third) == {"a": SYNCED, "b": OUT_OF_SYNC, "c": SYNCED}
    scene.check_same_as_fresh(third)


def test_server_side_diff_results_are_not_reused(scene):
    ssd = ServerSideDiffCache()
    first = scene.compare(server_side_diff=True, ssd_cache=ssd)
    assert first.sync_status == SYNCED
    assert all(r.inputs is None for r in first.resources)
    second = scene.compare(first, server_side_diff=True, ssd_cache=ssd)
    assert all(_diffs(second)[n] is not _diffs(first)[n] for n in ("a", "b"))
    assert _diffs(second) == _diffs(first) and second.sync_status == SYNCED
