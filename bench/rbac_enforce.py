"""RBAC enforcement speed: Kedge's indexed enforcer vs plain Casbin, as the policy grows.

Run: python bench/rbac_enforce.py
"""

from __future__ import annotations

import logging
import random
import time

from kedge.rbac import Enforcer, Policy, builtin_policy
from kedge.rbac.reference import casbin_enforcer

logging.getLogger("casbin").setLevel(logging.CRITICAL)


def make_policy(lines: int, rng: random.Random) -> Policy:
    """An Argo CD-shaped policy: per-team project roles, groups mapped to roles."""
    out = []
    teams = max(1, lines // 8)
    for t in range(teams):
        role = f"role:team{t}"
        out += [
            f"p, {role}, applications, get, team{t}/*, allow",
            f"p, {role}, applications, sync, team{t}/*, allow",
            f"p, {role}, applications, update/*, team{t}/*, allow",
            f"p, {role}, applications, action/*, team{t}/*, allow",
            f"p, {role}, applications, delete, team{t}/*, deny",
            f"p, {role}, logs, get, team{t}/*, allow",
            f"g, group{t}, {role}",
            f"g, user{t}, group{t}",
        ]
    return Policy.parse("\n".join(out[:lines]))


def main() -> None:
    rng = random.Random(1)
    print(f"{'lines':>6} {'kedge µs/check':>15} {'casbin µs/check':>16} {'speed-up':>9}")
    for n in (200, 1000, 4000, 16000):
        policy = make_policy(n, rng)
        teams = max(1, n // 8)
        reqs = [
            (
                f"user{rng.randrange(teams)}",
                "applications",
                rng.choice(["get", "sync", "delete"]),
                f"team{rng.randrange(teams)}/app",
            )
            for _ in range(2000)
        ]
        fast = Enforcer(policy)
        t0 = time.perf_counter()
        for r in reqs:
            fast.enforce(*r)
        fast_us = (time.perf_counter() - t0) / len(reqs) * 1e6
        # "uncached": a fresh enforcer, so every subject's index is built on its first check
        fresh = Enforcer(policy)
        t0 = time.perf_counter()
        for r in reqs[:500]:
            fresh.enforce(*r)
        fresh_us = (time.perf_counter() - t0) / 500 * 1e6
        ref = casbin_enforcer(builtin_policy().merged(policy))
        k = 200 if n <= 4000 else 50
        t0 = time.perf_counter()
        for r in reqs[:k]:
            ref.enforce(*r)
        ref_us = (time.perf_counter() - t0) / k * 1e6
        print(f"{n:>6} {fast_us:>10.1f} ({fresh_us:.1f} cold) {ref_us:>12.0f} {ref_us / fast_us:>8.0f}x")

    # listing: 10,000 apps for a user in 50 groups
    policy = make_policy(4000, rng)
    groups = [f"group{i}" for i in range(50)]
    e = Enforcer(policy)
    apps = [f"team{rng.randrange(500)}/app{i}" for i in range(10_000)]
    t0 = time.perf_counter()
    visible = sum(1 for a in apps if e.enforce(["user1", *groups], "applications", "get", a))
    print(
        f"list 10,000 apps for a user in 50 groups: {(time.perf_counter() - t0) * 1000:.0f} ms ({visible} visible)"
    )


if __name__ == "__main__":
    main()
