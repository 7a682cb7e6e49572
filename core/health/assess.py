"""Resource health assessment with Argo CD's lookup order.

For an object of kind ``group/Kind`` the first of these that exists decides:

1. an argocd-cm override for the exact kind (``resource.customizations.health.<group_Kind>``,
   or ``health.lua`` in the ``resource.customizations`` map);
2. a glob override (``*.crossplane.io/*``), most specific pattern first;
3. a Python health plugin (``kedge_health_checks`` hook) from a third-party plugin;
4. Kedge's Lua library (``lua/health/<group>/<Kind>/health.lua``; core kinds ``lua/health/<Kind>/``,
   as Argo CD's ``resource_customizations`` lays them out), run with the standard libraries;
5. Kedge's built-in Python checks (Pod, Deployment, ... ``argoproj.io/Application``);
6. the generic ``status.conditions`` check (``lua/health/_generic/conditions``) for kinds the
   user opted in with the argocd-cm key ``kedge.health.genericConditions`` (a YAML list of globs);
7. otherwise there is no health (``None``).

Objects being deleted are ``Progressing``/``Pending deletion`` before any of that (unless a
hook finalizer holds them). Which handler applies to a kind is resolved once per
:class:`~kedge.lua.overrides.ResourceOverrides` and cached.
"""

from __future__ import annotations

import fnmatch
import importlib.resources
import logging
from collections.abc import Callable, Mapping
from typing import Any

from kedge import plugins
from kedge.errors import KedgeError
from kedge.health.status import UNKNOWN, VALID, HealthStatus
from kedge.lua import describe_resource
from kedge.lua.overrides import HEALTH_PREFIX, ResourceOverrides, coerce, override_key
from kedge.lua.scripts import run_health_script

log = logging.getLogger(__name__)

HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer"
GENERIC_SCRIPT = "health/_generic/conditions/health.lua"
PENDING_DELETION: HealthStatus = {"status": "Progressing", "message": "Pending deletion"}

Handler = Callable[[dict], "HealthStatus | None"]


class HealthError(KedgeError):
    """A health check failed (its message names the script or plugin and the resource)."""


def group_kind(obj: Mapping[str, Any]) -> tuple[str, str]:
    """``("apps", "Deployment")`` from ``apiVersion``/``kind`` (core group is ``""``)."""
    api_version = obj.get("apiVersion") or ""
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    kind = obj.get("kind") or ""
    return group, kind if isinstance(kind, str) else ""


# -- Lua scripts ------------------------------------------------------------------------------
class LuaHealth:
    """A health script: ``source`` run in the sandbox; ``key`` names it in errors."""

    __slots__ = ("source", "key", "open_libs")

    def __init__(self, source: str, key: str, open_libs: bool) -> None:
        self.source = source
        self.key = key
        self.open_libs = open_libs

    def __call__(self, obj: dict) -> HealthStatus | None:
        return run_health_script(self.source, obj, self.key, self.open_libs)

    def __repr__(self) -> str:
        return f"LuaHealth({self.key})"


# -- the library ------------------------------------------------------------------------------
def library_root() -> Any:
    """The built-in Lua library (``kedge.lualib``) as an importlib Traversable."""
    return importlib.resources.files("kedge.lualib")


def library_health_script(key: str) -> tuple[str, str] | None:
    """(source, display path) of the library's health script for an override key, if any.

    Exact directories first (``lua/health/<group>/<Kind>``), then wildcard directories, where
    ``_`` stands for ``*`` (``lua/health/_.crossplane.io/_`` is ``*.crossplane.io/*``), most
    specific first. ``_generic`` holds opt-in scripts and is never matched.
    """
    path = library_root().joinpath("health", *key.split("/"), "health.lua")
    found = _read_script(path, f"lua/health/{key}/health.lua")
    if found is not None:
        return found
    for pattern, dirpath in _library_wildcards():
        if fnmatch.fnmatchcase(key, pattern):
            return _read_script(
                dirpath.joinpath("health.lua"), f"lua/health/{dirpath.parent.name}/{dirpath.name}/health.lua"
            )
    return None


def _read_script(path: Any, label: str) -> tuple[str, str] | None:
    try:
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8"), label
    except OSError:
        return None


_wildcards: list[tuple[str, Any]] | None = None


def _library_wildcards() -> list[tuple[str, Any]]:
    global _wildcards
    if _wildcards is None:
        found: list[tuple[str, Any]] = []
        root = library_root().joinpath("health")
        try:
            groups = [g for g in root.iterdir() if g.is_dir() and not g.name.startswith("_generic")]
        except OSError:
            groups = []
        for g in groups:
            for k in g.iterdir():
                if not k.is_dir() or "_" not in g.name + k.name or not k.joinpath("health.lua").is_file():
                    continue
                pattern = f"{g.name.replace('_', '*')}/{k.name.replace('_', '*')}"
                found.append((pattern, k))
        found.sort(key=lambda p: (-len(p[0].replace("*", "")), p[0]))
        _wildcards = found
    return _wildcards


# -- Python plugins ---------------------------------------------------------------------------
class _PluginHealth:
    __slots__ = ("provider", "owner")

    def __init__(self, provider: Any, owner: str) -> None:
        self.provider = provider
        self.owner = owner

    def __call__(self, obj: dict) -> HealthStatus | None:
        try:
            res = self.provider.assess(obj)
        except KedgeError as exc:
            raise HealthError(
                f"health check {self.provider.name!r} of plugin {self.owner} failed for "
                f"{describe_resource(obj)}: {exc}"
            ) from None
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the controller
            raise HealthError(
                f"health check {self.provider.name!r} of plugin {self.owner} failed for "
                f"{describe_resource(obj)}: {type(exc).__name__}: {exc}"
            ) from None
        if res is not None and res.get("status") not in VALID:
            return {
                "status": UNKNOWN,
                "message": f"health plugin {self.owner} returned an invalid health status",
            }
        if res is not None and "message" not in res:
            res = {"status": res["status"], "message": ""}
        return res


def _find_provider(name: str, builtin: bool) -> _PluginHealth | None:
    reg = plugins.registry()
    table = reg.providers("health_checks")
    candidates = []
    for pname, provider in table.items():
        owner = reg.owner("health_checks", pname) or ""
        info = reg.plugins.get(owner)
        is_builtin = info is not None and info.origin == "builtin"
        if is_builtin != builtin:
            continue
        if pname == name:
            return _PluginHealth(provider, owner)
        if any(c in pname for c in "*?[") and fnmatch.fnmatchcase(name, pname):
            candidates.append((pname, provider, owner))
    if candidates:
        candidates.sort(key=lambda c: (-len(c[0]), c[0]))
        _, provider, owner = candidates[0]
        return _PluginHealth(provider, owner)
    return None


# -- resolution -------------------------------------------------------------------------------
def resolve(group: str, kind: str, overrides: ResourceOverrides) -> Handler | None:
    """The handler that assesses ``group/Kind`` (cached per overrides object and plugin registry)."""
    key = override_key(group, kind)
    reg = plugins._registry  # identity only: a reset registry invalidates the cache
    if overrides.cache_owner is not reg or reg is None:
        overrides.health_cache.clear()
        plugins.registry()
        overrides.cache_owner = plugins._registry
    cache = overrides.health_cache
    try:
        return cache[key]
    except KeyError:
        pass
    handler = _resolve_uncached(group, kind, key, overrides)
    cache[key] = handler
    return handler


def _resolve_uncached(group: str, kind: str, key: str, overrides: ResourceOverrides) -> Handler | None:
    ov = overrides.get(key)
    if ov is not None and ov.health_lua:
        return LuaHealth(
            ov.health_lua, ov.health_source or HEALTH_PREFIX + key.replace("/", "_"), ov.use_open_libs
        )
    ov = overrides.match_wildcard(key, "health")
    if ov is not None:
        return LuaHealth(ov.health_lua, ov.health_source, ov.use_open_libs)
    name = f"{group}/{kind}"  # plugin provider names: core kinds are "/Pod"
    found = _find_provider(name, builtin=False)
    if found is not None:
        return found
    lib = library_health_script(key)
    if lib is not None:
        # Argo CD enables the standard libraries for all of its built-in scripts
        return LuaHealth(lib[0], lib[1], True)
    found = _find_provider(name, builtin=True)
    if found is not None:
        return found.provider.assess  # built-ins are trusted and called directly (hot path)
    if overrides.generic_conditions and overrides.generic_conditions_match(key):
        generic = _read_script(library_root().joinpath(*GENERIC_SCRIPT.split("/")), "lua/" + GENERIC_SCRIPT)
        if generic is not None:
            return LuaHealth(generic[0], generic[1], True)
    return None


def assess(
    obj: dict,
    overrides: ResourceOverrides | Mapping[str, str] | None = None,
    *,
    raise_errors: bool = False,
) -> HealthStatus | None:
    """Health of one live object: ``{"status", "message"}``, or ``None`` when nothing assesses it.

    ``overrides`` is a :class:`~kedge.lua.overrides.ResourceOverrides` (parse argocd-cm once with
    ``ResourceOverrides.from_configmap(data)``). A failing script gives ``Unknown`` with the error
    as message, as in Argo CD; with ``raise_errors=True`` it raises instead
    (:class:`~kedge.lua.LuaScriptError` or :class:`HealthError`).
    """
    meta = obj.get("metadata")
    if meta and meta.get("deletionTimestamp") and HOOK_FINALIZER not in (meta.get("finalizers") or ()):
        return dict(PENDING_DELETION)  # type: ignore[return-value]
    group, kind = group_kind(obj)
    ovs = overrides if isinstance(overrides, ResourceOverrides) else coerce(overrides)
    handler = resolve(group, kind, ovs)
    if handler is None:
        return None
    try:
        return handler(obj)
    except KedgeError as exc:
        if raise_errors:
            raise
        log.warning("%s", exc)
        return {"status": UNKNOWN, "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a built-in check failing on odd input
        if raise_errors:
            raise HealthError(
                f"health check failed for {describe_resource(obj)}: {type(exc).__name__}: {exc}"
            ) from exc
        log.warning("health check failed for %s: %s", describe_resource(obj), exc)
        return {"status": UNKNOWN, "message": f"{type(exc).__name__}: {exc}"}
