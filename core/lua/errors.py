"""Errors raised by Lua scripts; each names the script key and the resource."""

from __future__ import annotations

from typing import Any

from kedge.errors import KedgeError


def describe_resource(obj: Any) -> str:
    """``apps/Deployment default/web`` style name for messages (robust to malformed objects)."""
    if not isinstance(obj, dict):
        return "<not an object>"
    api_version = obj.get("apiVersion") or ""
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    kind = obj.get("kind") or "<no kind>"
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name") or "<no name>"
    ns = meta.get("namespace")
    return f"{group}/{kind} {ns + '/' if ns else ''}{name}"


class LuaScriptError(KedgeError):
    """A Lua script failed: syntax or runtime error, bad return value, time or memory limit.

    ``script`` is the script's key (``resource.customizations.health.apps_Deployment``, or the
    library path ``lua/health/cert-manager.io/Certificate/health.lua``), ``resource`` the object
    it ran on, ``detail`` the script's own error message.
    """

    def __init__(self, script: str, resource: str, detail: str) -> None:
        self.script = script
        self.resource = resource
        self.detail = detail
        super().__init__(f"Lua script {script} failed for {resource}: {detail}")


class LuaTimeoutError(LuaScriptError):
    """The script ran past its time limit."""


class LuaMemoryError(LuaScriptError):
    """The script allocated more than its memory bound."""
