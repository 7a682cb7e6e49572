"""The project-indexed list filter answers exactly as the enforcer does (differential test over
generated policies: globs, regex mode, denies, nested roles, default role)."""

import random

import pytest

from kedge.rbac import Enforcer, Policy
from kedge.server.authz import _ProjectIndex, project_policy

PROJECTS = ["a", "b", "team-a", "team-b", "default"]
APPS = ["web", "db", "web-2", "api"]


def random_policy(rng: random.Random, regex: bool) -> Policy:
    objs = (
        ["a/.*", "^team-.*", "b/web", ".*", "default/db$"]
        if regex
        else [
            "*",
            "*/*",
            "a/*",
            "team-*/*",
            "b/web*",
            "default/db",
            '"{a,b}/api"',
            "t?am-a/*",
            "*/web",
            "team-a",
        ]
    )
    acts = ["get", "*", "sync", "g*"] if not regex else ["get", ".*", "sync"]
    res = ["applications", "*", "applic*", "clusters"] if not regex else ["applications", ".*", "clusters"]
    lines = []
    for _ in range(rng.randint(1, 25)):
        sub = rng.choice(["u", "g1", "g2", "role:x", "role:y", "role:default"])
        lines.append(
            f"p, {sub}, {rng.choice(res)}, {rng.choice(acts)}, {rng.choice(objs)}, {rng.choice(['allow', 'allow', 'deny'])}"
        )
    for _ in range(rng.randint(0, 5)):
        lines.append(
            f"g, {rng.choice(['u', 'g1', 'g2', 'role:x'])}, {rng.choice(['role:x', 'role:y', 'role:admin', 'role:readonly'])}"
        )
    return Policy.parse("\n".join(lines))


@pytest.mark.parametrize("seed", range(60))
def test_index_equals_enforcer(seed):
    rng = random.Random(seed)
    regex = seed % 4 == 3
    policy = random_policy(rng, regex)
    enforcer = Enforcer(
        policy,
        default_role=rng.choice(["", "", "role:default", "role:readonly"]),
        match_mode="regex" if regex else "glob",
        use_builtin=rng.random() < 0.5,
    )
    subjects = rng.sample(["u", "g1", "g2", "nobody"], rng.randint(0, 4))
    for act in ("get", "sync"):
        index = _ProjectIndex(enforcer, subjects, "applications", act)
        for p in PROJECTS:
            for a in APPS:
                assert index(p, a) == enforcer.enforce(subjects, "applications", act, f"{p}/{a}"), (
                    p,
                    a,
                    act,
                    subjects,
                )


def test_project_policy_confines_roles():
    projects = [
        {
            "metadata": {"name": "a"},
            "spec": {
                "roles": [
                    {
                        "name": "dev",
                        "groups": ["devs"],
                        "policies": [
                            "p, proj:a:dev, applications, get, a/*, allow",
                            "p, proj:a:dev, applications, get, b/*, allow",  # another project: dropped
                            "p, proj:b:dev, applications, get, b/*, allow",  # another subject: dropped
                            "p, proj:a:dev, clusters, get, *, allow",  # not the project's: dropped
                            "p, proj:a:dev, repositories, get, a/*, allow",
                        ],
                    }
                ]
            },
        }
    ]
    policy = project_policy(projects)
    assert [(p.res, p.obj) for p in policy.lines] == [("applications", "a/*"), ("repositories", "a/*")]
    assert policy.groupings == [("devs", "proj:a:dev")]
    e = Enforcer(policy)
    assert e.enforce(["someone", "devs"], "applications", "get", "a/x")
    assert not e.enforce(["someone", "devs"], "applications", "get", "b/x")
