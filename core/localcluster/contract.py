"""The in-process interface between the local cluster's API machinery and its simulated
controllers (``kedge.localcluster.simulator``).

The API server's store implements :class:`ClusterStore`; the simulator only uses this
interface, so it behaves exactly like a controller talking to a real API server: every write
goes through the same validation, defaulting, resourceVersion, generation, managedFields and
watch machinery as an HTTP request would.

Resources are addressed by a *resource key*: ``"<group>/<version>/<plural>"`` with an empty
group for the core API, e.g. ``"/v1/pods"``, ``"apps/v1/deployments"``, ``"batch/v1/jobs"``.
Cluster-scoped resources take ``namespace=None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

#: (event type "ADDED" | "MODIFIED" | "DELETED", resource key, object after the change;
#: for DELETED the last state)
WatchCallback = Callable[[str, str, dict[str, Any]], None]


class StoreError(Exception):
    """A write was refused; ``code``/``reason`` are the Kubernetes Status code and reason."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        #: the Status ``details`` (name, group, kind, causes) when known
        self.details = details


class ConflictError(StoreError):
    """409 Conflict: stale resourceVersion on update (re-read and retry)."""

    def __init__(self, message: str) -> None:
        super().__init__(409, "Conflict", message)


class NotFoundError(StoreError):
    def __init__(self, message: str) -> None:
        super().__init__(404, "NotFound", message)


class AlreadyExistsError(StoreError):
    def __init__(self, message: str) -> None:
        super().__init__(409, "AlreadyExists", message)


class InvalidError(StoreError):
    """422 Invalid: the object fails validation; ``details["causes"]`` lists the fields."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(422, "Invalid", message, details)


class BadRequestError(StoreError):
    def __init__(self, message: str) -> None:
        super().__init__(400, "BadRequest", message)


class GoneError(StoreError):
    """410 Expired: a watch or list asked for a resourceVersion older than the server keeps."""

    def __init__(self, message: str) -> None:
        super().__init__(410, "Expired", message)


class ClusterStore(Protocol):
    """What the simulator (and in-process callers such as ``kedge up``) may call.

    All returned objects are fresh copies the caller may mutate. Writes are synchronous and
    durable when they return. Callbacks registered with :meth:`subscribe` are called after the
    write is committed, on a thread of the store's choosing, and must not block for long.
    """

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None: ...

    def list(
        self, resource: str, namespace: str | None = None, label_selector: str | None = None
    ) -> list[dict[str, Any]]: ...

    def create(
        self, resource: str, obj: dict[str, Any], manager: str = "kube-controller-manager"
    ) -> dict[str, Any]:
        """Create (``metadata.generateName`` honoured); raises AlreadyExistsError."""
        ...

    def update(
        self,
        resource: str,
        obj: dict[str, Any],
        subresource: str = "",
        manager: str = "kube-controller-manager",
    ) -> dict[str, Any]:
        """Replace the object (``subresource="status"`` writes only ``status``), with optimistic
        concurrency on ``metadata.resourceVersion`` (ConflictError when stale, NotFoundError)."""
        ...

    def delete(
        self, resource: str, namespace: str | None, name: str, propagation: str = "Background"
    ) -> None:
        """Delete as the API server would (finalizers, deletionTimestamp, garbage collection)."""
        ...

    def subscribe(self, callback: WatchCallback) -> Callable[[], None]:
        """Receive every committed change of every resource; returns an unsubscribe function."""
        ...

    def resource_for(self, api_version: str, kind: str) -> str | None:
        """The resource key for an apiVersion/kind (``"apps/v1", "Deployment"`` ->
        ``"apps/v1/deployments"``), or None when the kind is not served."""
        ...
