"""The in-process pieces the API server works with, and :func:`build_backend`, the composition
``kedge server`` and ``kedge up`` share::

    from kedge.server.backend import build_backend
    from kedge.server.app import create_app

    backend = build_backend(kubeconfig="~/.kube/config", namespace="argocd")
    backend.start()                      # settings watch, controller, informers
    app = create_app(backend)            # an ASGI app: uvicorn.run(app, ...)
    ...
    backend.stop()
"""

from __future__ import annotations

import base64
import logging
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request

from kedge.auth import AuthError, LocalAuth, LoginRateLimiter, TokenIssuer, generate_password, hash_password
from kedge.kube.client import MERGE_PATCH, APIResource, KubeClient, KubeError
from kedge.server.authz import Authorizer, now_rfc3339
from kedge.server.errors import APIError
from kedge.server.http import Principal
from kedge.settings import SettingsManager
from kedge.settings.objects import PART_OF_LABEL

log = logging.getLogger(__name__)

API_VERSION = "argoproj.io/v1alpha1"
#: Argo CD's session cookie name
COOKIE = "argocd.token"
INITIAL_ADMIN_SECRET = "argocd-initial-admin-secret"


@dataclass
class Backend:
    """Everything a request handler may use. Build it with :func:`build_backend`."""

    client: KubeClient
    namespace: str
    settings: SettingsManager
    controller: Any  # kedge.controller.controller.AppController
    repo: Any  # kedge.repo.server.RepoServer
    auth: LocalAuth
    authz: Authorizer
    source: Any = None  # ClusterSettingsSource (None when settings come from elsewhere)
    insecure: bool = False
    started: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    _secret_key: str = ""

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, wait: float = 30.0) -> None:
        if self.source is not None:
            self.source.start(wait)
        self._sync_from_settings(None, self.settings.current)
        self.settings.subscribe(self._sync_from_settings)
        self.controller.start(wait)
        self.started = True

    def stop(self) -> None:
        self.controller.stop()
        if self.source is not None:
            self.source.stop()
        self.started = False

    def _sync_from_settings(self, old: Any, new: Any) -> None:
        key = new.server_secret_key or ""
        if len(key) >= 16 and key != self._secret_key:
            self._secret_key = key
            self.auth.issuer = TokenIssuer(key)
        try:
            from kedge.repo.creds import store_from_settings

            self.repo.credentials = store_from_settings(new)
            self.repo.settings = dict(new.cm)
        except Exception:  # noqa: BLE001 - a repo server in another process has no such fields
            log.debug("repo server settings not updated", exc_info=True)

    def refresh_settings(self) -> None:
        """Re-read settings after writing argocd-secret/argocd-cm (read-your-writes)."""
        if self.source is not None:
            self.source.refresh()

    # -- authentication -----------------------------------------------------------------------
    def principal_for(self, request: Request, required: bool = True) -> Principal | None:
        token = ""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        if not token:
            token = request.cookies.get(COOKIE, "")
            if token and request.method not in ("GET", "HEAD", "OPTIONS"):
                _same_origin(request)
        if token:
            try:
                claims = self.authenticate(token)
            except AuthError as exc:
                if not required:
                    return None
                raise APIError(401, f"invalid session: {exc}") from None
            if claims.kind == "sso":
                groups = tuple(claims.groups)  # the claim values named by `scopes` at login
            else:
                groups = tuple(claims.groups) if "groups" in self.settings.current.rbac().scopes else ()
            return Principal(claims.subject, (claims.subject, *groups), claims, False, token)
        if self.settings.current.users_anonymous_enabled:
            return Principal("", (), None, True)
        if required:
            raise APIError(401, "no session information")
        return None

    def authenticate(self, token: str) -> Any:
        """Claims of a valid token: local sessions and API tokens through :class:`LocalAuth`;
        SSO sessions (kind ``sso``) by signature and expiry, while SSO stays configured."""
        claims = self.auth.issuer.verify(token)
        if claims.kind != "sso":
            return self.auth.authenticate(token)
        oidc = self.extras.get("oidc")
        if oidc is not None and claims.token_id in oidc.revoked:
            raise AuthError("token is revoked")
        if not self.settings.current.oidc_config():
            raise AuthError("SSO is no longer configured (oidc.config)")
        return claims

    # -- kubernetes helpers -------------------------------------------------------------------
    def resource(self, kind: str, api_version: str = API_VERSION) -> APIResource:
        res = self.client.resource_for(api_version, kind)
        if res is None:
            raise APIError(
                503, f"the cluster does not serve {kind} ({api_version}); are Kedge's CRDs installed?"
            )
        return res

    def project_tokens(self, project: str, role: str) -> list[dict[str, Any]]:
        proj = self.controller.projects.get(project)
        if proj is None:
            return []
        out: list[dict[str, Any]] = []
        for r in (proj.get("spec") or {}).get("roles") or []:
            if isinstance(r, dict) and r.get("name") == role:
                out += [t for t in r.get("jwtTokens") or [] if isinstance(t, dict)]
        by_role = ((proj.get("status") or {}).get("jwtTokensByRole") or {}).get(role) or {}
        out += [t for t in by_role.get("items") or [] if isinstance(t, dict)]
        return out

    def patch_secret(
        self, name: str, values: dict[str, str | None], create_labels: dict[str, str] | None = None
    ) -> None:
        """Set (or with None, remove) keys of a Secret in the control-plane namespace."""
        res = self.resource("Secret", "v1")
        data = {
            k: (base64.b64encode(v.encode()).decode() if v is not None else None) for k, v in values.items()
        }
        try:
            # stringData is write-only on a real API server; drop the keys there too in case a
            # cluster keeps it (so an old stringData value can never shadow the new data)
            self.client.patch(
                res, self.namespace, name, {"data": data, "stringData": dict.fromkeys(values)}, MERGE_PATCH
            )
        except KubeError as exc:
            if not exc.not_found:
                raise
            body = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": name,
                    "namespace": self.namespace,
                    "labels": create_labels or {PART_OF_LABEL: "argocd"},
                },
                "type": "Opaque",
                "data": {k: v for k, v in data.items() if v is not None},
            }
            self.client.create(body)
        self.refresh_settings()


def _same_origin(request: Request) -> None:
    """Cookie-authenticated writes must come from this server's own pages (CSRF): a browser
    sends ``Origin`` on cross-site requests, and it must name this host."""
    from urllib.parse import urlparse

    origin = request.headers.get("origin")
    hosts = {
        request.headers.get("host", ""),
        request.headers.get("x-forwarded-host", "").split(",")[0].strip(),
    }
    if origin and origin != "null" and urlparse(origin).netloc not in hosts:
        raise APIError(403, f"cross-origin request refused (Origin {origin}); use an Authorization header")
    if origin == "null":
        raise APIError(403, "cross-origin request refused (Origin null); use an Authorization header")


def initialize_settings(client: KubeClient, namespace: str) -> str | None:
    """Make the control-plane namespace usable, as Argo CD's server does at start: the namespace,
    ``argocd-cm``, ``argocd-rbac-cm``, ``argocd-secret`` with a ``server.secretkey``, and, when
    the admin has no password yet, a generated one stored (bcrypt) in argocd-secret and in
    clear in the ``argocd-initial-admin-secret`` Secret. Returns that generated password (or None).
    """
    labels = {PART_OF_LABEL: "argocd"}
    client.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        field_manager="kedge-server",
    )
    cm_res = client.resource_for("v1", "ConfigMap")
    sec_res = client.resource_for("v1", "Secret")
    assert cm_res is not None and sec_res is not None
    for name in ("argocd-cm", "argocd-rbac-cm"):
        if client.get(cm_res, namespace, name) is None:
            try:
                client.create(
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": name, "namespace": namespace, "labels": labels},
                    }
                )
            except KubeError as exc:
                if not exc.conflict:
                    raise
    secret = client.get(sec_res, namespace, "argocd-secret")
    data = dict((secret or {}).get("data") or {})
    patch: dict[str, str] = {}
    if not data.get("server.secretkey"):
        patch["server.secretkey"] = base64.b64encode(secrets.token_urlsafe(32).encode()).decode()
    password = None
    if not data.get("admin.password"):
        password = generate_password()
        patch["admin.password"] = base64.b64encode(hash_password(password).encode()).decode()
        patch["admin.passwordMtime"] = base64.b64encode(now_rfc3339().encode()).decode()
    if secret is None:
        client.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "metadata": {"name": "argocd-secret", "namespace": namespace, "labels": labels},
                "data": patch,
            }
        )
    elif patch:
        client.patch(sec_res, namespace, "argocd-secret", {"data": patch}, MERGE_PATCH)
    if password is not None:
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": INITIAL_ADMIN_SECRET, "namespace": namespace, "labels": labels},
            "data": {"password": base64.b64encode(password.encode()).decode()},
        }
        if client.get(sec_res, namespace, INITIAL_ADMIN_SECRET) is None:
            client.create(body)
        else:
            client.replace(body)
    return password


def build_backend(
    kubeconfig: str | None = None,
    namespace: str = "argocd",
    *,
    client: KubeClient | None = None,
    context: str | None = None,
    repo: Any = None,
    repo_cache_dir: str | Path | None = None,
    processors: int | None = None,
    resync: float | None = None,
    install_crds: bool = True,
    initialize: bool = True,
    insecure: bool = False,
) -> Backend:
    """Compose the API server's backend: a client of the management cluster, settings watched
    in ``namespace``, an in-process repo server and controller, authentication and RBAC.

    ``install_crds`` applies Kedge's argoproj.io CRDs (server-side apply, idempotent);
    ``initialize`` runs :func:`initialize_settings` (the generated admin password, if any, is
    in ``backend.extras["initial_password"]``). Call :meth:`Backend.start` before serving.
    """
    from kedge.controller.controller import AppController
    from kedge.server.settings_source import ClusterSettingsSource

    if client is None:
        client = KubeClient.connect(kubeconfig, context=context)
    if install_crds:
        from kedge.manifests import crds

        for crd in crds():
            client.apply(crd, field_manager="kedge-server")
        for _ in range(100):
            if client.resource_for(API_VERSION, "Application") and client.resource_for(
                API_VERSION, "AppProject"
            ):
                break
            threading.Event().wait(0.1)
    password = initialize_settings(client, namespace) if initialize else None
    manager = SettingsManager()
    source = ClusterSettingsSource(client, namespace, manager)
    source.refresh()  # the current settings now, so the controller and repo server start with them
    if repo is None:
        from kedge.repo.config import RepoServerConfig
        from kedge.repo.server import RepoServer

        overrides = {"cache_dir": Path(repo_cache_dir)} if repo_cache_dir else {}
        repo = RepoServer(RepoServerConfig.from_env(dict(manager.current.params), **overrides))
    controller = AppController(
        client, repo, manager, namespace=namespace, processors=processors, resync=resync
    )
    backend_ref: list[Backend] = []

    def project_tokens(project: str, role: str) -> list[dict[str, Any]]:
        return backend_ref[0].project_tokens(project, role) if backend_ref else []

    ephemeral = secrets.token_urlsafe(32)
    auth = LocalAuth(lambda: manager.current, TokenIssuer(ephemeral), LoginRateLimiter(), project_tokens)
    backend = Backend(
        client=client,
        namespace=namespace,
        settings=manager,
        controller=controller,
        repo=repo,
        auth=auth,
        authz=Authorizer(manager, controller.projects),
        source=source,
        insecure=insecure,
    )
    backend_ref.append(backend)
    if password:
        backend.extras["initial_password"] = password
    return backend
