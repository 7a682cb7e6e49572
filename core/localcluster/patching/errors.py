"""The error every patch function raises: what the API server turns into a ``Status``."""

from __future__ import annotations

from typing import Any


class PatchError(Exception):
    """A patch or apply the API server refuses.

    ``code`` and ``reason`` are the HTTP status and the ``Status.reason`` (400 ``BadRequest``,
    409 ``Conflict``, 415 ``UnsupportedMediaType``, 422 ``Invalid``); ``message`` is the
    ``Status.message``; ``causes`` are ``Status.details.causes`` entries
    ``{"type", "message", "field"}`` (``type`` is what Kubernetes serialises as the cause's
    ``reason``, e.g. ``FieldManagerConflict``).
    """

    def __init__(
        self, code: int, reason: str, message: str, causes: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.causes: list[dict[str, Any]] = causes or []

    def __repr__(self) -> str:
        return f"PatchError({self.code}, {self.reason!r}, {self.message!r})"


def bad_request(message: str) -> PatchError:
    return PatchError(400, "BadRequest", message)
