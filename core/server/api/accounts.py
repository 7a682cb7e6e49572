"""``/api/v1/account``: local accounts, can-i, password changes, API tokens."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import unquote

from kedge.auth import hash_password, verify_password
from kedge.rbac.policy import ACTIONS, RESOURCES
from kedge.server.authz import now_rfc3339
from kedge.server.errors import APIError
from kedge.server.http import APIRequest
from kedge.server.routes import route

TAG = "AccountService"
DEFAULT_PASSWORD_PATTERN = "^.{8,32}$"


def _tokens(account: Any) -> list[dict[str, Any]]:
    try:
        listed = json.loads(account.tokens or "[]")
    except ValueError:
        return []
    return [t for t in listed if isinstance(t, dict)] if isinstance(listed, list) else []


def _public(account: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": account.name,
        "enabled": account.enabled,
        "capabilities": list(account.capabilities),
    }
    toks = [
        {
            k2: t[k1]
            for k1, k2 in (("id", "id"), ("iat", "issuedAt"), ("exp", "expiresAt"))
            if t.get(k1) is not None
        }
        for t in _tokens(account)
    ]
    if toks:
        out["tokens"] = toks
    return out


def _account(req: APIRequest, name: str) -> Any:
    account = req.backend.settings.current.accounts().get(name)
    if account is None:
        raise APIError(404, f"account '{name}' does not exist")
    return account


def _ensure_access(req: APIRequest, name: str, action: str = "update") -> None:
    """Argo CD: a user may manage its own account; others need ``accounts, <action>, <name>``."""
    if req.principal is None or req.principal.subject != name or req.principal.subject.startswith("proj:"):
        req.backend.authz.check(req.principal, "accounts", action, name)


@route("GET", "/api/v1/account", summary="List accounts", tag=TAG, response="AccountsList")
def list_accounts(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    items = [
        _public(a)
        for n, a in sorted(b.settings.current.accounts().items())
        if b.authz.allowed(req.principal, "accounts", "get", n)
    ]
    return {"items": items}


@route("GET", "/api/v1/account/{name}", summary="Get an account", tag=TAG, response="Account")
def get_account(req: APIRequest) -> dict[str, Any]:
    name = req.path["name"]
    _ensure_access(req, name, "get")
    return _public(_account(req, name))


@route(
    "GET",
    "/api/v1/account/can-i/{resource}/{action}/{subresource}",
    summary="May the caller do ACTION on RESOURCE SUBRESOURCE? ({value: yes|no})",
    tag=TAG,
    path_types={"subresource": "path"},
    response="CanIResponse",
)
def can_i(req: APIRequest) -> dict[str, Any]:
    res, act, obj = req.path["resource"], req.path["action"], req.path["subresource"]
    raw = (req.request.scope.get("raw_path") or b"").decode("latin-1")
    if "/can-i/" in raw:
        # an action such as update/apps/Deployment/ns/name comes URL-encoded (%2F): split the
        # undecoded path so its slashes stay in the action
        parts = raw.split("/can-i/", 1)[1].split("?", 1)[0].split("/", 2)
        if len(parts) == 3:
            res, act, obj = (unquote(p) for p in parts)
    if res not in RESOURCES:
        raise APIError(400, f"unknown resource {res!r} (known: {', '.join(RESOURCES)})")
    if act.split("/", 1)[0] not in ACTIONS:
        raise APIError(400, f"unknown action {act!r} (known: {', '.join(ACTIONS)})")
    return {"value": "yes" if req.backend.authz.allowed(req.principal, res, act, obj) else "no"}


def _password_key(name: str) -> tuple[str, str]:
    if name == "admin":
        return "admin.password", "admin.passwordMtime"
    return f"accounts.{name}.password", f"accounts.{name}.passwordMtime"


@route(
    "PUT",
    "/api/v1/account/password",
    summary="Change a password (your own, or NAME's with accounts update)",
    tag=TAG,
    body="UpdatePasswordRequest",
    response="Empty",
)
def update_password(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    p = req.principal
    if p is None or p.anonymous or p.subject.startswith("proj:") or getattr(p.claims, "kind", "") == "sso":
        raise APIError(403, "only local users can change passwords")
    body = req.body
    name = body.get("name") or p.subject
    _ensure_access(req, name, "update")
    target = _account(req, name)
    if "login" not in target.capabilities:
        raise APIError(400, f"account '{name}' does not have the login capability")
    caller = b.settings.current.accounts().get(p.subject)
    wait = b.auth.limiter.retry_after(p.subject)
    if wait > 0:
        raise APIError(429, f"Too many failed attempts; retry in {int(wait) + 1} seconds")
    if caller is None or not verify_password(str(body["currentPassword"]), caller.password_hash):
        b.auth.limiter.failed(p.subject)
        raise APIError(401, "current password does not match")
    pattern = b.settings.current.get("passwordPattern") or DEFAULT_PASSWORD_PATTERN
    try:
        ok = re.search(pattern, str(body["newPassword"])) is not None
    except re.error:
        ok = re.search(DEFAULT_PASSWORD_PATTERN, str(body["newPassword"])) is not None
    if not ok:
        raise APIError(400, f"new password does not match the password pattern {pattern}")
    pkey, mkey = _password_key(name)
    b.patch_secret("argocd-secret", {pkey: hash_password(str(body["newPassword"])), mkey: now_rfc3339()})
    return {}


@route(
    "POST",
    "/api/v1/account/{name}/token",
    summary="Generate an API token for an account (apiKey capability)",
    tag=TAG,
    body="CreateTokenRequest",
    body_required=False,
    response="CreateTokenResponse",
)
def create_token(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    name = req.path["name"]
    _ensure_access(req, name, "update")
    account = _account(req, name)
    if "apiKey" not in account.capabilities:
        raise APIError(400, f"account '{name}' does not have apiKey capability")
    body = req.body or {}
    try:
        expires_in = int(body.get("expiresIn") or 0)
    except (TypeError, ValueError):
        raise APIError(400, "expiresIn: expected a number of seconds") from None
    if expires_in < 0:
        raise APIError(400, "expiresIn: must not be negative")
    token_id = str(body.get("id") or uuid.uuid4())
    existing = _tokens(account)
    if any(t.get("id") == token_id for t in existing):
        raise APIError(400, f"account already has token with id '{token_id}'")
    token, claims = b.auth.issuer.issue_api_token(name, expires_in or None, token_id=token_id)
    entry: dict[str, Any] = {"id": token_id, "iat": claims.issued_at}
    if claims.expires_at:
        entry["exp"] = claims.expires_at
    b.patch_secret("argocd-secret", {f"accounts.{name}.tokens": json.dumps(existing + [entry])})
    return {"token": token}


@route(
    "DELETE",
    "/api/v1/account/{name}/token/{id}",
    summary="Revoke an account's API token",
    tag=TAG,
    response="Empty",
)
def delete_token(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    name, tid = req.path["name"], req.path["id"]
    _ensure_access(req, name, "update")
    account = _account(req, name)
    existing = _tokens(account)
    kept = [t for t in existing if t.get("id") != tid]
    if len(kept) == len(existing):
        raise APIError(404, f"account '{name}' has no token with id '{tid}'")
    b.patch_secret("argocd-secret", {f"accounts.{name}.tokens": json.dumps(kept)})
    return {}
