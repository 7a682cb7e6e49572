"""Source type ``git``: any ``repoURL`` without ``chart`` (see :mod:`kedge.repo.git`)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from kedge.hookspecs import hookimpl
from kedge.repo import git as gitsrc
from kedge.repo.errors import RepoError
from kedge.repo.paths import safe_join
from kedge.repo.sources import FetchedSource, SourceContext
from kedge.repo.urls import redact, strip_userinfo


def _url(source: dict[str, Any], credentials) -> str:
    """The repository URL without userinfo (credentials travel separately, never in argv)."""
    if credentials is not None and getattr(credentials, "url", ""):
        return credentials.url
    return strip_userinfo(source["repoURL"])[0]


class GitSourceType:
    name = "git"

    def matches(self, source: dict[str, Any]) -> bool:
        return bool(source.get("repoURL")) and not source.get("chart")

    def _repos(self, context: SourceContext) -> gitsrc.GitRepos:
        return gitsrc.shared(context.config)

    def resolve(self, source: dict[str, Any], revision: str, credentials, context: SourceContext) -> str:
        return self._repos(context).resolve(
            _url(source, credentials), revision, credentials, refresh=context.fresh_revisions
        )

    def fetch(
        self, source: dict[str, Any], revision: str, credentials, context: SourceContext
    ) -> FetchedSource:
        stack = ExitStack()
        try:
            root = stack.enter_context(
                self._repos(context).checkout(_url(source, credentials), revision, credentials)
            )
            path = safe_join(root, source.get("path") or ".")
            if not path.is_dir():
                raise RepoError(
                    f"path {source.get('path')!r} does not exist in repository {redact(source['repoURL'])} "
                    f"at revision {revision}"
                )
        except BaseException:
            stack.close()
            raise
        return FetchedSource(root=root, path=path, revision=revision, type="git", _release=stack.close)

    def metadata(self, source: dict[str, Any], revision: str, credentials, context: SourceContext) -> dict:
        return self._repos(context).metadata(_url(source, credentials), revision, credentials)

    def list_refs(self, source: dict[str, Any], credentials, context: SourceContext) -> dict:
        return self._repos(context).list_refs(
            _url(source, credentials), credentials, refresh=context.fresh_revisions
        )

    def changed_files(self, source: dict[str, Any], old: str, new: str, credentials, context: SourceContext):
        return self._repos(context).changed_files(_url(source, credentials), old, new, credentials)


@hookimpl
def kedge_source_types():
    return [GitSourceType()]
