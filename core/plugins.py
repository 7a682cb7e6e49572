"""The plugin manager: built-ins and third-party plugins, loaded from entry point group ``kedge``.

Usage from the core::

    from kedge import plugins
    helm = plugins.provider("renderers", "helm")
    for name, renderer in plugins.providers("renderers").items(): ...

Loading never fails as a whole: a plugin that cannot be imported, or whose hook
implementations do not match :mod:`kedge.hookspecs`, is recorded in :attr:`Registry.errors`
(with its distribution and the error) and skipped.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from kedge import hookspecs
from kedge.errors import PluginError

log = logging.getLogger(__name__)

BUILTIN_DIST = "kedge-cd"


@dataclass
class PluginInfo:
    """One registered plugin, as ``kedge plugins list`` shows it."""

    name: str
    distribution: str
    version: str
    origin: str  # "builtin" or "entrypoint"
    hooks: list[str] = field(default_factory=list)


@dataclass
class LoadError:
    """A plugin that was skipped, and why."""

    name: str
    distribution: str
    error: str


@dataclass
class Conflict:
    family: str
    provider: str
    winner: str
    loser: str


class Registry:
    """A pluggy manager plus the provider tables built from it."""

    def __init__(self, entry_point_group: str = hookspecs.PROJECT) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.errors: list[LoadError] = []
        self.conflicts: list[Conflict] = []
        self._providers: dict[str, dict[str, Any]] = {}
        self._owner: dict[tuple[str, str], str] = {}
        self._group = entry_point_group
        self._lock = threading.Lock()

    # -- loading --------------------------------------------------------------------------
    def load_entry_points(self) -> None:
        """Load every entry point of the group; built-ins (distribution ``kedge-cd``) first."""
        eps = sorted(entry_points(group=self._group), key=_entry_point_order)
        for ep in eps:
            self._load_one(ep)

    def _load_one(self, ep: EntryPoint) -> None:
        dist = ep.dist.name if ep.dist is not None else "unknown"
        version = ep.dist.version if ep.dist is not None else ""
        origin = "builtin" if _is_builtin(ep) else "entrypoint"
        name = ep.name if origin == "entrypoint" else f"kedge.{ep.name}"
        if name in self.plugins:
            other = self.plugins[name].distribution
            if other != dist:
                self._skip(name, dist, f"plugin name {name!r} is already used by distribution {other}")
            return
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - any import failure is reported, never fatal
            self._skip(name, dist, f"import of {ep.value!r} failed: {type(exc).__name__}: {exc}")
            return
        if origin == "builtin":
            # kedge.builtin lists its plugin modules; each is registered on its own.
            import importlib

            for modname in getattr(obj, "PLUGIN_MODULES", []):
                try:
                    mod = importlib.import_module(modname)
                except Exception as exc:  # noqa: BLE001
                    self._skip(modname, dist, f"import failed: {type(exc).__name__}: {exc}")
                    continue
                self.register(mod, modname, dist, version, "builtin")
        else:
            self.register(obj, name, dist, version, origin)

    def register(
        self, plugin: Any, name: str, distribution: str = "", version: str = "", origin: str = "entrypoint"
    ) -> bool:
        """Register one plugin object; returns False (and records the error) if it is invalid."""
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # noqa: BLE001 - pluggy raises PluginValidationError and ValueError
            self._skip(name, distribution, f"invalid plugin: {_one_line(exc)}")
            return False
        callers = self.pm.get_hookcallers(plugin) or []
        unknown = sorted(c.name for c in callers if c.spec is None)
        if unknown:
            # pluggy accepts hooks it has no spec for; a typo would then silently never run.
            self.pm.unregister(plugin)
            self._skip(name, distribution, f"invalid plugin: {_unknown_hooks_message(unknown)}")
            return False
        hooks = sorted(c.name for c in callers)
        self.plugins[name] = PluginInfo(name, distribution, version, origin, hooks)
        self._providers.clear()
        return True

    def _skip(self, name: str, dist: str, error: str) -> None:
        if any(e.name == name and e.error == error for e in self.errors):
            return
        log.warning("plugin %s (distribution %s) skipped: %s", name, dist, error)
        self.errors.append(LoadError(name, dist, error))

    # -- providers ------------------------------------------------------------------------
    def providers(self, family: str) -> dict[str, Any]:
        """All providers of a family (``renderers``, ``health_checks``...) by name."""
        with self._lock:
            if family not in self._providers:
                self._providers[family] = self._collect(family)
            return self._providers[family]

    def provider(self, family: str, name: str) -> Any:
        """One provider by name; raises :class:`PluginError` listing the known names."""
        table = self.providers(family)
        try:
            return table[name]
        except KeyError:
            known = ", ".join(sorted(table)) or "none"
            raise PluginError(f"no {family[:-1].replace('_', ' ')} named {name!r} (known: {known})") from None

    def _collect(self, family: str) -> dict[str, Any]:
        hook_name = _hook_for(family)
        self.conflicts = [c for c in self.conflicts if c.family != family]
        caller = getattr(self.pm.hook, hook_name)
        candidates: dict[str, list[tuple[str, Any]]] = {}
        for impl in caller.get_hookimpls():
            pname = impl.plugin_name
            dist = self.plugins[pname].distribution if pname in self.plugins else ""
            try:
                result = impl.function()
                items = list(result or [])
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the others
                self._skip(pname, dist, f"hook {hook_name} failed: {type(exc).__name__}: {exc}")
                continue
            for item in items:
                pvname = getattr(item, "name", None)
                if not isinstance(pvname, str) or not pvname:
                    self._skip(pname, dist, f"hook {hook_name} returned a provider without a name: {item!r}")
                    continue
                candidates.setdefault(pvname, []).append((pname, item))
        table: dict[str, Any] = {}
        for pvname, offers in candidates.items():
            # Third-party beats built-in; among equals the plugin name that sorts first wins.
            offers.sort(key=lambda o: (_is_builtin_plugin(o[0], self.plugins), o[0]))
            winner, item = offers[0]
            table[pvname] = item
            self._owner[(family, pvname)] = winner
            for loser, _ in offers[1:]:
                if loser == winner:
                    continue
                log.warning(
                    "%s provider %r is offered by %s and %s; using %s's",
                    family,
                    pvname,
                    winner,
                    loser,
                    winner,
                )
                self.conflicts.append(Conflict(family, pvname, winner, loser))
        return table

    def owner(self, family: str, provider_name: str) -> str | None:
        """The plugin that supplies a provider."""
        self.providers(family)
        return self._owner.get((family, provider_name))


def _one_line(exc: BaseException) -> str:
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return f"{type(exc).__name__}: {text}"


def _unknown_hooks_message(unknown: list[str]) -> str:
    import difflib

    parts = []
    for hook in unknown:
        close = difflib.get_close_matches(hook, list(hookspecs.FAMILIES), n=1)
        parts.append(f"{hook!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return f"unknown hook {', '.join(parts)}; known hooks: {', '.join(hookspecs.FAMILIES)}"


def _hook_for(family: str) -> str:
    for hook, fam in hookspecs.FAMILIES.items():
        if fam == family:
            return hook
    raise PluginError(f"unknown plugin family {family!r} (known: {', '.join(hookspecs.FAMILIES.values())})")


def _is_builtin(ep: EntryPoint) -> bool:
    return ep.dist is not None and ep.dist.name == BUILTIN_DIST and ep.value.startswith("kedge.builtin")


def _entry_point_order(ep: EntryPoint) -> tuple[int, str]:
    return (0 if _is_builtin(ep) else 1, ep.name)


def _is_builtin_plugin(name: str, infos: dict[str, PluginInfo]) -> bool:
    info = infos.get(name)
    return info is not None and info.origin == "builtin"


_registry: Registry | None = None
_registry_lock = threading.Lock()


def registry() -> Registry:
    """The process-wide registry, loaded on first use."""
    global _registry
    with _registry_lock:
        if _registry is None:
            reg = Registry()
            reg.load_entry_points()
            _registry = reg
        return _registry


def providers(family: str) -> dict[str, Any]:
    return registry().providers(family)


def provider(family: str, name: str) -> Any:
    return registry().provider(family, name)


def reset() -> None:
    """Forget the loaded registry (tests, hot reload of plugins)."""
    global _registry
    with _registry_lock:
        _registry = None
