"""Run one health script with Argo CD's return contract (used by kedge.health and ``kedge lua test``)."""

from __future__ import annotations

from typing import Any

from lupa.luajit21 import lua_type

from kedge.lua.errors import LuaScriptError, describe_resource
from kedge.lua.sandbox import runtime

VALID_STATUSES = frozenset(("Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"))
INVALID_STATUS_MESSAGE = "Lua returned an invalid health status"


def run_health_script(
    source: str, obj: dict, key: str = "health.lua", open_libs: bool = True
) -> dict[str, str] | None:
    """Run a health script on ``obj`` with Argo CD's return contract.

    ``{status, message}`` -> that status; an invalid status -> ``Unknown`` /
    ``Lua returned an invalid health status``; ``nil`` -> ``None`` (no health). Anything else, or a
    script error, raises :class:`~kedge.lua.LuaScriptError`. ``key`` names the script in errors;
    ``open_libs`` gives it string/math/coroutine (Argo CD: ``useOpenLibs``, always on for built-ins).
    """
    resource = describe_resource(obj)
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        # server-side apply bookkeeping is often the largest part of a live object and no health
        # check reads it: skip converting it (actions still get the whole object)
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    res = runtime().call(source, obj, script_key=key, resource=resource, open_libs=open_libs)
    if res is None:
        return None
    kind = lua_type(res)
    if kind != "table":
        raise LuaScriptError(
            key, resource, f"expect table output from Lua script, not {kind or lua_type_name(res)}"
        )
    code = res["status"]
    message = res["message"]
    if code is not None and not isinstance(code, str):
        raise LuaScriptError(
            key, resource, f"the returned status must be a string, not {lua_type_name(code)}"
        )
    if message is None:
        message = ""
    elif not isinstance(message, str):
        if isinstance(message, int | float) and not isinstance(message, bool):
            message = str(message)
        else:
            raise LuaScriptError(
                key, resource, f"the returned message must be a string, not {lua_type_name(message)}"
            )
    if code not in VALID_STATUSES:
        return {"status": "Unknown", "message": INVALID_STATUS_MESSAGE}
    return {"status": code, "message": message}


def lua_type_name(value: Any) -> str:
    """Lua's name for the type of a value returned through lupa."""
    if value is None:
        return "nil"
    t = lua_type(value)
    if t:
        return t
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str | bytes):
        return "string"
    return type(value).__name__
