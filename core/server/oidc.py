"""SSO with an OpenID Connect provider (``oidc.config`` in argocd-cm), authorization code flow
with PKCE (S256), as Argo CD's ``/auth/login`` and ``/auth/callback``.

``oidc.config`` keys used: ``issuer``, ``clientID``, ``clientSecret`` (a ``$key`` reference into
argocd-secret is resolved by the settings), ``requestedScopes`` (default
``[openid, profile, email, groups]``), ``allowedAudiences`` (default ``[clientID]``). The
redirect URL registered at the provider must be ``<url>/auth/callback`` (``url`` in argocd-cm;
without it, the URL the browser used).

After the callback the user gets a Kedge session token (cookie ``argocd.token``) whose subject
is the ID token's ``sub`` and whose groups are the values of the claims named in
argocd-rbac-cm ``scopes`` (default ``[groups]``), so ``g, <group>, role:...`` lines apply.
Every call to the provider has a timeout; pending logins expire after 10 minutes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from starlette.responses import RedirectResponse

from kedge.server.backend import COOKIE
from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.routes import Param, route

TIMEOUT = 10.0
PENDING_TTL = 600.0
MAX_PENDING = 1000
DEFAULT_SCOPES = ["openid", "profile", "email", "groups"]


class OIDCState:
    """Pending logins (state -> PKCE verifier, nonce, return URL) and provider metadata caches."""

    def __init__(self) -> None:
        self._pending: OrderedDict[str, tuple[str, str, str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._discovery: dict[str, tuple[dict[str, Any], float]] = {}
        self._jwks: dict[str, jwt.PyJWKClient] = {}
        self.revoked: dict[str, float] = {}

    def remember(self, state: str, verifier: str, nonce: str, return_url: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._pending[state] = (verifier, nonce, return_url, now)
            while len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)

    def take(self, state: str) -> tuple[str, str, str] | None:
        with self._lock:
            entry = self._pending.pop(state, None)
        if entry is None or time.monotonic() - entry[3] > PENDING_TTL:
            return None
        return entry[0], entry[1], entry[2]

    def discovery(self, issuer: str) -> dict[str, Any]:
        cached = self._discovery.get(issuer)
        if cached is not None and time.monotonic() - cached[1] < 300:
            return cached[0]
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            r = httpx.get(url, timeout=TIMEOUT)
            r.raise_for_status()
            doc = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise APIError(503, f"the OIDC provider {issuer} is unreachable or invalid: {exc}") from None
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(doc.get(key), str):
                raise APIError(503, f"the OIDC provider {issuer} has no {key} in its discovery document")
        self._discovery[issuer] = (doc, time.monotonic())
        return doc

    def jwks(self, uri: str) -> jwt.PyJWKClient:
        client = self._jwks.get(uri)
        if client is None:
            client = self._jwks[uri] = jwt.PyJWKClient(uri, timeout=TIMEOUT)
        return client


def _state(req: APIRequest) -> OIDCState:
    st = req.backend.extras.get("oidc")
    if st is None:
        st = req.backend.extras["oidc"] = OIDCState()
    return st


def _config(req: APIRequest) -> dict[str, Any]:
    cfg = req.backend.settings.current.oidc_config()
    if not cfg or not cfg.get("issuer") or not cfg.get("clientID"):
        raise APIError(400, "SSO is not configured: set oidc.config (issuer, clientID) in argocd-cm")
    return cfg


def _redirect_uri(req: APIRequest) -> str:
    base = req.backend.settings.current.url or str(req.request.base_url)
    return base.rstrip("/") + "/auth/callback"


def _safe_return(url: str) -> str:
    """Only paths of this server (no open redirects)."""
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return "/"


@route(
    "GET",
    "/auth/login",
    summary="Start an SSO login (redirects to the OIDC provider)",
    tag="SSO",
    public=True,
    content_type="text/html",
    query=(Param("return_url", description="Where to go after the login (a path of this server)"),),
)
def sso_login(req: APIRequest) -> RedirectResponse:
    cfg = _config(req)
    meta = _state(req).discovery(cfg["issuer"])
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    _state(req).remember(state, verifier, nonce, _safe_return(req.q("return_url") or "/"))
    scopes = cfg.get("requestedScopes") or DEFAULT_SCOPES
    if "openid" not in scopes:
        scopes = ["openid", *scopes]
    query = {
        "response_type": "code",
        "client_id": cfg["clientID"],
        "redirect_uri": _redirect_uri(req),
        "scope": " ".join(scopes),
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    sep = "&" if "?" in meta["authorization_endpoint"] else "?"
    return RedirectResponse(meta["authorization_endpoint"] + sep + urlencode(query), status_code=303)


def _claim_values(claims: dict[str, Any], scopes: list[str]) -> list[str]:
    out: list[str] = []
    for scope in scopes:
        value = claims.get(scope)
        if isinstance(value, str) and value:
            out.append(value)
        elif isinstance(value, list):
            out += [str(v) for v in value if isinstance(v, str | int) and str(v)]
    return out


@route(
    "GET",
    "/auth/callback",
    summary="The OIDC provider's redirect back: exchanges the code, sets the session cookie",
    tag="SSO",
    public=True,
    content_type="text/html",
    query=(Param("code"), Param("state"), Param("error"), Param("error_description")),
)
def sso_callback(req: APIRequest) -> RedirectResponse:
    if req.q("error"):
        raise APIError(
            401, f"the OIDC provider refused the login: {req.q('error')} {req.q('error_description')}".strip()
        )
    cfg = _config(req)
    pending = _state(req).take(req.q("state"))
    if pending is None or not req.q("code"):
        raise APIError(400, "unknown or expired login state; start again at /auth/login")
    verifier, nonce, return_url = pending
    meta = _state(req).discovery(cfg["issuer"])
    form = {
        "grant_type": "authorization_code",
        "code": req.q("code"),
        "redirect_uri": _redirect_uri(req),
        "client_id": cfg["clientID"],
        "code_verifier": verifier,
    }
    auth = (cfg["clientID"], str(cfg["clientSecret"])) if cfg.get("clientSecret") else None
    try:
        r = httpx.post(meta["token_endpoint"], data=form, auth=auth, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise APIError(503, f"the OIDC provider's token endpoint is unreachable: {exc}") from None
    if r.status_code != 200:
        raise APIError(401, f"the OIDC provider refused the code exchange ({r.status_code})")
    try:
        id_token = r.json()["id_token"]
        key = _state(req).jwks(meta["jwks_uri"]).get_signing_key_from_jwt(id_token)
        claims = jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"],
            audience=cfg.get("allowedAudiences") or cfg["clientID"],
            issuer=cfg["issuer"],
            leeway=30,
            options={"require": ["sub", "exp", "iat"]},
        )
    except (ValueError, KeyError, jwt.PyJWTError) as exc:
        raise APIError(401, f"invalid ID token from the OIDC provider: {exc}") from None
    if claims.get("nonce") != nonce:
        raise APIError(401, "invalid ID token from the OIDC provider: nonce mismatch")
    b = req.backend
    scopes = b.settings.current.rbac().scopes
    groups = _claim_values(claims, scopes)
    duration = b.auth.session_duration()
    token, issued = b.auth.issuer._issue(str(claims["sub"]), "sso", duration, groups)  # noqa: SLF001
    resp = RedirectResponse(return_url, status_code=303)
    resp.set_cookie(
        COOKIE,
        token,
        max_age=int(duration),
        path="/",
        httponly=True,
        samesite="lax",
        secure=req.request.url.scheme == "https",
    )
    return resp
