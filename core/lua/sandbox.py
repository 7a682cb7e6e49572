"""The Lua sandbox: LuaJIT 2.1 (through lupa) with Argo CD's library set and hard limits.

Why LuaJIT: Argo CD runs gopher-lua, which is Lua 5.1 plus ``goto``. LuaJIT is the only lupa
engine with exactly that language: 5.1 semantics (``table.getn``, ``unpack``, ``setfenv``-era
environments, every number a double, so ``tostring(6/2)`` is ``"3"`` as in Argo CD where Lua 5.4
prints ``"3.0"``) and ``goto``. Its JIT compiler is switched off in the sandbox because the
instruction-count hook that enforces the time limit does not fire inside compiled traces.

Each thread gets its own runtime (lupa serialises calls into one runtime with a lock, so a
shared runtime would make controller workers queue); each runtime keeps a bounded LRU of
compiled scripts keyed by a hash of their source.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from lupa import luajit21

from kedge.lua.bootstrap import BOOTSTRAP as _BOOTSTRAP
from kedge.lua.errors import LuaMemoryError, LuaScriptError, LuaTimeoutError

DEFAULT_TIME_LIMIT = 1.0
DEFAULT_MEMORY_LIMIT = 64 * 1024 * 1024
DEFAULT_CACHE_SIZE = 20_000


@dataclass
class Limits:
    """Per-call limits. Change :data:`limits` to configure the process (e.g. from settings)."""

    time: float = DEFAULT_TIME_LIMIT
    memory: int = DEFAULT_MEMORY_LIMIT
    cache_size: int = DEFAULT_CACHE_SIZE


limits = Limits()


class Runtime:
    """One LuaJIT state with the sandbox installed. Not thread-safe: use :func:`runtime`."""

    def __init__(self) -> None:
        # max_memory must be given at creation to be adjustable later; 0 = no limit for bootstrap
        self.lua = luajit21.LuaRuntime(unpack_returned_tuples=True, register_eval=False, max_memory=0)
        sandbox = self.lua.execute(_BOOTSTRAP)
        self._compile = sandbox["compile"]
        self._run = sandbox["run"]
        self._collect = sandbox["collect"]
        self._table_from = self.lua.table_from
        self._cache: OrderedDict[tuple[str, str], Any] = OrderedDict()

    # -- compilation ------------------------------------------------------------------------
    def compile(self, source: str, script_key: str, resource: str = "") -> Any:
        """The compiled function for ``source`` (cached by source hash)."""
        digest = hashlib.blake2b(source.encode("utf-8"), digest_size=16).hexdigest()
        ck = (digest, script_key)
        cache = self._cache
        fn = cache.get(ck)
        if fn is not None:
            cache.move_to_end(ck)
            return fn
        fn, err = self._compile(source, "=" + script_key)
        if not fn:
            raise LuaScriptError(script_key, resource, f"syntax error: {err}")
        cache[ck] = fn
        while len(cache) > limits.cache_size:
            cache.popitem(last=False)
        return fn

    def cached_scripts(self) -> int:
        return len(self._cache)

    def clear_cache(self) -> None:
        """Forget every compiled script (e.g. after a settings change)."""
        self._cache.clear()
        self._collect()

    # -- conversion -------------------------------------------------------------------------
    def to_lua(self, value: Any) -> Any:
        if isinstance(value, dict | list):
            return self._table_from(value, recursive=True)
        return value

    # -- execution --------------------------------------------------------------------------
    def call(
        self,
        source: str,
        obj: dict,
        *,
        script_key: str,
        resource: str,
        params: dict[str, Any] | None = None,
        open_libs: bool = False,
        time_limit: float | None = None,
        lua_obj: Any = None,
    ) -> Any:
        """Run ``source`` with global ``obj`` (and ``actionParams``); return its Lua result.

        Raises :class:`LuaScriptError` (or the timeout/memory subclasses) naming the script and
        the resource.
        """
        fn = self.compile(source, script_key, resource)
        lobj = lua_obj if lua_obj is not None else self._table_from(obj, recursive=True)
        lparams = self._table_from(params or {}) if params is not None else None
        lua = self.lua
        lua.set_max_memory(lua.get_memory_used() + limits.memory, total=True)
        try:
            ok, res, timed_out = self._run(
                fn, lobj, lparams, open_libs, limits.time if time_limit is None else time_limit
            )
        except luajit21.LuaMemoryError:
            ok, res, timed_out = False, "not enough memory", False
        except luajit21.LuaError as exc:  # errors raised outside the protected call
            ok, res, timed_out = False, str(exc), False
        finally:
            lua.set_max_memory(0)
        if ok:
            return res
        if timed_out:
            limit = limits.time if time_limit is None else time_limit
            raise LuaTimeoutError(script_key, resource, f"script exceeded its time limit of {limit:g} s")
        if isinstance(res, str) and "not enough memory" in res:
            self._collect()
            raise LuaMemoryError(
                script_key,
                resource,
                f"script exceeded its memory limit of {limits.memory // (1024 * 1024)} MiB",
            )
        raise LuaScriptError(script_key, resource, res if isinstance(res, str) else str(res))


_local = threading.local()


def runtime() -> Runtime:
    """This thread's sandbox runtime (created on first use)."""
    rt = getattr(_local, "runtime", None)
    if rt is None:
        rt = _local.runtime = Runtime()
    return rt
