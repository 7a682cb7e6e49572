"""The local cluster's patch machinery: JSON patch, JSON merge patch, strategic merge patch,
server-side apply and managedFields bookkeeping. Pure functions over JSON data; the API server
calls them and turns :class:`PatchError` into a Kubernetes ``Status``.

::

    from kedge.localcluster.patching import PatchError, apply_patch, server_side_apply, record_update
"""

from kedge.localcluster.patching.errors import PatchError
from kedge.localcluster.patching.patch import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_MERGE_PATCH,
    apply_patch,
)
from kedge.localcluster.patching.ssa import record_update, server_side_apply

__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MERGE_PATCH",
    "STRATEGIC_MERGE_PATCH",
    "PatchError",
    "apply_patch",
    "record_update",
    "server_side_apply",
]
