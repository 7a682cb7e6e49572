"""Parsing Argo CD policy CSV (``policy.csv``, ``policy.<overlay>.csv``, project roles)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from importlib.resources import files

from kedge.errors import ConfigError

#: Resources and actions Argo CD defines (``--strict`` validation).
RESOURCES = (
    "applications", "applicationsets", "clusters", "projects", "repositories", "write-repositories",
    "accounts", "certificates", "gpgkeys", "logs", "exec", "extensions",
)  # fmt: skip
ACTIONS = ("get", "create", "update", "delete", "sync", "override", "action", "invoke", "rollback", "debug")
PROJECT_SCOPED = ("applications", "applicationsets", "logs", "exec")


@dataclass(frozen=True)
class PolicyLine:
    """``p, sub, res, act, obj, eft``."""

    sub: str
    res: str
    act: str
    obj: str
    eft: str
    origin: str = ""


@dataclass
class Policy:
    """Policy lines and role assignments (``g, member, role``)."""

    lines: list[PolicyLine] = field(default_factory=list)
    groupings: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str, origin: str = "policy.csv") -> Policy:
        """Parse CSV; raises :class:`ConfigError` naming ``origin`` and the line on errors."""
        policy = cls()
        policy.extend(text, origin)
        return policy

    def extend(self, text: str, origin: str = "policy.csv") -> None:
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            try:
                cells = [c.strip() for c in next(csv.reader(io.StringIO(line), skipinitialspace=True))]
            except (csv.Error, StopIteration) as exc:
                raise ConfigError(f"{origin}:{number}: cannot parse {line!r}: {exc}") from None
            where = f"{origin}:{number}"
            kind = cells[0]
            if kind == "p":
                if len(cells) != 6:
                    raise ConfigError(
                        f"{where}: a policy line needs 6 fields (p, subject, resource, action, object, effect), "
                        f"got {len(cells)}: {line!r}"
                    )
                self.lines.append(PolicyLine(*cells[1:6], origin=where))
            elif kind == "g":
                if len(cells) != 3:
                    raise ConfigError(
                        f"{where}: a role line needs 3 fields (g, member, role), got {len(cells)}: {line!r}"
                    )
                self.groupings.append((cells[1], cells[2]))
            else:
                raise ConfigError(f"{where}: lines must start with 'p' or 'g', got {kind!r}")

    def merged(self, other: Policy) -> Policy:
        return Policy(self.lines + other.lines, self.groupings + other.groupings)

    def validate_strict(self) -> list[str]:
        """Problems ``--strict`` reports: unknown resources, actions and effects."""
        problems = []
        for p in self.lines:
            if p.res not in RESOURCES and p.res != "*":
                problems.append(f"{p.origin}: unknown resource {p.res!r} (known: {', '.join(RESOURCES)})")
            base_action = p.act.split("/", 1)[0]
            if base_action not in ACTIONS and p.act != "*":
                problems.append(f"{p.origin}: unknown action {p.act!r} (known: {', '.join(ACTIONS)})")
            if p.eft not in ("allow", "deny"):
                problems.append(f"{p.origin}: effect must be 'allow' or 'deny', got {p.eft!r}")
        return problems


def builtin_policy() -> Policy:
    text = (files("kedge.rbac") / "builtin-policy.csv").read_text()
    return Policy.parse(text, "builtin-policy.csv")


def from_rbac_configmap(data: dict[str, str], origin: str = "argocd-rbac-cm") -> Policy:
    """``policy.csv`` plus every ``policy.<overlay>.csv`` (in key order), as Argo CD merges them."""
    policy = Policy()
    if data.get("policy.csv"):
        policy.extend(data["policy.csv"], f"{origin}: policy.csv")
    for key in sorted(
        k for k in data if k.startswith("policy.") and k.endswith(".csv") and k != "policy.csv"
    ):
        policy.extend(data[key], f"{origin}: {key}")
    return policy
