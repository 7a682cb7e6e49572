"""RBAC for the API: the enforcer built from argocd-rbac-cm plus the roles of every AppProject,
rebuilt when either changes, and Argo CD's "permission denied" answers.

Project roles are injected as Argo CD evaluates them: ``p, proj:<proj>:<role>, ...`` from each
role's ``policies`` and ``g, <group>, proj:<proj>:<role>`` from its ``groups``. A role policy
whose object is outside its own project (``<proj>/...``) is dropped, so a project role can
never reach another project's applications even if the AppProject was written by kubectl
without validation.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from kedge.errors import ConfigError
from kedge.rbac import Enforcer, Policy, PolicyLine
from kedge.rbac.policy import PROJECT_SCOPED
from kedge.server.errors import APIError
from kedge.server.http import Principal

log = logging.getLogger(__name__)

#: resources a project role policy may name (their objects must be ``<project>/...``)
ROLE_RESOURCES = (*PROJECT_SCOPED, "repositories", "clusters")


def project_policy(projects: Iterable[dict[str, Any]]) -> Policy:
    policy = Policy()
    for proj in projects:
        pname = (proj.get("metadata") or {}).get("name") or ""
        for role in (proj.get("spec") or {}).get("roles") or []:
            if not isinstance(role, dict) or not role.get("name"):
                continue
            subject = f"proj:{pname}:{role['name']}"
            for line in role.get("policies") or []:
                try:
                    cells = [
                        c.strip() for c in next(csv.reader(io.StringIO(str(line)), skipinitialspace=True))
                    ]
                except (csv.Error, StopIteration):
                    continue
                if len(cells) != 6 or cells[0] != "p" or cells[1] != subject:
                    continue
                _, sub, res, act, obj, eft = cells
                if res not in ROLE_RESOURCES or not obj.startswith(f"{pname}/"):
                    continue  # as Argo CD validates role policies: only its own project's objects
                policy.lines.append(PolicyLine(sub, res, act, obj, eft, origin=f"AppProject {pname}"))
            for group in role.get("groups") or []:
                if isinstance(group, str) and group:
                    policy.groupings.append((group, subject))
    return policy


class Authorizer:
    """``check(principal, resource, action, object)`` raising 403; ``allowed(...)`` for filters."""

    def __init__(self, settings: Any, projects: Any) -> None:
        self._settings = settings  # SettingsManager
        self._projects = projects  # Informer of AppProjects
        self._lock = threading.Lock()
        self._version = 0
        self._key: tuple | None = None
        self._enforcer: Enforcer | None = None
        projects.add_handler(self._bump)

    def _bump(self, *_: Any) -> None:
        self._version += 1

    def enforcer(self) -> Enforcer:
        key = (getattr(self._settings, "generation", id(self._settings.current)), self._version)
        enf = self._enforcer
        if enf is not None and key == self._key:
            return enf
        with self._lock:
            if self._enforcer is not None and key == self._key:
                return self._enforcer
            rbac = self._settings.current.rbac()
            try:
                policy = Policy.parse(rbac.policy_csv, "argocd-rbac-cm")
            except ConfigError as exc:
                if self._enforcer is not None:
                    log.error("argocd-rbac-cm: %s; keeping the previous policy", exc)
                    self._key = key
                    return self._enforcer
                log.error("argocd-rbac-cm: %s; using the built-in policy only", exc)
                policy = Policy()
            policy = policy.merged(project_policy(self._projects.list()))
            self._enforcer = Enforcer(policy, default_role=rbac.default_policy, match_mode=rbac.match_mode)
            self._key = key
            return self._enforcer

    def allowed(self, principal: Principal | None, res: str, act: str, obj: str) -> bool:
        subjects = principal.subjects if principal else ()
        return self.enforcer().enforce(subjects, res, act, obj)

    def check(self, principal: Principal | None, res: str, act: str, obj: str) -> None:
        if not self.allowed(principal, res, act, obj):
            raise APIError(403, denied_message(principal, res, act, obj))

    def project_scoped(self, principal: Principal | None, res: str, act: str) -> _ProjectIndex:
        """A fast ``may(project, name)`` for filtering lists and streams (see :class:`_ProjectIndex`)."""
        return _ProjectIndex(self.enforcer(), principal.subjects if principal else (), res, act)


class _ProjectIndex:
    """``may(project, name)`` for one principal and one (resource, action), equal to
    ``Enforcer.enforce(subjects, resource, action, f"{project}/{name}")`` but indexed by project:
    a rule whose object pattern starts with a literal project (``team-a/*``) is only tried for
    that project's apps. Listing 10,000 apps for a user in 50 groups then costs one or two
    pattern matches per app instead of a hundred."""

    def __init__(self, enforcer: Enforcer, subjects: Iterable[str], res: str, act: str) -> None:
        from kedge.rbac.matching import matcher_for

        compile_ = matcher_for(enforcer.match_mode)
        subjects = [s for s in subjects if s]
        if enforcer.default_role:
            subjects = [enforcer.default_role, *subjects]
        self.by_project: dict[str, list[tuple[int, Any, bool]]] = {}
        self.wild: list[tuple[int, Any, bool]] = []
        lines_by_sub: dict[str, list[PolicyLine]] = {}
        for line in enforcer.policy.lines:
            lines_by_sub.setdefault(line.sub, []).append(line)
        for idx, subject in enumerate(subjects):
            for role in enforcer.roles_of(subject):
                for line in lines_by_sub.get(role, ()):
                    if line.eft not in ("allow", "deny"):
                        continue
                    if not compile_(line.res)(res) or not compile_(line.act)(act):
                        continue
                    entry = (idx, compile_(line.obj), line.eft == "deny")
                    first = line.obj.split("/", 1)[0]
                    literal = (
                        enforcer.match_mode != "regex"
                        and "/" in line.obj
                        and not any(ch in first for ch in "*?[{\\")
                    )
                    if literal:
                        self.by_project.setdefault(first, []).append(entry)
                    else:
                        self.wild.append(entry)

    def __call__(self, project: str, name: str) -> bool:
        obj = f"{project}/{name}"
        allowed: set[int] = set()
        denied: set[int] = set()
        for rules in (self.by_project.get(project, ()), self.wild):
            for idx, obj_m, deny in rules:
                if idx in denied or not obj_m(obj):
                    continue
                if deny:
                    denied.add(idx)
                    allowed.discard(idx)
                else:
                    allowed.add(idx)
        return bool(allowed - denied)


def denied_message(principal: Principal | None, res: str, act: str, obj: str) -> str:
    parts = [res, act, obj]
    if principal is not None and principal.subject:
        parts.append(f"sub: {principal.subject}")
        if principal.issued_at:
            iat = datetime.fromtimestamp(principal.issued_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            parts.append(f"iat: {iat}")
    return "permission denied: " + ", ".join(parts)


def now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
