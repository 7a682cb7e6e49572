"""Malformed input never escapes as anything but PatchError, and applying twice changes nothing
(seeded random inputs; fast)."""

from __future__ import annotations

import copy
import json
import random

import pytest

from kedge.localcluster.patching import PatchError, apply_patch, record_update, server_side_apply

DEPLOY = ("apps", "v1", "Deployment")
T0, T1 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z"

LIVE = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}, "finalizers": ["a"]},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "x",
                        "ports": [{"containerPort": 80}],
                        "env": [{"name": "E", "value": "1"}],
                    }
                ],
                "volumes": [{"name": "v", "emptyDir": {}}],
            },
        },
    },
}

KEYS = [
    "spec",
    "template",
    "containers",
    "name",
    "image",
    "env",
    "ports",
    "containerPort",
    "metadata",
    "labels",
    "finalizers",
    "volumes",
    "strategy",
    "$patch",
    "$retainKeys",
    "$setElementOrder/containers",
    "$deleteFromPrimitiveList/finalizers",
    "replicas",
    "selector",
    "x",
]
SCALARS = [None, 0, 1, -5, 2.5, True, False, "", "delete", "replace", "merge", "c", "x", "80"]


def junk(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth > 5 or roll < 0.35:
        return rng.choice(SCALARS)
    if roll < 0.7:
        return {rng.choice(KEYS): junk(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return [junk(rng, depth + 1) for _ in range(rng.randint(0, 3))]


def shaped(rng: random.Random):
    """Mostly well-formed patches with random holes."""
    base = copy.deepcopy(LIVE)
    node = base
    for key in ("spec", "template", "spec"):
        node = node[key]
    node["containers"][0][rng.choice(["image", "env", "ports", "name"])] = junk(rng)
    if rng.random() < 0.5:
        base["spec"][rng.choice(["strategy", "selector", "replicas"])] = junk(rng)
    if rng.random() < 0.3:
        base["metadata"][rng.choice(["labels", "finalizers", "managedFields"])] = junk(rng)
    return base


@pytest.mark.parametrize("seed", range(4))
def test_random_patches_only_raise_patch_error(seed):
    rng = random.Random(seed)
    types = [
        "application/strategic-merge-patch+json",
        "application/merge-patch+json",
        "application/json-patch+json",
    ]
    for _ in range(150):
        body = junk(rng) if rng.random() < 0.5 else shaped(rng)
        for ctype in types:
            live = copy.deepcopy(LIVE)
            try:
                out = apply_patch(live, json.dumps(body).encode(), ctype, DEPLOY)
            except PatchError as err:
                assert err.code in (400, 415, 422) and err.message
            else:
                assert isinstance(out, dict)
            assert live == LIVE


@pytest.mark.parametrize("seed", range(4))
def test_random_apply_configs_only_raise_patch_error(seed):
    rng = random.Random(100 + seed)
    base = server_side_apply(None, LIVE, "alice", False, DEPLOY, T0)
    for _ in range(150):
        config = shaped(rng)
        config["apiVersion"], config["kind"] = "apps/v1", "Deployment"
        snapshot = copy.deepcopy(base)
        try:
            out = server_side_apply(base, config, "bob", rng.random() < 0.5, DEPLOY, T1)
        except PatchError as err:
            assert err.code in (400, 409, 422) and err.message
        else:
            assert isinstance(out, dict) and isinstance(out["metadata"].get("managedFields", []), list)
            record_update(base, out, "carol", "Update", DEPLOY, T1)
        assert base == snapshot


@pytest.mark.parametrize("seed", range(3))
def test_reapplying_the_same_config_is_a_noop(seed):
    rng = random.Random(200 + seed)
    for _ in range(40):
        config = shaped(rng)
        try:
            first = server_side_apply(None, config, "alice", False, DEPLOY, T0)
        except PatchError:
            continue
        again = server_side_apply(first, config, "alice", False, DEPLOY, T1)
        assert again == first


def valid_config(rng: random.Random) -> dict:
    """A random but well-formed Deployment configuration."""
    containers = []
    for name in rng.sample(["a", "b", "c", "d"], rng.randint(1, 3)):
        c: dict = {"name": name, "image": f"img-{rng.randint(0, 2)}"}
        if rng.random() < 0.6:
            c["env"] = [
                {"name": f"E{i}", "value": str(rng.randint(0, 2))}
                for i in rng.sample(range(4), rng.randint(0, 3))
            ]
        if rng.random() < 0.5:
            c["ports"] = [{"containerPort": p} for p in rng.sample([80, 443, 8080], rng.randint(1, 2))]
        if rng.random() < 0.3:
            c["args"] = [f"--x={rng.randint(0, 1)}"]
        containers.append(c)
    spec: dict = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}},
    }
    if rng.random() < 0.7:
        spec["replicas"] = rng.randint(1, 3)
    labels = {k: str(rng.randint(0, 1)) for k in rng.sample(["x", "y", "z"], rng.randint(0, 3))}
    meta: dict = {"name": "web"}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


def assert_contains(obj, config, path="") -> None:
    """Every value of ``config`` is in ``obj`` (associative lists matched by their key)."""
    if isinstance(config, dict):
        assert isinstance(obj, dict), path
        for k, v in config.items():
            if v in ([], {}):
                continue  # an empty associative list or map sets nothing (and Go omits it)
            assert k in obj, f"{path}.{k} missing"
            assert_contains(obj[k], v, f"{path}.{k}")
    elif (
        isinstance(config, list)
        and config
        and isinstance(config[0], dict)
        and ("name" in config[0] or "containerPort" in config[0])
    ):
        key = "name" if "name" in config[0] else "containerPort"
        index = {item.get(key): item for item in obj}
        for item in config:
            assert item[key] in index, f"{path}[{item[key]}] missing"
            assert_contains(index[item[key]], item, f"{path}[{item[key]}]")
    else:
        assert obj == config, f"{path}: {obj!r} != {config!r}"


@pytest.mark.parametrize("seed", range(3))
def test_forced_applies_by_several_managers_always_converge(seed):
    rng = random.Random(300 + seed)
    live = None
    for step in range(60):
        manager = rng.choice(["alice", "bob", "carol"])
        config = valid_config(rng)
        out = server_side_apply(
            live, config, manager, True, DEPLOY, f"2026-01-01T00:{step // 60:02d}:{step % 60:02d}Z"
        )
        assert_contains(out, config)
        owned = [e for e in out["metadata"]["managedFields"] if e["manager"] != manager]
        for entry in owned:
            assert entry["fields" + "V1"], "empty entries are dropped"
        live = out
