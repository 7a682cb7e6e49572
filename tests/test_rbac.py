import logging
import random
import subprocess
import sys
import textwrap

import pytest

from kedge.errors import ConfigError
from kedge.rbac import Enforcer, Policy, builtin_policy
from kedge.rbac.reference import casbin_enforce, casbin_enforcer

logging.getLogger("casbin").setLevel(logging.CRITICAL)


def enforcer(csv: str, **kw) -> Enforcer:
    return Enforcer(Policy.parse(textwrap.dedent(csv)), **kw)


def test_builtin_roles():
    e = Enforcer()
    assert e.enforce("admin", "applications", "sync", "default/guestbook")
    assert e.enforce("role:readonly", "applications", "get", "default/guestbook")
    assert not e.enforce("role:readonly", "applications", "sync", "default/guestbook")
    assert not e.enforce("role:readonly", "repositories", "create", "https://git.example.com/x")
    assert e.enforce("admin", "applications", "update/apps/Deployment/default/web", "default/guestbook")
    assert not e.enforce("nobody", "applications", "get", "default/guestbook")
    assert not Enforcer(use_builtin=False).enforce("admin", "applications", "get", "default/x")


def test_glob_star_crosses_slashes_and_braces_work():
    e = enforcer("""
        p, alice, applications, get, team-*/*, allow
        p, alice, applications, sync, "{dev,staging}/*", allow
        p, alice, clusters, get, https://*.example.com, allow
    """)
    assert e.enforce("alice", "applications", "get", "team-a/apps-ns/web")
    assert e.enforce("alice", "applications", "sync", "staging/web")
    assert not e.enforce("alice", "applications", "sync", "prod/web")
    assert e.enforce("alice", "clusters", "get", "https://east.prod.example.com")


def test_deny_beats_allow_for_one_subject_but_not_across_subjects():
    e = enforcer("""
        p, role:dev, applications, *, */*, allow
        p, role:dev, applications, delete, prod/*, deny
        g, alice, role:dev
        p, ops, applications, delete, prod/*, allow
    """)
    assert e.enforce("alice", "applications", "delete", "dev/web")
    assert not e.enforce("alice", "applications", "delete", "prod/web")
    # a user and its groups are checked one by one: the ops group allows it
    assert e.enforce(["alice", "ops"], "applications", "delete", "prod/web")


def test_default_role_is_checked_first():
    e = enforcer("p, mallory, applications, get, */*, deny", default_role="role:readonly")
    assert e.enforce("mallory", "applications", "get", "default/web")
    assert e.enforce("anyone", "projects", "get", "default")
    assert not e.enforce("anyone", "projects", "delete", "default")


def test_transitive_roles_and_effect_values():
    e = enforcer("""
        g, carol, team
        g, team, role:admin
        p, dave, applications, get, */*, Allow
    """)
    assert e.enforce("carol", "clusters", "delete", "https://k8s")
    assert not e.enforce("dave", "applications", "get", "a/b"), "only the exact effect 'allow' allows"


def test_regex_match_mode():
    e = enforcer("p, alice, applications, get, ^team-[a-z]+/.*$, allow", match_mode="regex")
    assert e.enforce("alice", "applications", "get", "team-abc/web")
    assert not e.enforce("alice", "applications", "get", "team-9/web")


def test_parse_errors_name_the_line():
    with pytest.raises(ConfigError, match=r"policy.csv:2: a policy line needs 6 fields"):
        Policy.parse("p, a, applications, get, */*, allow\np, b, applications, get\n")
    with pytest.raises(ConfigError, match=r"policy.csv:1: lines must start with 'p' or 'g'"):
        Policy.parse("x, a, b\n")


def _random_policy(rng: random.Random, n_lines: int) -> str:
    subjects = (
        [f"user{i}" for i in range(6)] + [f"role:r{i}" for i in range(5)] + ["role:admin", "role:readonly"]
    )
    resources = ["applications", "clusters", "projects", "*", "repositories", "logs"]
    actions = ["get", "sync", "update", "update/*", "action/*", "*", "delete", "create"]
    objects = ["*", "*/*", "p1/*", "p2/*", "p*/a*", '"{p1,p3}/app?"', "p1/ns/app1", "*/app2", "https://*"]
    lines = []
    for _ in range(n_lines):
        lines.append(
            f"p, {rng.choice(subjects)}, {rng.choice(resources)}, {rng.choice(actions)}, "
            f"{rng.choice(objects)}, {rng.choice(['allow', 'allow', 'deny'])}"
        )
    for _ in range(n_lines // 4):
        a, b = rng.sample(subjects, 2)
        lines.append(f"g, {a}, {b}")
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(6))
def test_indexed_enforcer_equals_plain_casbin(seed):
    rng = random.Random(seed)
    policy = Policy.parse(_random_policy(rng, 60 + 40 * seed))
    default = rng.choice(["", "role:readonly", "role:r1"])
    fast = Enforcer(policy, default_role=default)
    reference = casbin_enforcer(builtin_policy().merged(policy))
    requests = 0
    for _ in range(400):
        subjects = [rng.choice([f"user{i}" for i in range(7)])] + rng.sample(
            ["role:r0", "role:r2", "grp"], rng.randint(0, 2)
        )
        res = rng.choice(["applications", "clusters", "projects", "repositories", "logs", "exec"])
        act = rng.choice(
            [
                "get",
                "sync",
                "update",
                "update/apps/Deployment/ns/web",
                "action/apps/Deployment/restart",
                "delete",
            ]
        )
        obj = rng.choice(["p1/app1", "p2/app2", "p1/ns/app1", "p3/appx", "https://k8s", "", "pa/ab"])
        expected = casbin_enforce(reference, default, subjects, res, act, obj)
        assert fast.enforce(subjects, res, act, obj) == expected, (subjects, res, act, obj)
        requests += 1
    assert requests == 400


def kedge(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "kedge", *args], capture_output=True, text=True, cwd=cwd, timeout=60
    )


def test_cli_can_and_validate(tmp_path):
    csv = tmp_path / "policy.csv"
    csv.write_text("p, role:dev, applications, sync, dev/*, allow\ng, alice, role:dev\n")
    yes = kedge(
        "admin",
        "settings",
        "rbac",
        "can",
        "alice",
        "sync",
        "applications",
        "dev/web",
        "--policy-file",
        str(csv),
    )
    assert (yes.returncode, yes.stdout.strip()) == (0, "Yes")
    no = kedge(
        "admin",
        "settings",
        "rbac",
        "can",
        "alice",
        "sync",
        "applications",
        "prod/web",
        "--policy-file",
        str(csv),
    )
    assert (no.returncode, no.stdout.strip()) == (1, "No")
    quiet = kedge(
        "admin", "settings", "rbac", "can", "admin", "get", "clusters", "--policy-file", str(csv), "-q"
    )
    assert (quiet.returncode, quiet.stdout) == (0, "")
    nobuiltin = kedge(
        "admin",
        "settings",
        "rbac",
        "can",
        "admin",
        "get",
        "clusters",
        "--policy-file",
        str(csv),
        "--no-use-builtin-policy",
    )
    assert nobuiltin.returncode == 1
    strict = kedge(
        "admin",
        "settings",
        "rbac",
        "can",
        "alice",
        "synk",
        "applications",
        "--policy-file",
        str(csv),
        "--strict",
    )
    assert strict.returncode == 2 and "unknown action 'synk'" in strict.stderr

    cm = tmp_path / "argocd-rbac-cm.yaml"
    cm.write_text(
        textwrap.dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: argocd-rbac-cm}
        data:
          policy.default: role:readonly
          policy.csv: |
            p, role:dev, applications, sync, dev/*, allow
          policy.team.csv: |
            g, bob, role:dev
    """)
    )
    assert (
        kedge(
            "admin",
            "settings",
            "rbac",
            "can",
            "bob",
            "sync",
            "applications",
            "dev/x",
            "--policy-file",
            str(cm),
        ).returncode
        == 0
    )
    assert (
        kedge(
            "admin", "settings", "rbac", "can", "eve", "get", "applications", "a/b", "--policy-file", str(cm)
        ).returncode
        == 0
    )
    ok = kedge("admin", "settings", "rbac", "validate", "--policy-file", str(cm))
    assert ok.returncode == 0 and "Policy is valid (1 policy lines, 1 role assignments)" in ok.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("p, a, applications, get, */*, allow\np, a, aplications, get, */*, permit\n")
    out = kedge("admin", "settings", "rbac", "validate", "--policy-file", str(bad))
    assert out.returncode == 1
    assert f"{bad}:2: unknown resource 'aplications'" in out.stderr
    assert f"{bad}:2: effect must be 'allow' or 'deny', got 'permit'" in out.stderr
    assert "Traceback" not in out.stderr
