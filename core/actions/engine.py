"""Resource actions: discover which actions apply to an object and compute an action's result.

Where actions come from (Argo CD's order):

1. argocd-cm ``resource.customizations.actions.<group_Kind>`` (``discovery.lua`` plus
   ``definitions``); unless it sets ``mergeBuiltinActions: true`` it replaces everything below;
2. resource-action plugins (``kedge_resource_actions`` hook, third-party plugins);
3. Kedge's Lua library: ``lua/actions/<group>/<Kind>/actions/discovery.lua`` and
   ``<name>/action.lua`` (core kinds: ``lua/actions/<Kind>/actions/``).

Earlier sources win when two offer the same action name. Applying the result to a cluster is the
caller's job (API server); here the engine only computes it.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lupa.luajit21 import lua_type

from kedge import plugins
from kedge.errors import KedgeError
from kedge.health.assess import group_kind
from kedge.lua import (
    ConversionError,
    LuaScriptError,
    describe_resource,
    lua_to_python,
    lua_type_name,
    runtime,
)
from kedge.lua.overrides import ACTIONS_PREFIX, ResourceOverrides, coerce, override_key

PATCH = "patch"
CREATE = "create"


class ActionError(KedgeError):
    """An action cannot be found or its result is unusable (message names action and resource)."""


@dataclass(frozen=True)
class ActionScripts:
    """Where a kind's actions live: a discovery script and a lookup for action scripts."""

    discovery: str
    discovery_key: str
    actions: dict[str, tuple[str, str]]  # name -> (source, key)
    exclusive: bool = False  # settings override without mergeBuiltinActions
    origin: str = "library"  # "settings" or "library"


# -- the library ------------------------------------------------------------------------------
def library_actions_dir(key: str) -> Any:
    return importlib.resources.files("kedge.lualib").joinpath("actions", *key.split("/"), "actions")


def _read(path: Any) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except OSError:
        return None


@functools.lru_cache(maxsize=1024)
def library_scripts(key: str) -> ActionScripts | None:
    """The built-in Lua library's actions for a kind (read once; the library does not change)."""
    d = library_actions_dir(key)
    discovery = _read(d.joinpath("discovery.lua"))
    if discovery is None:
        return None
    actions = {}
    try:
        entries = list(d.iterdir())
    except OSError:
        entries = []
    for entry in entries:
        src = _read(entry.joinpath("action.lua")) if entry.is_dir() else None
        if src is not None:
            actions[entry.name] = (src, f"lua/actions/{key}/actions/{entry.name}/action.lua")
    return ActionScripts(discovery, f"lua/actions/{key}/actions/discovery.lua", actions)


def directory_scripts(path: Any, label: str) -> ActionScripts | None:
    """Action scripts from an ``actions/`` directory on disk (for ``kedge lua test``)."""
    discovery = _read(path.joinpath("discovery.lua"))
    actions = {}
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        src = _read(entry.joinpath("action.lua")) if entry.is_dir() else None
        if src is not None:
            actions[entry.name] = (src, f"{label}/{entry.name}/action.lua")
    if discovery is None and not actions:
        return None
    return ActionScripts(discovery or "", f"{label}/discovery.lua", actions)


# -- sources ----------------------------------------------------------------------------------
def _override_scripts(key: str, overrides: ResourceOverrides) -> ActionScripts | None:
    ov = overrides.get(key)
    if ov is None or ov.actions is None:
        return None
    a = ov.actions
    source = a.source or ACTIONS_PREFIX + key.replace("/", "_")
    defs = {d.name: (d.action_lua, f"{source} action {d.name!r}") for d in a.definitions}
    return ActionScripts(
        a.discovery_lua,
        f"{source} discovery.lua",
        defs,
        exclusive=not a.merge_builtin_actions,
        origin="settings",
    )


def _plugin_provider(group: str, kind: str) -> _PluginSource | None:
    reg = plugins.registry()
    name = f"{group}/{kind}"
    table = reg.providers("resource_actions")
    provider = table.get(name)
    if provider is None:
        return None
    owner = reg.owner("resource_actions", name) or ""
    info = reg.plugins.get(owner)
    if info is not None and info.origin == "builtin":
        return None
    return _PluginSource(provider, owner)


# -- running scripts --------------------------------------------------------------------------
def _normalize_action(name: str, value: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "disabled": False}
    if isinstance(value, dict):
        if isinstance(value.get("disabled"), bool):
            entry["disabled"] = value["disabled"]
        for field in ("iconClass", "displayName"):
            if isinstance(value.get(field), str) and value[field]:
                entry[field] = value[field]
        params = value.get("params")
        if isinstance(params, list) and params:
            entry["params"] = [p for p in params if isinstance(p, dict)]
    return entry


def run_discovery_script(
    source: str, obj: dict, key: str, open_libs: bool = True
) -> dict[str, dict[str, Any]]:
    """Run a discovery.lua; returns action name -> ``{name, disabled, iconClass?, displayName?, params?}``."""
    resource = describe_resource(obj)
    res = runtime().call(source, obj, script_key=key, resource=resource, open_libs=open_libs)
    if lua_type(res) != "table":
        raise LuaScriptError(key, resource, f"expect table output from Lua script, not {lua_type_name(res)}")
    try:
        data = lua_to_python(res)
    except ConversionError as exc:
        raise LuaScriptError(key, resource, str(exc)) from None
    if isinstance(data, list):
        if data:
            raise LuaScriptError(
                key, resource, "discovery must return a table keyed by action name, not a list"
            )
        data = {}
    return {name: _normalize_action(name, value) for name, value in data.items()}


def run_action_script(
    source: str, obj: dict, key: str, params: Mapping[str, str] | None = None, open_libs: bool = True
) -> list[dict[str, Any]]:
    """Run an action.lua; returns ``[{"operation": "patch"|"create", "resource": obj}, ...]``."""
    resource = describe_resource(obj)
    lua_params = {str(k): str(v) for k, v in (params or {}).items()}
    res = runtime().call(
        source, obj, script_key=key, resource=resource, params=lua_params, open_libs=open_libs
    )
    if lua_type(res) != "table":
        raise LuaScriptError(key, resource, f"expect table output from Lua script, not {lua_type_name(res)}")
    # new style: a list of {operation, resource}; old style: the patched object
    try:
        if res[1] is not None:
            return _new_style(res, obj, key, resource)
        new_obj = lua_to_python(res, obj)
    except ConversionError as exc:
        raise LuaScriptError(key, resource, f"Lua output was not a valid object or list: {exc}") from None
    if not isinstance(new_obj, dict) or not new_obj:
        raise LuaScriptError(key, resource, "Lua output was not a valid json object or array")
    return [{"operation": PATCH, "resource": new_obj}]


def _new_style(res: Any, obj: dict, key: str, resource: str) -> list[dict[str, Any]]:
    keys = list(res.keys())
    if any(not isinstance(k, int) or isinstance(k, bool) for k in keys) or sorted(keys) != list(
        range(1, len(keys) + 1)
    ):
        raise ConversionError("a table mixes array and map keys")
    out = []
    for i in range(1, len(keys) + 1):
        entry = res[i]
        if lua_type(entry) != "table":
            raise LuaScriptError(key, resource, f"result[{i}] must be a table with operation and resource")
        op = entry["operation"]
        # a patched object keeps the shape of the source object (empty maps vs lists, ints)
        item = {"operation": op, "resource": lua_to_python(entry["resource"], obj if op == PATCH else None)}
        out.append(_impacted(i - 1, item, obj, key, resource))
    return out


def _impacted(i: int, item: Any, source_obj: dict, key: str, resource: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise LuaScriptError(key, resource, f"result[{i + 1}] must be a table with operation and resource")
    op = item.get("operation")
    res = item.get("resource")
    if op not in (PATCH, CREATE):
        raise LuaScriptError(
            key, resource, f'result[{i + 1}].operation must be "patch" or "create", got {op!r}'
        )
    if not isinstance(res, dict) or not res:
        raise LuaScriptError(key, resource, f"result[{i + 1}].resource must be a Kubernetes object")
    if op == PATCH:
        same = (
            res.get("kind") == source_obj.get("kind")
            and (res.get("metadata") or {}).get("name") == (source_obj.get("metadata") or {}).get("name")
            and (res.get("metadata") or {}).get("namespace")
            == (source_obj.get("metadata") or {}).get("namespace")
        )
        if not same:
            raise LuaScriptError(
                key, resource, f"result[{i + 1}]: patch is only supported for the source resource"
            )
    return {"operation": op, "resource": res}


# -- public API -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _PluginSource:
    provider: Any
    owner: str


def _sources(obj: dict, overrides: ResourceOverrides) -> tuple[list[Any], ActionScripts | None]:
    """Action sources, highest precedence first (settings, plugin, library), and the library's
    scripts on their own (Argo CD runs a built-in script by name even when settings replace
    the built-in discovery)."""
    group, kind = group_kind(obj)
    key = override_key(group, kind)
    lib = library_scripts(key)
    settings = _override_scripts(key, overrides)
    if settings is not None and settings.exclusive:
        return [settings], lib
    plugin = _plugin_provider(group, kind)
    sources = [s for s in (settings, plugin, lib) if s is not None]
    return sources, lib


def discover(
    obj: dict, overrides: ResourceOverrides | Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The actions available for ``obj``, sorted by name.

    Each is ``{"name", "disabled", "iconClass"?, "displayName"?, "params"?}`` (Argo CD's
    ``ResourceAction``). Raises :class:`~kedge.lua.LuaScriptError` if a discovery script fails.
    """
    sources, _ = _sources(obj, coerce(overrides))
    found: dict[str, dict[str, Any]] = {}
    for src in reversed(sources):  # lowest precedence first, so later updates win
        if isinstance(src, ActionScripts):
            if src.discovery:
                found.update(
                    run_discovery_script(src.discovery, obj, src.discovery_key, src.origin == "library")
                )
            continue
        try:
            entries = src.provider.discover(obj) or {}
        except Exception as exc:  # noqa: BLE001 - a broken plugin gives a clear error
            raise ActionError(
                f"resource action plugin {src.owner} failed to discover actions for {describe_resource(obj)}: {exc}"
            ) from None
        for name, value in entries.items():
            found[name] = _normalize_action(name, value)
    return [found[n] for n in sorted(found)]


def run(
    obj: dict,
    action: str,
    params: Mapping[str, str] | None = None,
    overrides: ResourceOverrides | Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Compute ``action`` on ``obj``: ``[{"operation": "patch"|"create", "resource": {...}}]``.

    The action is looked up in the settings override's ``definitions``, then in plugins, then in
    the Lua library (as Argo CD falls back to its built-in scripts). ``params`` become the
    script's ``actionParams`` (names to string values).
    """
    sources, lib = _sources(obj, coerce(overrides))
    if lib is not None and lib not in sources:
        sources.append(lib)
    for src in sources:
        if isinstance(src, ActionScripts):
            if action in src.actions:
                script, script_key = src.actions[action]
                return run_action_script(script, obj, script_key, params, src.origin == "library")
            continue
        try:
            if action not in (src.provider.discover(obj) or {}):
                continue
            result = src.provider.run(action, obj, dict(params or {}))
        except KedgeError:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken plugin gives a clear error
            raise ActionError(f"resource action plugin {src.owner} failed to run {action!r}: {exc}") from None
        return result if isinstance(result, list) else [{"operation": PATCH, "resource": result}]
    known = sorted({n for s in sources if isinstance(s, ActionScripts) for n in s.actions})
    raise ActionError(
        f"action {action!r} is not available for {describe_resource(obj)} (known actions: {', '.join(known) or 'none'})"
    )
