"""Source type ``helm``: ``chart`` + an HTTP(S) Helm repository ``repoURL`` (see :mod:`kedge.repo.helmrepo`).

OCI registries (``oci://`` or ``enableOCI``) are not supported yet and get a clear error.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from kedge.hookspecs import hookimpl
from kedge.repo import helmrepo
from kedge.repo.errors import RepoError
from kedge.repo.paths import safe_join
from kedge.repo.sources import FetchedSource, SourceContext


class HelmSourceType:
    name = "helm"

    def matches(self, source: dict[str, Any]) -> bool:
        return bool(source.get("repoURL")) and bool(source.get("chart"))

    def _check(self, source: dict[str, Any]) -> None:
        url = source["repoURL"]
        if url.startswith("oci://") or "://" not in url:
            raise RepoError(
                f"Helm OCI registries are not supported yet (repoURL {url!r}, chart {source.get('chart')!r})"
            )

    def resolve(self, source: dict[str, Any], revision: str, credentials, context: SourceContext) -> str:
        self._check(source)
        return helmrepo.shared(context.config).resolve(
            source["repoURL"], source["chart"], revision, credentials, refresh=context.hard_refresh
        )

    def fetch(
        self, source: dict[str, Any], revision: str, credentials, context: SourceContext
    ) -> FetchedSource:
        self._check(source)
        stack = ExitStack()
        helm = source.get("helm") or {}
        try:
            root = stack.enter_context(
                helmrepo.shared(context.config).checkout(
                    source["repoURL"],
                    source["chart"],
                    revision,
                    credentials,
                    pass_credentials=bool(helm.get("passCredentials")),
                )
            )
            path = safe_join(root, source["chart"])
        except BaseException:
            stack.close()
            raise
        return FetchedSource(root=root, path=path, revision=revision, type="helm", _release=stack.close)

    def metadata(self, source: dict[str, Any], revision: str, credentials, context: SourceContext) -> dict:
        return {"revision": revision, "chart": source.get("chart"), "version": revision}


@hookimpl
def kedge_source_types():
    return [HelmSourceType()]
