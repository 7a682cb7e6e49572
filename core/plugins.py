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
            self._skip(name, distribution, f"invalid plugin: {type(exc).__name__}: {exc}")
            return False
        hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
        self.plugins[name] = PluginInfo(name, distribution, version, origin, hooks)
        self._providers.clear()
        return True

    def _skip(self, name: str, dist: str, error: str) -> None:
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
        caller = getattr(self.pm.hook, hook_name)
        table: dict[str, Any] = {}
        owners: dict[str, str] = {}
        for impl in caller.get_hookimpls():
            pname = impl.plugin_name
            try:
                result = impl.function()
                items = list(result or [])
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the others
                self._skip(
                    pname,
                    self.plugins.get(pname, PluginInfo(pname, "", "", "")).distribution,
                    f"hook {hook_name} failed: {type(exc).__name__}: {exc}",
                )
                continue
            for item in items:
                pvname = getattr(item, "name", None)
                if not isinstance(pvname, str) or not pvname:
                    self._skip(pname, "", f"hook {hook_name} returned a provider without a name: {item!r}")
                    continue
                if pvname in owners:
                    winner = _preferred(owners[pvname], pname, self.plugins)
                    loser = pname if winner == owners[pvname] else owners[pvname]
                    log.warning(
                        "%s provider %r is offered by %s and %s; using %s's",
                        family,
                        pvname,
                        owners[pvname],
                        pname,
                        winner,
                    )
                    self.conflicts.append(Conflict(family, pvname, winner, loser))
                    if winner == owners[pvname]:
                        continue
                table[pvname] = item
                owners[pvname] = pname
        for pvname, pname in owners.items():
            self._owner[(family, pvname)] = pname
        return table

    def owner(self, family: str, provider_name: str) -> str | None:
        """The plugin that supplies a provider."""
        self.providers(family)
        return self._owner.get((family, provider_name))


def _hook_for(family: str) -> str:
    for hook, fam in hookspecs.FAMILIES.items():
        if fam == family:
            return hook
    raise PluginError(f"unknown plugin family {family!r} (known: {', '.join(hookspecs.FAMILIES.values())})")


def _is_builtin(ep: EntryPoint) -> bool:
    return ep.dist is not None and ep.dist.name == BUILTIN_DIST and ep.value.startswith("kedge.builtin")


def _entry_point_order(ep: EntryPoint) -> tuple[int, str]:
    return (0 if _is_builtin(ep) else 1, ep.name)


def _preferred(a: str, b: str, infos: dict[str, PluginInfo]) -> str:
    """Third-party beats built-in; between equals, the name that sorts first."""
    a_builtin = infos.get(a) is not None and infos[a].origin == "builtin"
    b_builtin = infos.get(b) is not None and infos[b].origin == "builtin"
    if a_builtin != b_builtin:
        return b if a_builtin else a
    return min(a, b)


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
