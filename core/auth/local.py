"""Local accounts: ``accounts.<name>: login,apiKey`` in argocd-cm, passwords in argocd-secret."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from kedge.auth.errors import AuthError
from kedge.auth.passwords import verify_password
from kedge.auth.ratelimit import LoginRateLimiter
from kedge.auth.tokens import Claims, TokenIssuer

DEFAULT_SESSION_DURATION = 24 * 3600.0
INVALID_LOGIN = "Invalid username or password"


class LocalAuth:
    """Log local users in and check their tokens against the current settings.

    ``settings`` is a callable returning the current :class:`kedge.settings.Settings` (so a
    hot reload of argocd-cm or argocd-secret takes effect at once: a disabled account or a
    revoked token fails on the next request). ``project_tokens(project, role)`` returns the
    role's ``jwtTokens`` list from its AppProject.
    """

    def __init__(
        self,
        settings: Callable[[], Any],
        issuer: TokenIssuer,
        limiter: LoginRateLimiter | None = None,
        project_tokens: Callable[[str, str], list[dict[str, Any]] | None] | None = None,
    ) -> None:
        self._settings = settings
        self.issuer = issuer
        self.limiter = limiter or LoginRateLimiter()
        self._project_tokens = project_tokens or (lambda project, role: None)
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def session_duration(self) -> float:
        from kedge.settings.durations import parse_go_duration

        raw = self._settings().get("users.session.duration")
        try:
            return parse_go_duration(raw) if raw else DEFAULT_SESSION_DURATION
        except ValueError:
            return DEFAULT_SESSION_DURATION

    def login(self, username: str, password: str) -> tuple[str, Claims]:
        wait = self.limiter.retry_after(username)
        if wait > 0:
            raise AuthError(f"Too many failed login attempts; retry in {int(wait) + 1} seconds", status=429)
        account = self._settings().accounts().get(username)
        ok = (
            account is not None
            and account.enabled
            and "login" in account.capabilities
            and verify_password(password, account.password_hash)
        )
        if account is None or not (account.enabled and "login" in account.capabilities):
            verify_password(password, None)  # same cost either way
        if not ok:
            self.limiter.failed(username)
            raise AuthError(INVALID_LOGIN)
        self.limiter.succeeded(username)
        return self.issuer.issue_session(username, self.session_duration())

    def logout(self, claims: Claims) -> None:
        with self._lock:
            now = time.time()
            self._revoked = {k: v for k, v in self._revoked.items() if v > now}
            self._revoked[claims.token_id] = float(claims.expires_at or now + DEFAULT_SESSION_DURATION)

    def authenticate(self, token: str) -> Claims:
        """Verify a bearer token: signature, expiry, and that its account or project role still
        allows it. Raises :class:`AuthError`."""
        claims = self.issuer.verify(token)
        if claims.token_id in self._revoked:
            raise AuthError("token is revoked")
        if claims.kind == "project":
            _, project, role = (claims.subject.split(":", 2) + ["", ""])[:3]
            listed = self._project_tokens(project, role) or []
            if not any(
                str(t.get("id") or t.get("iat")) in (claims.token_id, str(claims.issued_at)) for t in listed
            ):
                raise AuthError("token is revoked")
            return claims
        account = self._settings().accounts().get(claims.subject)
        if account is None or not account.enabled:
            raise AuthError("account is disabled or does not exist")
        if claims.kind == "apiKey":
            if "apiKey" not in account.capabilities:
                raise AuthError(f"account {claims.subject} does not have the apiKey capability")
            try:
                listed = json.loads(account.tokens or "[]")
            except ValueError:
                listed = []
            if not any(t.get("id") == claims.token_id for t in listed if isinstance(t, dict)):
                raise AuthError("token is revoked")
        elif claims.kind == "session":
            mtime = account.password_mtime
            if mtime and _parse_time(mtime) > claims.issued_at + 1:
                raise AuthError("password changed since this session started; log in again")
        return claims


def _parse_time(value: str) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
