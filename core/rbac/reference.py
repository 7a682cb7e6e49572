"""A plain Casbin enforcer with Argo CD's model: the reference the indexed enforcer is tested
against, and the validator for policy files."""

from __future__ import annotations

from importlib.resources import files

import casbin

from kedge.rbac.matching import key_match
from kedge.rbac.policy import Policy


def casbin_enforcer(policy: Policy, match_mode: str = "glob") -> casbin.Enforcer:
    model = casbin.Model()
    model.load_model_from_text((files("kedge.rbac") / "model.conf").read_text())
    enforcer = casbin.Enforcer(model)
    enforcer.add_function("keyMatch", lambda value, pattern: key_match(value, pattern, match_mode))
    for line in policy.lines:
        enforcer.add_policy(line.sub, line.res, line.act, line.obj, line.eft)
    for member, role in policy.groupings:
        enforcer.add_grouping_policy(member, role)
    return enforcer


def casbin_enforce(
    enforcer: casbin.Enforcer, default_role: str, subjects: list[str], res: str, act: str, obj: str
) -> bool:
    """Argo CD's enforce order on top of plain Casbin."""
    if default_role and enforcer.enforce(default_role, res, act, obj):
        return True
    return any(enforcer.enforce(s, res, act, obj) for s in subjects)
