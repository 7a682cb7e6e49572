from __future__ import annotations

from kedge.errors import KedgeError


class AuthError(KedgeError):
    """Authentication failed. ``str(err)`` is safe to show to the caller (it never says whether
    the user exists); ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status
