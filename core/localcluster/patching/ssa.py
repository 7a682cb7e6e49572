"""Server-side apply and field ownership (``metadata.managedFields``), with the semantics of
Kubernetes' structured-merge-diff:

* every entry is one manager's set of owned fields, keyed by manager, operation (``Apply`` or
  ``Update``), subresource and, for ``Update``, apiVersion;
* an apply owns exactly the fields of its configuration; a field another manager owns with a
  different value is a conflict (409) unless forced, when ownership moves to the applier; two
  managers applying the same value share the field;
* fields a manager applied before and no longer applies are removed from the object when no
  other manager owns them;
* an update (create, replace, non-apply patch) gives its manager the fields it added or
  changed and takes them from every other manager; removed fields leave every set.

``apiVersion``, ``kind`` and identity metadata (name, namespace, uid, resourceVersion, ...) are
never owned. On a kind with a ``status`` subresource the main resource does not own ``status``
and the ``status`` subresource owns only ``status``.
"""

from __future__ import annotations

import json
from typing import Any

from kedge.localcluster.patching import fieldsets as fs
from kedge.localcluster.patching.errors import PatchError, bad_request
from kedge.localcluster.patching.typed import (
    TypedError,
    clean_copy,
    compare,
    fast_copy,
    merge_into,
    raise_typed,
    remove_paths,
    to_field_set,
)
from kedge.localcluster.typeinfo import TypeNode, empty_object, has_status_subresource, root_type

#: Paths no manager ever owns (the API server strips them from every field set).
_STRIPPED = (
    ("f:apiVersion",),
    ("f:kind",),
    ("f:metadata",),
    ("f:metadata", "f:name"),
    ("f:metadata", "f:namespace"),
    ("f:metadata", "f:creationTimestamp"),
    ("f:metadata", "f:selfLink"),
    ("f:metadata", "f:uid"),
    ("f:metadata", "f:clusterName"),
    ("f:metadata", "f:generation"),
    ("f:metadata", "f:managedFields"),
    ("f:metadata", "f:resourceVersion"),
)
_META_STRIP_PE = frozenset(p[1] for p in _STRIPPED if len(p) == 2)

#: Manager recorded for the fields of an object that had no managedFields when first applied.
BEFORE_FIRST_APPLY = "before-first-apply"


class _Entry:
    __slots__ = (
        "manager",
        "operation",
        "api_version",
        "time",
        "subresource",
        "fields",
        "raw",
        "dirty",
        "sorted_fields",
    )

    def __init__(
        self,
        manager: str,
        operation: str,
        api_version: str,
        time: str | None,
        subresource: str,
        fields: fs.FieldSet,
        raw: dict[str, Any] | None = None,
        sorted_fields: bool = False,
    ) -> None:
        self.manager = manager
        self.operation = operation
        self.api_version = api_version
        self.time = time
        self.subresource = subresource
        self.fields = fields
        self.raw = raw
        self.dirty = raw is None
        self.sorted_fields = sorted_fields

    def key(self) -> tuple[str, str, str, str]:
        av = "" if self.operation == "Apply" else self.api_version
        return (self.manager, self.operation, av, self.subresource)

    def set_fields(self, fields: fs.FieldSet) -> None:
        if fields is not self.fields:
            self.fields = fields
            self.dirty = True
            self.sorted_fields = False

    def encode(self) -> dict[str, Any]:
        if not self.dirty and self.raw is not None:
            return self.raw
        out: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
        }
        if self.time:
            out["time"] = self.time
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = self.fields if self.sorted_fields else fs.sort(self.fields)
        if self.subresource:
            out["subresource"] = self.subresource
        return out

    def describe(self) -> str:
        text = json.dumps(self.manager)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


def _decode(managed: Any) -> list[_Entry]:
    if not managed:
        return []
    if not isinstance(managed, list):
        raise PatchError(
            422,
            "Invalid",
            "metadata.managedFields: Invalid value: must be a list of ManagedFieldsEntry",
            [{"type": "FieldValueInvalid", "message": "must be a list", "field": "metadata.managedFields"}],
        )
    out = []
    for i, raw in enumerate(managed):
        if not isinstance(raw, dict):
            raise _bad_entry(i, "must be an object")
        fields = raw.get("fieldsV1") or {}
        if not isinstance(fields, dict):
            raise _bad_entry(i, "fieldsV1 must be an object")
        if raw.get("fieldsType", "FieldsV1") != "FieldsV1":
            raise _bad_entry(i, f'fieldsType: Unsupported value: "{raw.get("fieldsType")}"')
        op = raw.get("operation") or ""
        if op not in ("Apply", "Update"):
            raise _bad_entry(i, f'operation: Unsupported value: "{op}": supported values: "Apply", "Update"')
        out.append(
            _Entry(
                str(raw.get("manager") or ""),
                op,
                str(raw.get("apiVersion") or ""),
                raw.get("time"),
                str(raw.get("subresource") or ""),
                fields,
                raw,
            )
        )
    return out


def _bad_entry(i: int, message: str) -> PatchError:
    field = f"metadata.managedFields[{i}]"
    return PatchError(
        422,
        "Invalid",
        f"{field}: Invalid value: {message}",
        [{"type": "FieldValueInvalid", "message": message, "field": field}],
    )


#: At most this many ``Update`` entries are kept; older ones merge into ``ancient-changes``.
MAX_UPDATE_MANAGERS = 10
ANCIENT_CHANGES = "ancient-changes"


def _cap_update_managers(entries: list[_Entry]) -> list[_Entry]:
    """Bound the number of Update entries as the API server does: the oldest are merged, per
    apiVersion, into one ``ancient-changes`` entry carrying the newest merged time."""
    updaters = [e for e in entries if e.operation != "Apply" and e.fields]
    if len(updaters) <= MAX_UPDATE_MANAGERS:
        return entries
    updaters.sort(key=lambda e: (e.time or "", e.manager))
    dropped: set[int] = set()
    buckets: dict[str, _Entry] = {}
    first_seen: dict[str, _Entry] = {}
    length = len(updaters)
    for e in updaters:
        if length <= MAX_UPDATE_MANAGERS:
            break
        first = first_seen.get(e.api_version)
        if first is None:
            first_seen[e.api_version] = e
            continue
        bucket = buckets.get(e.api_version)
        if bucket is None:
            existing = next(
                (x for x in entries if x.key() == (ANCIENT_CHANGES, "Update", e.api_version, "")), None
            )
            if existing is None:
                bucket = _Entry(ANCIENT_CHANGES, "Update", e.api_version, first.time, "", first.fields)
                entries = [*entries, bucket]
                dropped.add(id(first))
            else:
                bucket = existing
            buckets[e.api_version] = bucket
        if e is bucket:
            continue
        bucket.set_fields(fs.union(bucket.fields, e.fields))
        bucket.time = e.time
        bucket.dirty = True
        dropped.add(id(e))
        length -= 1
    return [e for e in entries if id(e) not in dropped]


def _encode(entries: list[_Entry]) -> list[dict[str, Any]]:
    entries = _cap_update_managers(entries)
    live = [e for e in entries if e.fields]
    live.sort(key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource))
    return [e.encode() for e in live]


def _group_version(gvk: tuple[str, str, str]) -> str:
    return f"{gvk[0]}/{gvk[1]}" if gvk[0] else gvk[1]


def _owned_scope(fields: fs.FieldSet, subresource: str, status_sub: bool) -> fs.FieldSet:
    """Drop never-owned paths, and the part of the object the (sub)resource does not own."""
    if "f:apiVersion" in fields or "f:kind" in fields or "f:metadata" in fields:
        fields = {k: v for k, v in fields.items() if k != "f:apiVersion" and k != "f:kind"}
        meta = fields.get("f:metadata")
        if meta is not None:
            kept = {k: v for k, v in meta.items() if k != "." and k not in _META_STRIP_PE}
            if kept:
                fields["f:metadata"] = kept
            else:
                del fields["f:metadata"]
    if status_sub:
        if subresource == "status":
            fields = fs.only_field(fields, "status")
        elif not subresource:
            fields = fs.without_field(fields, "status")
    return fields


def _without_managed(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = dict(obj)
        obj["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return obj


def _restrict_config(applied: dict[str, Any], subresource: str, status_sub: bool) -> dict[str, Any]:
    if not status_sub:
        return applied
    if subresource == "status":
        out = {k: v for k, v in applied.items() if k in ("apiVersion", "kind", "status")}
        meta = applied.get("metadata")
        if isinstance(meta, dict):
            out["metadata"] = {k: v for k, v in meta.items() if k in ("name", "namespace")}
        return out
    if not subresource and "status" in applied:
        return {k: v for k, v in applied.items() if k != "status"}
    return applied


def _status_sub(
    gvk: tuple[str, str, str], schema: dict[str, Any] | None, status_subresource: bool | None
) -> bool:
    if status_subresource is not None:
        return status_subresource
    return schema is None and has_status_subresource(gvk)


def _conflict_error(conflicts: list[tuple[_Entry, fs.FieldSet]]) -> PatchError:
    rows: list[tuple[str, str]] = []
    for entry, cset in sorted(conflicts, key=lambda c: c[0].describe()):
        who = entry.describe()
        for path in sorted(fs.members(cset)):
            rows.append((who, fs.path_string(path)))
    causes = [
        {"type": "FieldManagerConflict", "message": f"conflict with {who}", "field": path}
        for who, path in rows
    ]
    if len(rows) == 1:
        message = f"Apply failed with 1 conflict: conflict with {rows[0][0]}: {rows[0][1]}"
    else:
        parts: list[str] = []
        by_manager: dict[str, list[str]] = {}
        for who, path in rows:
            by_manager.setdefault(who, []).append(path)
        for who, paths in by_manager.items():
            if len(paths) == 1:
                parts.append(f"conflict with {who}: {paths[0]}")
            else:
                parts.append(f"conflicts with {who}:" + "".join(f"\n- {p}" for p in paths))
        message = f"Apply failed with {len(rows)} conflicts: " + "\n".join(parts)
    return PatchError(409, "Conflict", message, causes)


def _before_first_apply(
    live: dict[str, Any], t: TypeNode, api_version: str, now: str, status_sub: bool
) -> _Entry:
    c = compare(empty_object(t), live, t)
    fields = _owned_scope(c.changed(), "", status_sub)
    return _Entry(BEFORE_FIRST_APPLY, "Update", api_version, now, "", fields)


def server_side_apply(
    live: dict[str, Any] | None,
    applied: dict[str, Any],
    manager: str,
    force: bool,
    gvk: tuple[str, str, str],
    now: str,
    schema: dict[str, Any] | None = None,
    subresource: str = "",
    status_subresource: bool | None = None,
) -> dict[str, Any]:
    """Apply configuration ``applied`` as ``manager`` to ``live`` (None: create).

    Returns the new object (fresh containers) with ``metadata.managedFields`` updated; the
    caller sets resourceVersion, defaults and validates. Raises PatchError 409 ``Conflict``
    listing each conflicting manager and field unless ``force``; 400 for a configuration that
    does not fit the kind's schema or carries ``metadata.managedFields``. ``now`` is the
    RFC 3339 time recorded on the entry. ``status_subresource`` says whether the kind serves
    ``status`` as a subresource (default: known for built-ins, False for custom resources).
    """
    if not isinstance(applied, dict):
        raise bad_request("the apply configuration must be an object")
    meta = applied.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise bad_request("metadata must be an object")
    if meta and meta.get("managedFields"):
        raise bad_request("metadata.managedFields must be nil")
    if not manager:
        raise bad_request("PATCH, application/apply-patch+yaml requires fieldManager to be set")
    t = root_type(gvk, schema)
    status_sub = _status_sub(gvk, schema, status_subresource)
    api_version = str(applied.get("apiVersion") or _group_version(gvk))
    if meta is not None and "managedFields" in meta:
        applied = {**applied, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    config = _restrict_config(applied, subresource, status_sub)

    if live is None:
        try:
            new_set = _owned_scope(to_field_set(config, t), subresource, status_sub)
        except TypedError as err:
            raise_typed(err, gvk, "patch")
        own = _Entry(manager, "Apply", api_version, now, subresource, new_set, sorted_fields=True)
        merged = clean_copy(config)
        meta_out = merged.setdefault("metadata", {})
        if own.fields:
            meta_out["managedFields"] = [own.encode()]
        return merged
    else:
        merged = fast_copy(live)
        meta_live = merged.get("metadata")
        managed_live = meta_live.pop("managedFields", None) if isinstance(meta_live, dict) else None
        entries = _decode(managed_live)
        if not entries:
            first = _before_first_apply(merged, t, api_version, now, status_sub)
            if first.fields:
                entries = [first]

    added: fs.FieldSet = {}
    modified: fs.FieldSet = {}
    try:
        new_set = _owned_scope(merge_into(merged, config, t, added, modified), subresource, status_sub)
    except TypedError as err:
        raise_typed(err, gvk, "patch")

    key = (manager, "Apply", "", subresource)
    own: _Entry | None = None
    others: list[_Entry] = []
    for e in entries:
        if own is None and e.key() == key:
            own = e
        else:
            others.append(e)

    removed: fs.FieldSet = {}
    if own is not None and own.fields and own.fields != new_set:
        stale = fs.difference(own.fields, new_set)
        if stale:
            for e in others:
                stale = fs.difference(stale, e.fields)
                if not stale:
                    break
            if stale:
                removed = remove_paths(merged, stale, t)

    changed = fs.union(added, modified)
    if changed:
        conflicts = []
        for e in others:
            hit = fs.intersection(e.fields, changed)
            if hit:
                conflicts.append((e, hit))
        if conflicts:
            if not force:
                raise _conflict_error(conflicts)
            for e, hit in conflicts:
                e.set_fields(fs.difference(e.fields, hit))
    if removed:
        for e in others:
            e.set_fields(fs.difference(e.fields, removed))

    object_changed = bool(changed or removed)
    if own is None:
        own = _Entry(manager, "Apply", api_version, now, subresource, new_set, sorted_fields=True)
    else:
        if own.api_version != api_version:
            own.api_version = api_version
            own.dirty = True
        if object_changed or not own.time:
            own.time = now
            own.dirty = True
        if new_set != own.fields:
            own.set_fields(new_set)
            own.sorted_fields = True
    others.append(own)

    meta_out = merged.get("metadata")
    if not isinstance(meta_out, dict):
        meta_out = {}
        merged["metadata"] = meta_out
    managed = _encode(others)
    if managed:
        meta_out["managedFields"] = managed
    else:
        meta_out.pop("managedFields", None)
    return merged


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    operation: str,
    gvk: tuple[str, str, str],
    now: str,
    subresource: str = "",
    schema: dict[str, Any] | None = None,
    status_subresource: bool | None = None,
) -> dict[str, Any]:
    """Record a create/update/non-apply patch by ``manager`` in ``new``'s managedFields.

    ``old`` is the stored object (None for a create), ``new`` the object about to be stored
    (after defaulting). The entry is written with operation ``Update`` whatever the request
    verb (``operation`` is accepted for the caller's bookkeeping; the real API server records
    every non-apply write as ``Update``). ``new.metadata.managedFields``, when the client sent a
    non-empty list, replaces the stored ownership (``[{}]`` clears it, as in Kubernetes).
    Returns a copy of ``new`` (top level and metadata copied, the rest shared).
    """
    del operation
    if not isinstance(new, dict):
        raise bad_request("the object must be a JSON object")
    t = root_type(gvk, schema)
    status_sub = _status_sub(gvk, schema, status_subresource)
    api_version = str(new.get("apiVersion") or _group_version(gvk))
    new_meta = new.get("metadata") if isinstance(new.get("metadata"), dict) else {}
    sent = new_meta.get("managedFields")
    out = dict(new)
    out_meta = {k: v for k, v in new_meta.items() if k != "managedFields"}
    out["metadata"] = out_meta
    if isinstance(sent, list) and sent:
        if sent == [{}]:
            return out  # reset: ownership cleared, this write not tracked
        entries = _decode(sent)
    elif old is not None:
        entries = _decode((old.get("metadata") or {}).get("managedFields"))
    else:
        entries = []

    old_obj = _without_managed(old) if old is not None else empty_object(t)
    c = compare(old_obj, out, t)
    changed = _owned_scope(fs.union(c.added, c.modified), subresource, status_sub)
    removed = c.removed
    if changed or removed:
        for e in entries:
            f = e.fields
            if changed:
                f = fs.difference(f, changed)
            if removed:
                f = fs.difference(f, removed)
            e.set_fields(f)
    if changed:
        key = (manager, "Update", api_version, subresource)
        mine = next((e for e in entries if e.key() == key), None)
        if mine is None:
            entries.append(_Entry(manager, "Update", api_version, now, subresource, changed))
        else:
            mine.set_fields(fs.union(mine.fields, changed))
            mine.time = now
            mine.dirty = True
    managed = _encode(entries)
    if managed:
        out_meta["managedFields"] = managed
    return out
