"""``/api/v1/session``: log in (username/password -> JWT), log out, who am I."""

from __future__ import annotations

import time
from typing import Any

from kedge.auth import AuthError
from kedge.server.backend import COOKIE
from kedge.server.errors import APIError
from kedge.server.http import APIRequest, JSONAnswer
from kedge.server.routes import route

TAG = "SessionService"


def _cookie(req: APIRequest, resp: JSONAnswer, token: str, max_age: int | None) -> None:
    resp.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=not req.backend.insecure and req.request.url.scheme == "https",
    )


@route(
    "POST",
    "/api/v1/session",
    summary="Log in: a session token for a username and password",
    tag=TAG,
    body="SessionCreateRequest",
    public=True,
    response="SessionResponse",
)
def create_session(req: APIRequest) -> Any:
    body = req.body
    b = req.backend
    if body.get("token") and not body.get("username"):
        try:
            claims = b.authenticate(body["token"])
        except AuthError as exc:
            raise APIError(401, f"invalid session: {exc}") from None
        token = body["token"]
        max_age = int(claims.expires_at - claims.issued_at) if claims.expires_at else None
    else:
        if not body.get("username") or not body.get("password"):
            raise APIError(400, "username and password are required")
        try:
            token, claims = b.auth.login(str(body["username"]), str(body["password"]))
        except AuthError as exc:
            headers = {"Retry-After": "60"} if exc.status == 429 else None
            raise APIError(exc.status, str(exc), headers) from None
        max_age = int(claims.expires_at - claims.issued_at) if claims.expires_at else None
    resp = JSONAnswer({"token": token})
    _cookie(req, resp, token, max_age)
    return resp


@route(
    "DELETE",
    "/api/v1/session",
    summary="Log out (revokes the session token)",
    tag=TAG,
    response="SessionResponse",
)
def delete_session(req: APIRequest) -> Any:
    p = req.principal
    if p is not None and p.claims is not None and p.claims.kind == "session":
        req.backend.auth.logout(p.claims)
    elif p is not None and p.claims is not None and p.claims.kind == "sso":
        oidc = req.backend.extras.get("oidc")
        if oidc is not None:
            now = time.time()
            oidc.revoked = {k: v for k, v in oidc.revoked.items() if v > now}
            oidc.revoked[p.claims.token_id] = float(p.claims.expires_at or now + 86400)
    resp = JSONAnswer({"token": ""})
    resp.delete_cookie(COOKIE, path="/")
    return resp


@route("GET", "/api/v1/session/userinfo", summary="Who the caller is", tag=TAG, response="UserInfo")
def userinfo(req: APIRequest) -> dict[str, Any]:
    p = req.principal
    if p is None or p.anonymous:
        return {"loggedIn": False}
    return {
        "loggedIn": True,
        "username": p.subject,
        "iss": _issuer(req, p),
        "groups": list(p.subjects[1:]),
    }


def _issuer(req: APIRequest, p: Any) -> str:
    if p.claims is not None and p.claims.kind == "sso":
        return str((req.backend.settings.current.oidc_config() or {}).get("issuer", ""))
    return str((p.claims.raw or {}).get("iss", "kedge")) if p.claims is not None else "kedge"
