"""Turn one Application source into Kubernetes objects: the repo server's entry point.

``render(request)`` does what Argo CD's repo server does between "the files are checked out"
and "here are the manifests":

1. merges ``.argocd-source.yaml`` and ``.argocd-source-<app>.yaml`` from the source directory
   into the source spec (a JSON merge patch, tool options only);
2. picks the tool (:mod:`kedge.repo.detect`);
3. builds the build environment (``ARGOCD_APP_NAME``, ``KUBE_VERSION``...) that renderers
   substitute into tool options (:func:`envsubst`);
4. calls the renderer provider (``kedge.plugins.provider("renderers", tool)``);
5. post-processes: drops empty documents, flattens ``*List`` kinds, checks every object has
   ``apiVersion``, ``kind`` and ``metadata.name``.

Every failure is a :class:`kedge.errors.RenderError` whose message names the repository,
revision, path and tool, then the file (relative to the repository root) and line where known.

Helpers for renderer authors live here too: :func:`envsubst`, :func:`parse_yaml_stream`,
:func:`setting_bytes`.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from kedge.errors import KedgeError, RenderError
from kedge.repo.paths import relative_to_root, safe_join
from kedge.repo.types import RenderRequest

log = logging.getLogger(__name__)

__all__ = [
    "render",
    "cache_key",
    "prepare",
    "merge_source_overrides",
    "build_env",
    "envsubst",
    "parse_yaml_stream",
    "post_process",
    "setting_bytes",
    "redact",
]

#: Source fields an override file may not change (Argo CD keeps them from the Application).
_PINNED_FIELDS = ("repoURL", "path", "targetRevision", "chart", "ref", "name")
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024


# --------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------
def render(request: RenderRequest) -> list[dict[str, Any]]:
    """Render ``request`` with the right tool; see the module docstring.

    Raises :class:`RenderError` (never anything else for bad input).
    """
    prepared, tool = prepare(request)
    from kedge import plugins

    try:
        provider = plugins.provider("renderers", tool)
    except KedgeError as exc:
        raise _error(prepared, tool, str(exc)) from None
    try:
        objs = provider.render(prepared)
        return post_process(objs, label=_label(prepared))
    except RenderError as exc:
        raise _error(prepared, tool, str(exc)) from None
    except KedgeError as exc:
        raise _error(prepared, tool, str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a renderer bug must not become a traceback
        log.exception("renderer %s failed unexpectedly", tool)
        raise _error(prepared, tool, f"internal error in renderer: {type(exc).__name__}: {exc}") from None


def prepare(request: RenderRequest) -> tuple[RenderRequest, str]:
    """The request with overrides merged and the build environment filled in, and the tool name."""
    from kedge.repo.detect import detect_tool
    from kedge.repo.paths import is_within

    if not is_within(request.root, request.path):
        raise _error(request, "", "the source path resolves outside the repository")
    try:
        source = merge_source_overrides(request.source, request.root, request.path, request.app_name)
    except RenderError as exc:
        raise _error(request, "", str(exc)) from None
    prepared = replace(request, source=source)
    prepared = replace(prepared, env=build_env(prepared))
    try:
        tool = detect_tool(prepared)
    except RenderError as exc:
        raise _error(prepared, "", str(exc)) from None
    return prepared, tool


def cache_key(request: RenderRequest) -> str:
    """Key material for a render beyond (repo, commit): tool, merged source, env, tool version.

    The repository URL and resolved revision are NOT part of it (the manifest cache adds them).
    """
    prepared, tool = prepare(request)
    extra = ""
    try:
        from kedge import plugins

        extra = plugins.provider("renderers", tool).cache_key(prepared) or ""
    except Exception:  # noqa: BLE001 - a key is still valid without the provider's extra part
        extra = ""
    material = {
        "tool": tool,
        "source": prepared.source,
        "env": prepared.env,
        "kube": [prepared.kube_version, sorted(prepared.api_versions)],
        "ns": prepared.dest_namespace,
        "app": prepared.app_name,
        "refs": sorted(str(k) for k in prepared.refs),
        "settings": {k: v for k, v in sorted(prepared.settings.items()) if _setting_matters(k)},
        "extra": extra,
    }
    return json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)


def _setting_matters(key: str) -> bool:
    return key.startswith(("helm.", "kustomize.", "jsonnet.", "kedge.render", "kedge.helm", "kedge.kubectl"))


# --------------------------------------------------------------------------------------------
# .argocd-source overrides
# --------------------------------------------------------------------------------------------
def merge_source_overrides(
    source: dict[str, Any], root: Path, path: Path, app_name: str = ""
) -> dict[str, Any]:
    """``source`` with ``.argocd-source.yaml`` then ``.argocd-source-<app_name>.yaml`` merged in.

    Each file is a JSON merge patch (RFC 7386) on the source spec; ``repoURL``, ``path``,
    ``targetRevision``, ``chart``, ``ref`` and ``name`` are never changed by them.
    For apps in any namespace, ``app_name`` may be ``<namespace>_<name>``.
    """
    names = [".argocd-source.yaml"]
    if app_name:
        names.append(f".argocd-source-{app_name}.yaml")
    merged: dict[str, Any] | None = None
    for name in names:
        file = Path(path) / name
        if not file.is_file() and not file.is_symlink():
            continue
        safe_join(root, relative_to_root(root, file))  # refuses a symlinked override leaving the repo
        rel = relative_to_root(root, file)
        try:
            patch = yaml.load(file.read_text(encoding="utf-8"), Loader=KubeLoader)
        except yaml.YAMLError as exc:
            raise RenderError(f"{rel}:{_yaml_line(exc)}: invalid YAML: {_yaml_problem(exc)}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RenderError(f"{rel}: cannot read: {exc}") from None
        if patch is None:
            continue
        if not isinstance(patch, dict):
            raise RenderError(f"{rel}: expected a mapping of source fields, got {type(patch).__name__}")
        if merged is None:
            merged = copy.deepcopy(source)
        merged = _merge_patch(merged, patch)
    if merged is None:
        return source
    for key in _PINNED_FIELDS:
        if key in source:
            merged[key] = source[key]
        else:
            merged.pop(key, None)
    return merged


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out


# --------------------------------------------------------------------------------------------
# build environment
# --------------------------------------------------------------------------------------------
def build_env(request: RenderRequest) -> dict[str, str]:
    """Argo CD's build environment for ``request`` (values already in ``request.env`` win)."""
    rev = request.revision or ""
    kube = (request.kube_version or "").replace("+", "")
    env = {
        "ARGOCD_APP_NAME": request.app_name,
        "ARGOCD_APP_NAMESPACE": request.dest_namespace,
        "ARGOCD_APP_REVISION": rev,
        "ARGOCD_APP_REVISION_SHORT": rev[:7],
        "ARGOCD_APP_SOURCE_REPO_URL": request.repo_url,
        "ARGOCD_APP_SOURCE_PATH": str(request.source.get("path") or ""),
        "ARGOCD_APP_SOURCE_TARGET_REVISION": str(request.source.get("targetRevision") or ""),
        "KUBE_VERSION": kube,
        "KUBE_API_VERSIONS": ",".join(request.api_versions),
    }
    env.update({k: str(v) for k, v in request.env.items()})
    return env


_SPECIAL = set("*#$@!?-0123456789")


def envsubst(text: str, env: dict[str, str]) -> str:
    """Expand ``$VAR`` and ``${VAR}`` from ``env`` exactly like Argo CD (Go's ``os.Expand``).

    Unknown variables expand to ``""``; ``$$`` is a literal ``$``; ``${`` without ``}`` is
    dropped; a ``$`` not followed by a name is kept.
    """
    if "$" not in text:
        return text
    out: list[str] = []
    i = 0
    n = len(text)
    start = 0
    while i < n:
        if text[i] == "$" and i + 1 < n:
            out.append(text[start:i])
            name, width = _shell_name(text, i + 1)
            if name == "" and width > 0:
                pass  # invalid syntax: eat it
            elif name == "":
                out.append("$")
            else:
                out.append("$" if name == "$" else env.get(name, ""))
            i += width + 1
            start = i
            continue
        i += 1
    out.append(text[start:])
    return "".join(out)


def _shell_name(s: str, j: int) -> tuple[str, int]:
    if s[j] == "{":
        if len(s) - j > 2 and s[j + 1] in _SPECIAL and s[j + 2] == "}":
            return s[j + 1], 3
        k = j + 1
        while k < len(s):
            if s[k] == "}":
                if k == j + 1:
                    return "", 2
                return s[j + 1 : k], k - j + 1
            k += 1
        return "", 1
    if s[j] in _SPECIAL:
        return s[j], 1
    k = j
    while k < len(s) and (s[k] == "_" or s[k].isalnum() and s[k].isascii()):
        k += 1
    return s[j:k], k - j


# --------------------------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------------------------
_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KubeLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """PyYAML's safe loader with Kubernetes' conventions: timestamps stay strings, keys are strings."""


KubeLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: Any, node: Any) -> dict[str, Any]:
    loader.flatten_mapping(node)
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = _key_text(key)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


def _key_text(key: Any) -> str:
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    return str(key)


KubeLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
KubeLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
KubeLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))

_DOC_START = re.compile(r"^---[ \t]*(?:#.*)?$|^---[ \t]+", re.MULTILINE)


def parse_yaml_stream(text: str, label: str, *, first_line: int = 1) -> list[tuple[Any, int]]:
    """Parse a multi-document YAML (or JSON) text into ``[(document, start_line)]``.

    Empty documents are dropped. ``label`` names the file in errors, which read
    ``<label>:<line>: <problem>`` with the line counted in the whole file.
    """
    docs: list[tuple[Any, int]] = []
    chunks = _split_documents(text)
    for chunk, offset in chunks:
        if not chunk.strip():
            continue
        try:
            doc = yaml.load(chunk, Loader=KubeLoader)
        except yaml.YAMLError as exc:
            line = _yaml_line(exc)
            line = first_line + offset + line - 1 if line else first_line + offset
            raise RenderError(f"{label}:{line}: invalid YAML: {_yaml_problem(exc)}") from None
        if doc is None:
            continue
        docs.append((doc, first_line + offset + _leading_blank_lines(chunk)))
    return docs


def _split_documents(text: str) -> list[tuple[str, int]]:
    """Split on ``---`` lines; returns ``[(chunk, 0-based line offset of the chunk)]``."""
    if "---" not in text:
        return [(text, 0)]
    chunks: list[tuple[str, int]] = []
    pos = 0
    line = 0
    for m in _DOC_START.finditer(text):
        if m.start() > 0 and text[m.start() - 1] != "\n":
            continue
        chunks.append((text[pos : m.start()], line))
        line += text.count("\n", pos, m.start())
        # keep the rest of the '---' line (e.g. '--- |' or '--- {a: 1}') in the next document
        pos = m.start() + 3
    chunks.append((text[pos:], line))
    return chunks


def _leading_blank_lines(chunk: str) -> int:
    n = 0
    pos = 0
    while True:
        end = chunk.find("\n", pos)
        line = chunk[pos:] if end < 0 else chunk[pos:end]
        s = line.strip()
        if s and not s.startswith("#"):
            return n
        if end < 0:
            return n
        n += 1
        pos = end + 1


def _yaml_line(exc: yaml.YAMLError) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return (mark.line + 1) if mark is not None else 0


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem:
        return f"{context}, {problem}" if context else str(problem)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# --------------------------------------------------------------------------------------------
# post-processing
# --------------------------------------------------------------------------------------------
def post_process(objs: list[Any], label: str = "") -> list[dict[str, Any]]:
    """Drop empty documents, flatten ``List`` kinds, and check every object's identity fields.

    Objects may carry a ``(obj, "file:line")`` origin: renderers may return plain dicts, or
    ``Manifest``-like tuples ``(dict, origin)``; the origin is used in errors and removed.
    """
    out: list[dict[str, Any]] = []
    for item in objs:
        origin = label
        if isinstance(item, tuple) and len(item) == 2:
            item, origin = item
        if item is None or item == {}:
            continue
        if not isinstance(item, dict):
            raise RenderError(
                f"{origin}: expected a Kubernetes object (a mapping), got {type(item).__name__}"
            )
        kind = item.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and "items" in item and "spec" not in item:
            items = item.get("items") or []
            if not isinstance(items, list):
                raise RenderError(f"{origin}: {kind}.items must be a list")
            out.extend(post_process([(i, origin) for i in items], label))
            continue
        _check_identity(item, origin)
        out.append(item)
    return out


def _check_identity(obj: dict[str, Any], origin: str) -> None:
    missing = []
    if not isinstance(obj.get("apiVersion"), str) or not obj.get("apiVersion"):
        missing.append("apiVersion")
    if not isinstance(obj.get("kind"), str) or not obj.get("kind"):
        missing.append("kind")
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not (meta.get("name") or meta.get("generateName")):
        missing.append("metadata.name")
    if missing:
        what = obj.get("kind") or "object"
        raise RenderError(f"{origin}: {what} is missing {', '.join(missing)}")


# --------------------------------------------------------------------------------------------
# errors and settings
# --------------------------------------------------------------------------------------------
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s:]+(?::[^/@\s]*)?@")


def redact(text: str) -> str:
    """Remove credentials embedded in URLs (``https://user:token@host`` -> ``https://***@host``)."""
    return _USERINFO.sub(r"\g<scheme>***@", text)


def _label(request: RenderRequest) -> str:
    return relative_to_root(request.root, request.path)


def _error(request: RenderRequest, tool: str, message: str) -> RenderError:
    where = relative_to_root(request.root, request.path)
    parts = [f"repo {request.repo_url or '(local)'}"]
    if request.revision:
        parts.append(f"revision {request.revision}")
    parts.append(f"path {where}")
    if tool:
        parts.append(f"tool {tool}")
    return RenderError(redact(f"rendering failed ({', '.join(parts)}): {message}"))


_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?|[kmgt]i?|)B?\s*$")
_FACTORS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}


def setting_bytes(settings: dict[str, str], key: str, default: int) -> int:
    """A byte size setting such as ``10Mi``, ``512k`` or ``1048576``; ``default`` when unset."""
    raw = settings.get(key) if settings else None
    if raw is None or str(raw).strip() == "":
        return default
    m = _QUANTITY.match(str(raw))
    if not m:
        raise RenderError(f"setting {key}={raw!r} is not a size (e.g. 10Mi, 512k, 1048576)")
    number, unit = float(m.group(1)), m.group(2)
    if unit.endswith("i"):
        factor = 1024 ** ("kmgt".index(unit[0].lower()) + 1)
    else:
        factor = _FACTORS[unit.lower()]
    return int(number * factor)


def setting_bool(settings: dict[str, str], key: str, default: bool) -> bool:
    raw = settings.get(key) if settings else None
    if raw is None or str(raw).strip() == "":
        return default
    return str(raw).strip().lower() not in ("false", "0", "no", "off")


def exec_timeout(request: RenderRequest) -> float:
    """Timeout for external commands: ``ARGOCD_EXEC_TIMEOUT`` (Go duration) or ``request.timeout``."""
    raw = os.environ.get("ARGOCD_EXEC_TIMEOUT")
    if raw:
        try:
            from kedge.settings.durations import parse_go_duration

            return max(parse_go_duration(raw), 0.1)
        except Exception:  # noqa: BLE001 - fall back to a plain number of seconds
            try:
                return max(float(raw), 0.1)
            except ValueError:
                log.warning("ignoring invalid ARGOCD_EXEC_TIMEOUT=%r", raw)
    return request.timeout or 90.0
