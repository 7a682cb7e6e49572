"""Source type ``helm``: ``chart`` + a Helm repository ``repoURL``: an HTTP(S) chart repository
(:mod:`kedge.repo.helmrepo`) or an OCI registry (``oci://host/path``, or ``host/path`` with
``enableOCI: "true"`` on the repository Secret; :mod:`kedge.repo.oci`).
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

    def _check(self, source: dict[str, Any], credentials) -> None:
        url = source["repoURL"]
        if "://" not in url and not (credentials is not None and credentials.enable_oci):
            raise RepoError(
                f"repoURL {url!r} of chart {source.get('chart')!r} has no scheme: use https://..., oci://..., "
                'or set enableOCI: "true" on its repository Secret'
            )

    def resolve(self, source: dict[str, Any], revision: str, credentials, context: SourceContext) -> str:
        self._check(source, credentials)
        return helmrepo.shared(context.config).resolve(
            source["repoURL"], source["chart"], revision, credentials, refresh=context.fresh_revisions
        )

    def fetch(
        self, source: dict[str, Any], revision: str, credentials, context: SourceContext
    ) -> FetchedSource:
        self._check(source, credentials)
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
