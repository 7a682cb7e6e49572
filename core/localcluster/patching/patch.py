"""``apply_patch``: the three PATCH media types other than apply."""

from __future__ import annotations

import json
from typing import Any

import jsonpatch
import jsonpointer

from kedge.localcluster.patching.errors import PatchError, bad_request
from kedge.localcluster.patching.strategic import strategic_merge
from kedge.localcluster.patching.typed import fast_copy
from kedge.localcluster.typeinfo import is_builtin, root_type

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

#: Kubernetes refuses JSON patches with more operations than this.
MAX_JSON_PATCH_OPERATIONS = 10000


def _media_type(content_type: str) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _unsupported(custom: bool) -> PatchError:
    types = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] + ([] if custom else [STRATEGIC_MERGE_PATCH])
    return PatchError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(types),
    )


def _parse(body: bytes | str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise bad_request(f"error decoding patch: {err}") from err


def _rejected(detail: str) -> PatchError:
    return PatchError(
        422, "Invalid", f"the server rejected our request due to an error in our request: {detail}"
    )


def apply_patch(
    live: dict[str, Any],
    body: bytes,
    content_type: str,
    gvk: tuple[str, str, str],
    schema: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Apply a PATCH body to ``live`` and return the new object (``live`` is not modified).

    ``content_type`` is the request's Content-Type: JSON patch (RFC 6902, ``test`` included),
    JSON merge patch (RFC 7386) or strategic merge patch (built-in kinds only: 415 for custom
    resources, i.e. when ``schema`` is given or the group is not built in). Malformed bodies
    raise PatchError 400; patches that do not apply (a failed ``test``, a missing path, a
    missing merge key) raise 422. resourceVersion and managedFields are left to the caller.
    """
    media = _media_type(content_type)
    custom = schema is not None or not is_builtin(gvk)
    if media == JSON_PATCH:
        result = _json_patch(live, body)
    elif media == MERGE_PATCH:
        patch = _parse(body)
        result = merge_patch(fast_copy(live), patch) if isinstance(patch, dict) else patch
    elif media == STRATEGIC_MERGE_PATCH:
        if custom:
            raise _unsupported(True)
        patch = _parse(body)
        result = strategic_merge(fast_copy(live), patch, root_type(gvk, None))
    else:
        raise _unsupported(custom)
    if not isinstance(result, dict):
        raise _rejected("the patched document is not a JSON object")
    return result


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch, in place on ``target`` where it is an object."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            target[key] = merge_patch(target.get(key), value)
        else:
            target[key] = value
    return target


def _json_patch(live: dict[str, Any], body: bytes) -> Any:
    ops = _parse(body)
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise PatchError(
            422,
            "Invalid",
            f"The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}",
        )
    for i, op in enumerate(ops):
        if (
            not isinstance(op, dict)
            or not isinstance(op.get("op"), str)
            or not isinstance(op.get("path"), str)
        ):
            raise bad_request(
                f"invalid JSON patch: operation {i} must be an object with string 'op' and 'path'"
            )
        if op["op"] not in ("add", "remove", "replace", "move", "copy", "test"):
            raise bad_request(f"invalid JSON patch: operation {i}: unexpected kind of operation {op['op']!r}")
        if op["op"] in ("add", "replace", "test") and "value" not in op:
            raise bad_request(
                f"invalid JSON patch: operation {i} ({op['op']} {op['path']}) is missing 'value'"
            )
        if op["op"] in ("move", "copy") and not isinstance(op.get("from"), str):
            raise bad_request(
                f"invalid JSON patch: operation {i} ({op['op']} {op['path']}) is missing 'from'"
            )
    doc = fast_copy(live)
    try:
        return jsonpatch.JsonPatch(ops).apply(doc, in_place=True)
    except jsonpatch.JsonPatchTestFailed as err:
        raise _rejected(f"testing value failed: {err}") from err
    except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException) as err:
        raise _rejected(str(err)) from err
    except jsonpatch.InvalidJsonPatch as err:
        raise bad_request(f"invalid JSON patch: {err}") from err
    except (TypeError, KeyError, IndexError, ValueError) as err:
        raise _rejected(f"the patch does not apply: {err}") from err
