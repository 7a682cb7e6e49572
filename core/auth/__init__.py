"""Authentication: local accounts (argocd-cm ``accounts.*``, bcrypt passwords in argocd-secret),
JWT sessions and API tokens, failed-login rate limiting. OIDC login lives in ``kedge.auth.oidc``
(with the API server)."""

from kedge.auth.errors import AuthError
from kedge.auth.local import LocalAuth
from kedge.auth.passwords import generate_password, hash_password, verify_password
from kedge.auth.ratelimit import LoginRateLimiter
from kedge.auth.tokens import Claims, TokenIssuer

__all__ = [
    "AuthError",
    "Claims",
    "LocalAuth",
    "LoginRateLimiter",
    "TokenIssuer",
    "generate_password",
    "hash_password",
    "verify_password",
]
