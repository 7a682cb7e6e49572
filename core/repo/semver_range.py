"""Semver versions and constraints with the semantics Argo CD uses (Masterminds/semver v3).

Used for Git tags (``targetRevision: 1.2.*``) and Helm chart versions (``~1.2``).

* A *version* is parsed leniently: optional ``v``, one to three numbers (``1.2`` is ``1.2.0``),
  optional ``-prerelease`` and ``+build``. A revision that is a version is a pin: it must match
  a tag literally (Argo CD does not treat ``1.2`` as a range).
* A *constraint* is ``||``-separated groups of comma/space-separated comparisons: ``=``, ``!=``,
  ``>``, ``<``, ``>=``, ``<=``, ``~`` (``~>``), ``^``, wildcards ``x``/``X``/``*`` and hyphen
  ranges ``1.2 - 1.4.5``. ``~1.2`` is ``>=1.2.0 <1.3.0``; ``^1.2`` is ``>=1.2.0 <2.0.0``;
  ``^0.2`` is ``>=0.2.0 <0.3.0``; ``1.2.*`` is ``>=1.2.0 <1.3.0``; ``*`` is any release.
* Pre-releases match a comparison only when its version has a pre-release (``>=1.0.0-0``,
  ``*-0``), as in Argo CD.

Example::

    max_version(">=1.0.0 <2.0.0", ["v1.0.0", "v1.4.2", "v2.0.0", "main"])  # -> "v1.4.2"
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import semver

_NUM = r"(?:0|[1-9]\d*|\d+)"
_PRE = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_VERSION = re.compile(
    rf"^v?(?P<major>{_NUM})(?:\.(?P<minor>{_NUM}))?(?:\.(?P<patch>{_NUM}))?"
    rf"(?:-(?P<pre>{_PRE}))?(?:\+(?P<build>{_PRE}))?$"
)
_WILD = r"(?:x|X|\*|\d+)"
_CONSTRAINT = re.compile(
    rf"^(?P<op>!=|>=|=>|<=|=<|~>|[=><~^])?\s*v?(?P<major>{_WILD})(?:\.(?P<minor>{_WILD}))?"
    rf"(?:\.(?P<patch>{_WILD}))?(?:-(?P<pre>{_PRE}))?(?:\+(?P<build>{_PRE}))?$"
)
_HYPHEN = re.compile(r"(\S+)\s+-\s+(\S+)")


def parse_version(text: str) -> semver.Version | None:
    """A lenient version (``v1.2`` -> 1.2.0), or None when ``text`` is not one."""
    m = _VERSION.match(text.strip()) if text else None
    if not m:
        return None
    return semver.Version(
        int(m.group("major")),
        int(m.group("minor") or 0),
        int(m.group("patch") or 0),
        m.group("pre"),
        m.group("build"),
    )


def is_version(text: str) -> bool:
    return parse_version(text) is not None


@dataclass(frozen=True)
class _Cmp:
    op: str
    major: int | None  # None = wildcard
    minor: int | None
    patch: int | None
    pre: str | None

    @property
    def base(self) -> semver.Version:
        return semver.Version(self.major or 0, self.minor or 0, self.patch or 0, self.pre)

    def _upper(self) -> semver.Version:
        """The exclusive upper bound of the range a partial version covers (``1.2`` -> 1.3.0)."""
        assert self.major is not None
        if self.minor is None:
            return semver.Version(self.major + 1, 0, 0)
        return semver.Version(self.major, self.minor + 1, 0)

    def check(self, v: semver.Version) -> bool:
        if v.prerelease and not self.pre:
            return False
        v = v.replace(build=None)
        if self.major is None:  # "*", "x", ">=*"...
            return self.op in ("", "=", "~", "^", ">=", "<=")
        base = self.base
        dirty = self.minor is None or self.patch is None
        op = self.op
        if op in ("", "="):
            return base <= v < self._upper() if dirty else v == base
        if op == "!=":
            return not (base <= v < self._upper()) if dirty else v != base
        if op == ">":
            return v >= self._upper() if dirty else v > base
        if op == ">=":
            return v >= base
        if op == "<":
            return v < base
        if op == "<=":
            return v < self._upper() if dirty else v <= base
        if op == "~":
            if self.major == 0 and self.minor == 0 and self.patch == 0 and not dirty:
                return v >= base
            return base <= v < self._upper()
        if op == "^":
            if self.major > 0 or self.minor is None:
                upper = semver.Version(self.major + 1, 0, 0)
            elif self.minor > 0 or self.patch is None:
                upper = semver.Version(0, self.minor + 1, 0)
            else:
                upper = semver.Version(0, 0, self.patch + 1)
            return base <= v < upper
        raise AssertionError(op)


class Constraint:
    """A parsed constraint; ``check(version)`` says whether a version satisfies it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.groups: list[list[_Cmp]] = []
        for group in text.split("||"):
            group = _HYPHEN.sub(r">=\1 <=\2", group.strip())
            # "> = 1.2" / ">= 1.2": glue operators to their version
            group = re.sub(r"(!=|>=|=>|<=|=<|~>|[=><~^])\s+", r"\1", group)
            tokens = [t for t in re.split(r"[\s,]+", group) if t]
            if not tokens:
                tokens = ["*"]
            cmps = []
            for tok in tokens:
                m = _CONSTRAINT.match(tok)
                if not m:
                    raise ValueError(f"improper constraint: {text}")
                op = {"=>": ">=", "=<": "<=", "~>": "~"}.get(m.group("op") or "", m.group("op") or "")

                def num(s: str | None) -> int | None:
                    return None if s is None or s in ("x", "X", "*") else int(s)

                major, minor, patch = num(m.group("major")), num(m.group("minor")), num(m.group("patch"))
                # a wildcard makes everything after it a wildcard ("1.x.3" == "1.x")
                if major is None:
                    minor = patch = None
                elif minor is None:
                    patch = None
                cmps.append(_Cmp(op, major, minor, patch, m.group("pre")))
            self.groups.append(cmps)

    def check(self, v: semver.Version) -> bool:
        return any(all(c.check(v) for c in group) for group in self.groups)

    def __str__(self) -> str:
        return self.text


def parse_constraint(text: str) -> Constraint | None:
    """A constraint, or None if ``text`` is a plain version or not a constraint at all."""
    if text is None or is_version(text):
        return None
    try:
        return Constraint(text)
    except ValueError:
        return None


def is_constraint(text: str) -> bool:
    """True when ``text`` is a semver range rather than an exact version or a ref name."""
    return parse_constraint(text) is not None


def max_version(constraint: str | Constraint, candidates: Iterable[str]) -> str | None:
    """The candidate (returned as written, e.g. ``v1.4.2``) with the highest version that
    satisfies the constraint; None when nothing matches. Candidates that are not versions are
    ignored."""
    c = constraint if isinstance(constraint, Constraint) else Constraint(constraint)
    best: tuple[semver.Version, str] | None = None
    for cand in candidates:
        v = parse_version(cand)
        if v is None or not c.check(v):
            continue
        if best is None or v.compare(best[0]) > 0:
            best = (v, cand)
    return best[1] if best else None
