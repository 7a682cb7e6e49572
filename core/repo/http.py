"""The repo server over HTTP/JSON (``kedge repo-server``) and its client.

Endpoints (all ``POST`` with a JSON body, answering JSON):

==========================  ==================================================  ======================
path                        body                                                answer
==========================  ==================================================  ======================
``/api/v1/manifests``       ``app``, ``sourceIndex``, ``revision``,              a ManifestResponse
                            ``hardRefresh``, ``kubeVersion``, ``apiVersions``,
                            ``settings``
``/api/v1/revision``        ``repoURL``, ``revision``, ``chart``, ``hardRefresh``  ``{"revision": sha}``
``/api/v1/refs``            ``repoURL``, ``hardRefresh``                          ``{"branches", "tags"}``
``/api/v1/metadata``        ``repoURL``, ``revision``                             author, date, message, tags
``GET /healthz``            -                                                   ``{"status": "ok"}``
==========================  ==================================================  ======================

A failure answers HTTP 422 with ``{"error": message, "type": "RepoAuthError"...}``; the client
raises the same exception class with the same message.
"""

from __future__ import annotations

from typing import Any

from kedge.errors import ConfigError, KedgeError, RenderError
from kedge.repo import errors as repo_errors
from kedge.repo.server import ManifestResponse, RepoServer

_ERRORS: dict[str, type[KedgeError]] = {
    "RenderError": RenderError,
    "ConfigError": ConfigError,
    "KedgeError": KedgeError,
    **{
        name: getattr(repo_errors, name)
        for name in (
            "RepoError",
            "RepoAuthError",
            "RepoUnreachableError",
            "RevisionNotFoundError",
            "RepoTimeoutError",
        )
    },
}


def create_app(server: RepoServer):
    """A Starlette application serving ``server``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def _error(exc: Exception) -> JSONResponse:
        if isinstance(exc, KedgeError):
            kind = type(exc).__name__
            return JSONResponse({"error": str(exc), "type": kind if kind in _ERRORS else "RenderError"}, 422)
        return JSONResponse(
            {"error": f"internal error: {type(exc).__name__}: {exc}", "type": "KedgeError"}, 500
        )

    def endpoint(fn):
        async def handler(request: Request) -> JSONResponse:
            try:
                body = await request.json()
            except ValueError:
                return JSONResponse({"error": "request body is not JSON", "type": "ConfigError"}, 400)
            if not isinstance(body, dict):
                return JSONResponse(
                    {"error": "request body must be a JSON object", "type": "ConfigError"}, 400
                )
            from starlette.concurrency import run_in_threadpool

            try:
                return JSONResponse(await run_in_threadpool(fn, body))
            except Exception as exc:  # noqa: BLE001 - every error becomes a JSON answer
                return _error(exc)

        return handler

    def manifests(body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body.get("app"), dict):
            raise ConfigError("'app' (an Application object) is required")
        resp = server.generate_manifests(
            body["app"],
            source_index=body.get("sourceIndex"),
            revision=body.get("revision"),
            hard_refresh=bool(body.get("hardRefresh")),
            kube_version=body.get("kubeVersion") or "",
            api_versions=body.get("apiVersions") or [],
            settings=body.get("settings") or None,
            no_revision_cache=bool(body.get("noRevisionCache")),
        )
        return resp.to_dict()

    def _url(body: dict[str, Any]) -> str:
        url = body.get("repoURL")
        if not isinstance(url, str) or not url:
            raise ConfigError("'repoURL' is required")
        return url

    def revision(body: dict[str, Any]) -> dict[str, Any]:
        sha = server.resolve_revision(
            _url(body),
            body.get("revision") or "",
            chart=body.get("chart") or "",
            hard_refresh=bool(body.get("hardRefresh")),
        )
        return {"revision": sha}

    def refs(body: dict[str, Any]) -> dict[str, Any]:
        return server.list_refs(_url(body), hard_refresh=bool(body.get("hardRefresh")))

    def metadata(body: dict[str, Any]) -> dict[str, Any]:
        return server.revision_metadata(_url(body), body.get("revision") or "HEAD")

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/api/v1/manifests", endpoint(manifests), methods=["POST"]),
            Route("/api/v1/revision", endpoint(revision), methods=["POST"]),
            Route("/api/v1/refs", endpoint(refs), methods=["POST"]),
            Route("/api/v1/metadata", endpoint(metadata), methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


class RepoServerClient:
    """Talks to ``kedge repo-server``; the same methods as :class:`RepoServer`.

    ``timeout`` bounds each call (manifest generation included; Argo CD's
    ``controller.repo.server.timeout.seconds`` defaults to 60 s).
    """

    def __init__(self, address: str, *, timeout: float = 60.0, connect_timeout: float = 5.0) -> None:
        import httpx

        base = address if "://" in address else f"http://{address}"
        self.address = base.rstrip("/")
        self._client = httpx.Client(
            base_url=self.address, timeout=httpx.Timeout(timeout, connect=connect_timeout), trust_env=False
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RepoServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, path: str, body: dict[str, Any]) -> Any:
        import httpx

        try:
            resp = self._client.post(path, json=body)
        except httpx.TimeoutException:
            raise repo_errors.RepoTimeoutError(
                f"repo server {self.address} did not answer {path} in time"
            ) from None
        except httpx.HTTPError as exc:
            raise repo_errors.RepoUnreachableError(f"repo server {self.address} unreachable: {exc}") from None
        try:
            data = resp.json()
        except ValueError:
            raise RenderError(
                f"repo server {self.address} answered HTTP {resp.status_code} without JSON"
            ) from None
        if resp.status_code >= 400:
            cls = _ERRORS.get(str(data.get("type")), RenderError)
            raise cls(str(data.get("error") or f"HTTP {resp.status_code}"))
        return data

    def generate_manifests(
        self,
        app: dict[str, Any],
        *,
        source_index: int | None = None,
        revision: str | list[str] | None = None,
        hard_refresh: bool = False,
        kube_version: str = "",
        api_versions: list[str] | None = None,
        settings: dict[str, str] | None = None,
        no_revision_cache: bool = False,
    ) -> ManifestResponse:
        data = self._call(
            "/api/v1/manifests",
            {
                "app": app,
                "sourceIndex": source_index,
                "revision": revision,
                "hardRefresh": hard_refresh,
                "noRevisionCache": no_revision_cache,
                "kubeVersion": kube_version,
                "apiVersions": api_versions or [],
                "settings": settings,
            },
        )
        return ManifestResponse.from_dict(data)

    def resolve_revision(
        self, repo_url: str, revision: str, *, chart: str = "", hard_refresh: bool = False
    ) -> str:
        body = {"repoURL": repo_url, "revision": revision, "chart": chart, "hardRefresh": hard_refresh}
        return self._call("/api/v1/revision", body)["revision"]

    def list_refs(self, repo_url: str, *, hard_refresh: bool = False) -> dict[str, list[str]]:
        return self._call("/api/v1/refs", {"repoURL": repo_url, "hardRefresh": hard_refresh})

    def revision_metadata(self, repo_url: str, revision: str) -> dict[str, Any]:
        return self._call("/api/v1/metadata", {"repoURL": repo_url, "revision": revision})
