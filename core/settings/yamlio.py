"""YAML reading as Kubernetes does it: safe, C-accelerated when available, timestamps kept as strings."""

from __future__ import annotations

from typing import Any

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KubeLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader without the timestamp resolver (``2024-01-01T00:00:00Z`` stays a string)."""


KubeLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class YAMLProblem(ValueError):
    """Invalid YAML; ``str()`` reads ``line L, column C: <problem>``."""


def _problem(exc: yaml.YAMLError) -> YAMLProblem:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return YAMLProblem(f"{where}{getattr(exc, 'problem', None) or exc}")


def load_all(text: str) -> list[Any]:
    """Every non-empty document; raises :class:`YAMLProblem`."""
    try:
        return [d for d in yaml.load_all(text, Loader=KubeLoader) if d is not None]
    except yaml.YAMLError as exc:
        raise _problem(exc) from None


def load_one(text: str) -> Any:
    """One document (``None`` when empty); raises :class:`YAMLProblem`."""
    try:
        return yaml.load(text, Loader=KubeLoader)
    except yaml.YAMLError as exc:
        raise _problem(exc) from None
