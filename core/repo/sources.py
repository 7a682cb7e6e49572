"""Source types: where an Application source's files come from (hook ``kedge_source_types``).

A source type provider (see :func:`kedge.hookspecs.kedge_source_types`) offers:

* ``name``: ``"git"``, ``"helm"``...
* ``matches(source: dict) -> bool``: whether it handles this ``spec.source``.
* ``resolve(source, revision, credentials, context) -> str``: the immutable revision (commit
  SHA, chart version) for a ``targetRevision``; ``context.hard_refresh`` bypasses caches.
* ``fetch(source, revision, credentials, context) -> FetchedSource``: make the files of a
  *resolved* revision available; use the result as a context manager (``with ... as fetched``)
  so shared cache entries are not evicted while in use.
* optional ``metadata(source, revision, credentials, context) -> dict`` (author, date,
  message, tags), ``list_refs(source, credentials, context) -> dict`` and
  ``changed_files(source, old, new, credentials, context) -> list[str] | None`` (files changed
  between two revisions, for ``manifest-generate-paths``; None = unknown).

``credentials`` is a :class:`kedge.repo.creds.RepoCredentials` (maybe empty); ``context`` a
:class:`SourceContext`, whose ``workdir`` is the shared cache directory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kedge.errors import PluginError
from kedge.repo.config import RepoServerConfig


@dataclass
class SourceContext:
    """What a source type needs besides the source: configuration and the request's flags."""

    config: RepoServerConfig
    hard_refresh: bool = False
    no_revision_cache: bool = False  # re-resolve branches/tags, keep other caches

    @property
    def fresh_revisions(self) -> bool:
        return self.hard_refresh or self.no_revision_cache

    @property
    def workdir(self) -> Path:
        return Path(self.config.cache_dir)


@dataclass
class FetchedSource:
    """The files of one resolved source revision.

    ``root`` is the top of the tree renderers may read (a Git checkout, an extracted chart);
    ``path`` the directory to render inside it.
    """

    root: Path
    path: Path
    revision: str
    type: str
    info: dict[str, Any] = field(default_factory=dict)
    _release: Callable[[], None] | None = None

    def release(self) -> None:
        if self._release is not None:
            self._release()
            self._release = None

    def __enter__(self) -> FetchedSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def source_type_for(source: dict[str, Any]) -> Any:
    """The provider that handles ``source`` (a third-party provider wins over a built-in)."""
    from kedge import plugins

    table = plugins.providers("source_types")
    matching = []
    for name, provider in sorted(table.items()):
        try:
            if provider.matches(source):
                matching.append((name, provider))
        except Exception:  # noqa: BLE001 - a broken plugin must not break the others
            continue
    if not matching:
        known = ", ".join(sorted(table)) or "none"
        raise PluginError(
            f"no source type handles repoURL {source.get('repoURL')!r}"
            f"{' with chart ' + repr(source['chart']) if source.get('chart') else ''} (installed: {known})"
        )
    # prefer non-builtin providers, then the builtin git/helm
    reg = plugins.registry()
    for name, provider in matching:
        owner = reg.owner("source_types", name) or ""
        info = reg.plugins.get(owner)
        if info is not None and info.origin != "builtin":
            return provider
    return matching[0][1]
