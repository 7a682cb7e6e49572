"""AppProject rules as Argo CD applies them: allowed source repositories, destinations, and
cluster/namespace resource allow and deny lists. Patterns are globs; a pattern starting with
``!`` denies (a deny wins over any allow)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

DEFAULT_PROJECT = {
    "metadata": {"name": "default"},
    "spec": {
        "sourceRepos": ["*"],
        "destinations": [{"server": "*", "namespace": "*", "name": "*"}],
        "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
    },
}


def _glob(pattern: str, value: str) -> bool:
    return pattern == "*" or pattern == value or fnmatch.fnmatchcase(value, pattern)


def _allowed(patterns: Iterable[str], value: str) -> bool:
    """Allowed when some non-negated pattern matches and no ``!pattern`` does."""
    patterns = list(patterns)
    if any(p.startswith("!") and _glob(p[1:], value) for p in patterns):
        return False
    return any(not p.startswith("!") and _glob(p, value) for p in patterns)


def _spec(project: dict[str, Any] | None) -> dict[str, Any]:
    return (project or {}).get("spec") or {}


def source_permitted(project: dict[str, Any] | None, repo_url: str) -> bool:
    repos = _spec(project).get("sourceRepos") or []
    norm = repo_url.rstrip("/").removesuffix(".git")
    return _allowed(repos, repo_url) or _allowed([r.rstrip("/").removesuffix(".git") for r in repos], norm)


def destination_permitted(project: dict[str, Any] | None, server: str, name: str, namespace: str) -> bool:
    dests = _spec(project).get("destinations") or []
    allowed = False
    for d in dests:
        ns_pat = d.get("namespace") or ""
        srv_pat, name_pat = d.get("server") or "", d.get("name") or ""
        cluster_ok = (srv_pat and _glob(srv_pat.lstrip("!"), server)) or (
            name_pat and _glob(name_pat.lstrip("!"), name)
        )
        ns_ok = _glob(ns_pat.lstrip("!"), namespace) if ns_pat else namespace == ""
        if not (cluster_ok and ns_ok):
            continue
        if ns_pat.startswith("!") or srv_pat.startswith("!") or name_pat.startswith("!"):
            return False
        allowed = True
    return allowed


def _gk_match(entries: Iterable[dict[str, Any]], group: str, kind: str) -> bool:
    return any(_glob(e.get("group", ""), group) and _glob(e.get("kind", ""), kind) for e in entries)


def resource_permitted(project: dict[str, Any] | None, group: str, kind: str, namespaced: bool) -> bool:
    spec = _spec(project)
    if namespaced:
        white = spec.get("namespaceResourceWhitelist")
        if white is not None and len(white) > 0 and not _gk_match(white, group, kind):
            return False
        return not _gk_match(spec.get("namespaceResourceBlacklist") or [], group, kind)
    white = spec.get("clusterResourceWhitelist") or []
    if not _gk_match(white, group, kind):
        return False
    return not _gk_match(spec.get("clusterResourceBlacklist") or [], group, kind)


def orphan_ignored(ignore: Iterable[dict[str, Any]], group: str, kind: str, name: str) -> bool:
    """Whether ``orphanedResources.ignore`` (entries of group, kind, name globs) covers a resource."""
    return any(
        _glob(i.get("group", "*") or "", group)
        and _glob(i.get("kind", "*"), kind)
        and _glob(i.get("name") or "*", name)
        for i in ignore
    )
