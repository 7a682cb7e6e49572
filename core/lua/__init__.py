"""Kedge's Lua sandbox: runs Argo CD health and action scripts unchanged (see docs/lua.md)."""

from kedge.lua.convert import ConversionError, lua_to_python
from kedge.lua.errors import LuaMemoryError, LuaScriptError, LuaTimeoutError, describe_resource
from kedge.lua.sandbox import Limits, Runtime, limits, runtime
from kedge.lua.scripts import INVALID_STATUS_MESSAGE, VALID_STATUSES, lua_type_name, run_health_script

__all__ = [
    "INVALID_STATUS_MESSAGE",
    "VALID_STATUSES",
    "lua_type_name",
    "run_health_script",
    "ConversionError",
    "Limits",
    "LuaMemoryError",
    "LuaScriptError",
    "LuaTimeoutError",
    "Runtime",
    "describe_resource",
    "limits",
    "lua_to_python",
    "runtime",
]
