"""Object-metadata validation with the API server's rules and messages (names, labels, annotations)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
#: resources whose names follow path-segment rules only (RBAC and a few others)
PATH_SEGMENT_NAMES = {
    "rbac.authorization.k8s.io/roles",
    "rbac.authorization.k8s.io/clusterroles",
    "rbac.authorization.k8s.io/rolebindings",
    "rbac.authorization.k8s.io/clusterrolebindings",
}

TOTAL_ANNOTATION_SIZE = 256 * 1024


class Cause(dict):
    """A StatusCause: ``{"reason": "FieldValueInvalid", "message": ..., "field": ...}``."""

    def __init__(self, field: str, message: str, reason: str = "FieldValueInvalid") -> None:
        super().__init__(reason=reason, message=message, field=field)


def dns1123_label_error(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _DNS1123_LABEL.match(value):
        return (
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
            "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
            "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        )
    return None


def dns1123_subdomain_error(value: str) -> str | None:
    if len(value) > 253:
        return "must be no more than 253 characters"
    if not _DNS1123_SUBDOMAIN.match(value):
        return (
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
            "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
            "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )
    return None


def path_segment_error(value: str) -> str | None:
    if value in (".", ".."):
        return f"may not be {value!r}"
    for bad in ("/", "%"):
        if bad in value:
            return f"may not contain {bad!r}"
    return None


def qualified_name_error(key: str) -> str | None:
    """Label/annotation key rules: optional DNS-subdomain prefix + '/' + name of <= 63 chars."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "prefix part must be non-empty"
    if prefix:
        err = dns1123_subdomain_error(prefix)
        if err:
            return "prefix part " + err
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _QUALIFIED_NAME.match(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        )
    return None


def label_value_error(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _LABEL_VALUE.match(value):
        return (
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
            "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
            "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        )
    return None


def name_error(storage_key: str, name: str, dns_label: bool) -> str | None:
    if storage_key in PATH_SEGMENT_NAMES:
        return path_segment_error(name)
    return dns1123_label_error(name) if dns_label else dns1123_subdomain_error(name)


# Label and annotation keys and label values repeat across objects and writes: remember the verdicts
# (only for strings short enough to be valid, so odd input cannot fill the caches with big keys).
_cached_key_error = lru_cache(maxsize=8192)(qualified_name_error)
_cached_label_error = lru_cache(maxsize=8192)(label_value_error)
_cached_namespace_error = lru_cache(maxsize=1024)(dns1123_label_error)


def _key_error(key: str) -> str | None:
    return _cached_key_error(key) if len(key) <= 317 else qualified_name_error(key)


def _label_error(value: str) -> str | None:
    return _cached_label_error(value) if len(value) <= 63 else label_value_error(value)


def _namespace_error(ns: str) -> str | None:
    return _cached_namespace_error(ns) if len(ns) <= 63 else dns1123_label_error(ns)


def validate_metadata(
    obj: dict[str, Any], storage_key: str, dns_label: bool, namespaced: bool
) -> list[Cause]:
    """Causes for everything wrong with ``obj["metadata"]`` (empty list when valid)."""
    causes: list[Cause] = []
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return [Cause("metadata", "Required value: metadata must be an object", "FieldValueRequired")]
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        causes.append(
            Cause("metadata.name", "Required value: name or generateName is required", "FieldValueRequired")
        )
    else:
        err = name_error(storage_key, name, dns_label)
        if err:
            causes.append(Cause("metadata.name", f'Invalid value: "{name}": {err}'))
    ns = meta.get("namespace")
    if namespaced and ns:
        err = _namespace_error(ns) if isinstance(ns, str) else "must be a string"
        if err:
            causes.append(Cause("metadata.namespace", f'Invalid value: "{ns}": {err}'))
    for fld in ("labels", "annotations"):
        m = meta.get(fld)
        if m is None:
            continue
        if not isinstance(m, dict):
            causes.append(
                Cause(f"metadata.{fld}", "Invalid value: must be a map of string keys to string values")
            )
            continue
        total = 0
        for k, v in m.items():
            err = _key_error(k) if isinstance(k, str) else qualified_name_error(k)
            if err:
                causes.append(Cause(f"metadata.{fld}", f'Invalid value: "{k}": {err}'))
            if fld == "labels":
                err = _label_error(v) if isinstance(v, str) else label_value_error(v)
                if err:
                    causes.append(Cause("metadata.labels", f'Invalid value: "{v}": {err}'))
            elif not isinstance(v, str):
                causes.append(Cause(f"metadata.annotations.{k}", "Invalid value: must be a string"))
            else:
                total += len(k) + len(v)
        if total > TOTAL_ANNOTATION_SIZE:
            causes.append(
                Cause(
                    "metadata.annotations",
                    f"Too long: must have at most {TOTAL_ANNOTATION_SIZE} bytes",
                    "FieldValueTooLong",
                )
            )
    fin = meta.get("finalizers")
    if fin is not None and (not isinstance(fin, list) or not all(isinstance(f, str) for f in fin)):
        causes.append(Cause("metadata.finalizers", "Invalid value: must be a list of strings"))
    refs = meta.get("ownerReferences")
    if refs is not None:
        if not isinstance(refs, list):
            causes.append(Cause("metadata.ownerReferences", "Invalid value: must be a list"))
        else:
            for i, ref in enumerate(refs):
                if not isinstance(ref, dict):
                    causes.append(Cause(f"metadata.ownerReferences[{i}]", "Invalid value: must be an object"))
                    continue
                for req in ("apiVersion", "kind", "name", "uid"):
                    if not ref.get(req):
                        causes.append(
                            Cause(
                                f"metadata.ownerReferences[{i}].{req}", "Required value", "FieldValueRequired"
                            )
                        )
    return causes
