"""JWTs for sessions and API tokens (HS256, signed with ``server.secretkey``).

Subjects follow Argo CD: a local user's session has ``sub: <account>``; an account's API token
``sub: <account>`` with a ``jti`` that must still be listed in the account's tokens; a project
role token ``sub: proj:<project>:<role>`` with an ``iat``/``jti`` listed in the role's
``jwtTokens``. Revoking a token means removing it from that list.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt

from kedge.auth.errors import AuthError

ISSUER = "kedge"
LEEWAY = 5.0  # seconds of clock skew tolerated


@dataclass(frozen=True)
class Claims:
    subject: str
    token_id: str
    issued_at: int
    expires_at: int | None
    kind: str  # "session" | "apiKey" | "project"
    groups: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def subjects(self) -> tuple[str, ...]:
        """RBAC subjects: the user, then its groups."""
        return (self.subject, *self.groups)


class TokenIssuer:
    def __init__(self, secret_key: str, issuer: str = ISSUER) -> None:
        if not secret_key or len(secret_key) < 16:
            raise ValueError("server.secretkey must be at least 16 characters")
        self._key = secret_key
        self.issuer = issuer

    def _issue(
        self,
        sub: str,
        kind: str,
        expires_in: float | None,
        groups=(),
        jti: str | None = None,
        now: float | None = None,
    ) -> tuple[str, Claims]:
        now_i = int(now if now is not None else time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "iat": now_i,
            "nbf": now_i,
            "jti": jti or str(uuid.uuid4()),
            "kind": kind,
        }
        if expires_in:
            payload["exp"] = now_i + int(expires_in)
        if groups:
            payload["groups"] = list(groups)
        token = jwt.encode(payload, self._key, algorithm="HS256")
        return token, self._claims(payload)

    def issue_session(self, account: str, duration: float, groups=()) -> tuple[str, Claims]:
        return self._issue(account, "session", duration, groups)

    def issue_api_token(
        self,
        subject: str,
        expires_in: float | None = None,
        token_id: str | None = None,
        project: bool = False,
    ) -> tuple[str, Claims]:
        return self._issue(subject, "project" if project else "apiKey", expires_in, jti=token_id)

    def verify(self, token: str) -> Claims:
        """Signature, issuer and expiry; raises :class:`AuthError` ("invalid token" reasons)."""
        try:
            payload = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["sub", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token is expired") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        return self._claims(payload)

    @staticmethod
    def _claims(payload: dict[str, Any]) -> Claims:
        return Claims(
            subject=str(payload["sub"]),
            token_id=str(payload["jti"]),
            issued_at=int(payload["iat"]),
            expires_at=int(payload["exp"]) if "exp" in payload else None,
            kind=str(payload.get("kind", "session")),
            groups=tuple(str(g) for g in payload.get("groups") or ()),
            raw=payload,
        )
