"""Lua customizations from argocd-cm: health scripts and resource actions, parsed once.

Argo CD reads them from two places in the ``argocd-cm`` ``data``:

* split keys, one per kind (``<group_Kind>`` is ``apps_Deployment``; core kinds have no group,
  ``ConfigMap``; globs are allowed, ``*.crossplane.io_*``)::

      resource.customizations.health.<group_Kind>: <Lua script>
      resource.customizations.useOpenLibs.<group_Kind>: "true"
      resource.customizations.actions.<group_Kind>: <YAML: discovery.lua, definitions, mergeBuiltinActions>

* the older ``resource.customizations`` key: a YAML map keyed ``group/Kind`` whose values hold
  ``health.lua``, ``health.lua.useOpenLibs`` and ``actions``.

Split keys win over the map. Build a :class:`ResourceOverrides` once per settings version (or
use :meth:`ResourceOverrides.cached`, which reuses the parsed object while the customization keys
are unchanged) and hand it to :func:`kedge.health.assess` and :mod:`kedge.actions`; it caches
which script applies to each kind, so a call costs a dictionary lookup.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kedge.errors import ConfigError

PREFIX = "resource.customizations"
HEALTH_PREFIX = PREFIX + ".health."
OPEN_LIBS_PREFIX = PREFIX + ".useOpenLibs."
ACTIONS_PREFIX = PREFIX + ".actions."
#: Kedge's own key (Argo CD ignores it): a YAML list of group/Kind globs that get the generic
#: status.conditions health check when nothing else assesses them
GENERIC_CONDITIONS_KEY = "kedge.health.genericConditions"


@dataclass
class ActionDefinition:
    """One ``definitions`` entry: an action name and its ``action.lua``."""

    name: str
    action_lua: str


@dataclass
class ActionsOverride:
    """A ``resource.customizations.actions.<group_Kind>`` value."""

    discovery_lua: str = ""
    definitions: list[ActionDefinition] = field(default_factory=list)
    merge_builtin_actions: bool = False
    source: str = ""  # the settings key, for messages

    def definition(self, name: str) -> ActionDefinition | None:
        for d in self.definitions:
            if d.name == name:
                return d
        return None


@dataclass
class ResourceOverride:
    """What argocd-cm says about one ``group/Kind`` key (or glob)."""

    health_lua: str = ""
    use_open_libs: bool = False
    health_source: str = ""  # settings key holding the script, for messages
    actions: ActionsOverride | None = None


def override_key(group: str, kind: str) -> str:
    """Argo CD's key for a kind: ``group/Kind``, or just ``Kind`` for the core group."""
    return f"{group}/{kind}" if group else kind


def split_key_to_override_key(group_kind: str, setting: str) -> str:
    """``apps_Deployment`` -> ``apps/Deployment``; ``ConfigMap`` -> ``ConfigMap``."""
    parts = group_kind.split("_")
    if len(parts) == 2 and all(parts):
        return f"{parts[0]}/{parts[1]}"
    if len(parts) == 1 and group_kind:
        return group_kind
    raise ConfigError(
        f"argocd-cm key {setting!r}: group kind should be in format "
        f"`resource.customizations.<type>.<group_kind>` or `resource.customizations.<type>.<kind>`, "
        f"got group kind: {group_kind!r}"
    )


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def parse_actions(value: Any, source: str) -> ActionsOverride:
    """Parse an actions customization (YAML text or an already-parsed mapping)."""
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value) if value.strip() else {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"argocd-cm key {source!r}: invalid YAML: {exc}") from None
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"argocd-cm key {source!r}: expected a map with discovery.lua and definitions, "
            f"got {type(value).__name__}"
        )
    discovery = value.get("discovery.lua") or ""
    if not isinstance(discovery, str):
        raise ConfigError(f"argocd-cm key {source!r}: discovery.lua must be a string")
    defs: list[ActionDefinition] = []
    raw_defs = value.get("definitions") or []
    if not isinstance(raw_defs, list):
        raise ConfigError(f"argocd-cm key {source!r}: definitions must be a list")
    for i, d in enumerate(raw_defs):
        if not isinstance(d, Mapping) or not isinstance(d.get("name"), str) or not d.get("name"):
            raise ConfigError(f"argocd-cm key {source!r}: definitions[{i}] needs a name")
        lua = d.get("action.lua") or ""
        if not isinstance(lua, str):
            raise ConfigError(f"argocd-cm key {source!r}: definitions[{i}] action.lua must be a string")
        defs.append(ActionDefinition(d["name"], lua))
    return ActionsOverride(discovery, defs, _bool(value.get("mergeBuiltinActions", False)), source)


class ResourceOverrides:
    """The Lua customizations of one argocd-cm, with per-kind resolution caches.

    Thread-safe for readers: the caches are plain dicts filled idempotently.
    """

    def __init__(
        self,
        overrides: Mapping[str, ResourceOverride] | None = None,
        generic_conditions: list[str] | None = None,
    ) -> None:
        self.overrides: dict[str, ResourceOverride] = dict(overrides or {})
        #: globs of kinds that fall back to the generic status.conditions check
        self.generic_conditions: list[str] = list(generic_conditions or [])
        # globs, most specific (longest) first, for a deterministic choice
        self.wildcards: list[str] = sorted(
            (k for k in self.overrides if any(c in k for c in "*?[")), key=lambda k: (-len(k), k)
        )
        #: resolution caches used by kedge.health / kedge.actions (key -> handler)
        self.health_cache: dict[str, Any] = {}
        self.cache_owner: Any = None

    @classmethod
    def from_configmap(cls, data: Mapping[str, str] | None) -> ResourceOverrides:
        """Parse argocd-cm ``data``; raises :class:`ConfigError` naming the bad key."""
        data = data or {}
        out: dict[str, ResourceOverride] = {}

        legacy = data.get(PREFIX)
        if legacy:
            try:
                parsed = yaml.safe_load(legacy) if isinstance(legacy, str) else legacy
            except yaml.YAMLError as exc:
                raise ConfigError(f"argocd-cm key {PREFIX!r}: invalid YAML: {exc}") from None
            if parsed is not None and not isinstance(parsed, Mapping):
                raise ConfigError(f"argocd-cm key {PREFIX!r}: expected a map keyed by group/Kind")
            for key, value in (parsed or {}).items():
                if value is None:
                    value = {}
                if not isinstance(value, Mapping):
                    raise ConfigError(f"argocd-cm key {PREFIX!r}: entry {key!r} must be a map")
                ov = out.setdefault(str(key), ResourceOverride())
                health = value.get("health.lua")
                if health:
                    if not isinstance(health, str):
                        raise ConfigError(f"argocd-cm key {PREFIX!r}: {key}: health.lua must be a string")
                    ov.health_lua = health
                    ov.health_source = f"{PREFIX}[{key}].health.lua"
                if "health.lua.useOpenLibs" in value:
                    ov.use_open_libs = _bool(value["health.lua.useOpenLibs"])
                if value.get("actions"):
                    ov.actions = parse_actions(value["actions"], f"{PREFIX}[{key}].actions")

        for setting, value in data.items():
            if not isinstance(setting, str) or not setting.startswith(PREFIX + "."):
                continue
            if setting.startswith(HEALTH_PREFIX):
                key = split_key_to_override_key(setting[len(HEALTH_PREFIX) :], setting)
                ov = out.setdefault(key, ResourceOverride())
                if not isinstance(value, str):
                    raise ConfigError(f"argocd-cm key {setting!r}: the health script must be a string")
                ov.health_lua = value
                ov.health_source = setting
            elif setting.startswith(OPEN_LIBS_PREFIX):
                key = split_key_to_override_key(setting[len(OPEN_LIBS_PREFIX) :], setting)
                out.setdefault(key, ResourceOverride()).use_open_libs = _bool(value)
            elif setting.startswith(ACTIONS_PREFIX):
                key = split_key_to_override_key(setting[len(ACTIONS_PREFIX) :], setting)
                out.setdefault(key, ResourceOverride()).actions = parse_actions(value, setting)
        return cls(out, _generic_conditions(data.get(GENERIC_CONDITIONS_KEY)))

    @classmethod
    def cached(cls, data: Mapping[str, str] | None) -> ResourceOverrides:
        """Like :meth:`from_configmap`, but returns the same parsed object (with its warm
        resolution caches) while the relevant argocd-cm keys are unchanged. Use it where a new
        settings snapshot may arrive on every call (API requests, controller workers)."""
        relevant = tuple(
            sorted(
                (k, v)
                for k, v in (data or {}).items()
                if isinstance(k, str)
                and (k == PREFIX or k.startswith(PREFIX + ".") or k == GENERIC_CONDITIONS_KEY)
            )
        )
        return _parse_cached(relevant)

    def generic_conditions_match(self, key: str) -> bool:
        return any(fnmatch.fnmatchcase(key, g) for g in self.generic_conditions)

    def get(self, key: str) -> ResourceOverride | None:
        return self.overrides.get(key)

    def match_wildcard(self, key: str, want: str = "health") -> ResourceOverride | None:
        """The first glob override (most specific first) matching ``key`` that has ``want``."""
        for pattern in self.wildcards:
            if fnmatch.fnmatchcase(key, pattern):
                ov = self.overrides[pattern]
                if want == "health" and ov.health_lua:
                    return ov
                if want == "actions" and ov.actions is not None:
                    return ov
        return None


def _generic_conditions(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError(f"argocd-cm key {GENERIC_CONDITIONS_KEY!r}: invalid YAML: {exc}") from None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(
            f"argocd-cm key {GENERIC_CONDITIONS_KEY!r}: expected a YAML list of group/Kind globs"
        )
    return value


@functools.lru_cache(maxsize=16)
def _parse_cached(relevant: tuple[tuple[str, Any], ...]) -> ResourceOverrides:
    return ResourceOverrides.from_configmap(dict(relevant))


EMPTY = ResourceOverrides()


def coerce(overrides: ResourceOverrides | Mapping[str, str] | None) -> ResourceOverrides:
    """Accept a parsed object, raw argocd-cm data (parsed now: prefer parsing once), or None."""
    if overrides is None:
        return EMPTY
    if isinstance(overrides, ResourceOverrides):
        return overrides
    return ResourceOverrides.from_configmap(overrides)
