"""bcrypt passwords, as Argo CD stores them in argocd-secret (``admin.password``)."""

from __future__ import annotations

import secrets
import string

import bcrypt

BCRYPT_COST = 10  # Argo CD's cost


def hash_password(password: str, cost: int = BCRYPT_COST) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=cost)).decode()


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant-time check; False for a missing or malformed hash."""
    if not hashed:
        # still spend the time of a check, so the answer does not reveal missing accounts
        bcrypt.checkpw(b"x", _DUMMY)
        return False
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


_DUMMY = bcrypt.hashpw(b"dummy", bcrypt.gensalt(rounds=BCRYPT_COST))


def generate_password(length: int = 16) -> str:
    """A random password (letters and digits), like argocd-initial-admin-secret's."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
