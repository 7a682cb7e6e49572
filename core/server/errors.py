"""API errors, answered as Argo CD's gateway answers them: ``{"error", "code", "message"}``
with a gRPC status code and the matching HTTP status."""

from __future__ import annotations

#: gRPC status codes (the ``code`` field of an error body)
GRPC = {
    400: 3,  # InvalidArgument
    401: 16,  # Unauthenticated
    403: 7,  # PermissionDenied
    404: 5,  # NotFound
    409: 6,  # AlreadyExists / conflict
    412: 9,  # FailedPrecondition
    413: 8,  # ResourceExhausted
    415: 3,
    429: 8,
    500: 13,  # Internal
    501: 12,  # Unimplemented
    503: 14,  # Unavailable
}


class APIError(Exception):
    """An error answer: ``status`` (HTTP) and a message safe to show to the caller."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        return {"error": self.message, "code": GRPC.get(self.status, 2), "message": self.message}


def bad_request(message: str) -> APIError:
    return APIError(400, message)


def not_found(message: str) -> APIError:
    return APIError(404, message)


def conflict(message: str) -> APIError:
    return APIError(409, message)


def precondition(message: str) -> APIError:
    """Argo CD's FailedPrecondition (HTTP 400 from its gateway; 409 here would hide the reason)."""
    return APIError(400, message)
