"""The indexed enforcer: Argo CD's Casbin semantics without scanning every policy line."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kedge.rbac.matching import Matcher, matcher_for
from kedge.rbac.policy import Policy, builtin_policy

#: Casbin's default role hierarchy depth.
MAX_HIERARCHY = 10


@dataclass(frozen=True)
class _Rule:
    act: Matcher
    obj: Matcher
    deny: bool


class _SubjectRules:
    """All rules reachable from one subject (itself and its roles), indexed by resource."""

    __slots__ = ("exact", "patterns")

    def __init__(self) -> None:
        self.exact: dict[str, list[_Rule]] = defaultdict(list)
        self.patterns: list[tuple[Matcher, _Rule]] = []

    def decide(self, res: str, act: str, obj: str) -> bool:
        allowed = False
        for rule in self.exact.get(res, ()):
            if rule.act(act) and rule.obj(obj):
                if rule.deny:
                    return False
                allowed = True
        for res_m, rule in self.patterns:
            if res_m(res) and rule.act(act) and rule.obj(obj):
                if rule.deny:
                    return False
                allowed = True
        return allowed


class Enforcer:
    """``enforce(subjects, resource, action, object)`` with Argo CD's rules:

    * ``policy.default`` (``default_role``) is checked first; if it allows, the answer is yes;
    * then each subject in turn (a user name, then its groups, per ``scopes``); the first that
      is allowed answers yes; within one subject a matching ``deny`` beats any ``allow``;
    * a subject has the rules of every role it reaches through ``g`` lines (transitively).
    """

    def __init__(
        self,
        policy: Policy | None = None,
        default_role: str = "",
        match_mode: str = "glob",
        use_builtin: bool = True,
    ) -> None:
        self.default_role = default_role
        self.match_mode = match_mode
        base = builtin_policy() if use_builtin else Policy()
        self.policy = base.merged(policy) if policy is not None else base
        self._lock = threading.Lock()
        self._build()

    def _build(self) -> None:
        compile_ = matcher_for(self.match_mode)
        self._roles: dict[str, list[str]] = defaultdict(list)
        for member, role in self.policy.groupings:
            self._roles[member].append(role)
        self._own: dict[str, list[tuple[str, Matcher | None, _Rule]]] = defaultdict(list)
        for p in self.policy.lines:
            if p.eft not in ("allow", "deny"):
                continue  # Casbin ignores effects other than allow/deny
            rule = _Rule(compile_(p.act), compile_(p.obj), p.eft == "deny")
            literal = self.match_mode != "regex" and not any(ch in p.res for ch in "*?[{\\")
            self._own[p.sub].append((p.res, None if literal else compile_(p.res), rule))
        self._compiled: dict[str, _SubjectRules] = {}

    def roles_of(self, subject: str) -> list[str]:
        """``subject`` and every role it reaches (breadth first, at most 10 levels)."""
        seen = [subject]
        frontier = [subject]
        for _ in range(MAX_HIERARCHY):
            nxt = []
            for s in frontier:
                for role in self._roles.get(s, ()):
                    if role not in seen:
                        seen.append(role)
                        nxt.append(role)
            if not nxt:
                break
            frontier = nxt
        return seen

    def _rules(self, subject: str) -> _SubjectRules:
        compiled = self._compiled.get(subject)
        if compiled is None:
            compiled = _SubjectRules()
            for s in self.roles_of(subject):
                for res, res_m, rule in self._own.get(s, ()):
                    if res_m is None:
                        compiled.exact[res].append(rule)
                    else:
                        compiled.patterns.append((res_m, rule))
            with self._lock:
                if len(self._compiled) > 100_000:
                    self._compiled.clear()
                self._compiled[subject] = compiled
        return compiled

    def enforce(self, subjects: str | Iterable[str], resource: str, action: str, obj: str = "") -> bool:
        """May any of ``subjects`` perform ``action`` on ``resource`` ``obj``?"""
        if self.default_role and self._rules(self.default_role).decide(resource, action, obj):
            return True
        if isinstance(subjects, str):
            subjects = (subjects,)
        return any(self._rules(s).decide(resource, action, obj) for s in subjects if s)
