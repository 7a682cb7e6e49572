"""The Lua sandbox (kedge.lua): Argo CD's language and libraries, escapes refused, hard limits."""

from __future__ import annotations

import threading
import time

import pytest

from kedge.lua import (
    ConversionError,
    LuaMemoryError,
    LuaScriptError,
    LuaTimeoutError,
    limits,
    lua_to_python,
    run_health_script,
    runtime,
)

OBJ = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "prod"},
    "spec": {"replicas": 3, "items": [1, 2, 3]},
}


def call(src: str, open_libs: bool = False, obj: dict | None = None, **kw):
    return runtime().call(
        src, obj or OBJ, script_key="test.lua", resource="apps/Deployment prod/web", open_libs=open_libs, **kw
    )


def err(src: str, open_libs: bool = False) -> LuaScriptError:
    with pytest.raises(LuaScriptError) as info:
        call(src, open_libs)
    return info.value


# -- language: what Argo CD's gopher-lua scripts use ------------------------------------------------
def test_goto_and_table_getn_run_unchanged():
    src = """
    local n = 0
    for i = 1, table.getn(obj.spec.items) do
      if i == 2 then goto continue end
      n = n + obj.spec.items[i]
      ::continue::
    end
    return {status = "Healthy", message = tostring(n)}
    """
    assert run_health_script(src, OBJ) == {"status": "Healthy", "message": "4"}


def test_numbers_print_like_lua51():
    # gopher-lua numbers are doubles: 6/2 prints "3" (Lua 5.4 would print "3.0")
    assert call("return tostring(obj.spec.replicas * 2 / 2)") == "3"
    assert call("return select('#', unpack({1, 2}))") == 2


def test_safe_os_has_only_time_and_date():
    assert isinstance(call("return os.time()"), int)
    assert call("return os.date('!%Y', 0)") == "1970"
    assert call("return os.execute") is None
    assert call("return os.getenv") is None
    assert call("return os.remove") is None
    assert call("return require('os').exit") is None


def test_library_set_follows_use_open_libs():
    # without useOpenLibs Argo CD opens base, table, package and the safe os only
    assert "attempt to index global 'string'" in str(err("return string.upper('x')"))
    assert call("return string.upper('x')", open_libs=True) == "X"
    assert call("return math.floor(2.5)", open_libs=True) == 2
    assert call("return table.concat({'a', 'b'}, ',')") == "a,b"


# -- escapes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "src",
    [
        "return io.open('/etc/passwd')",
        "return os.execute('id')",
        "return debug.getinfo(1)",
        "return dofile('/etc/passwd')",
        "return loadfile('/etc/passwd')",
        "return require('io')",
        "return require('ffi')",
        "return require('jit')",
        "return require('debug')",
        "return package.loadlib('/lib/x86_64-linux-gnu/libc.so.6', 'system')",
        "return getfenv(0).io.open",
        "return string.dump(function() end)",
        "return getmetatable('').__index.dump",
        "return (''):dump(function() end)",
        "return ('').dump(function() end)",
    ],
)
def test_escapes_are_refused(src):
    with pytest.raises(LuaScriptError):
        res = call(src, open_libs=True)
        if res is None:  # a missing function is nil: calling it is the refusal
            raise LuaScriptError("test.lua", "x", "nil")


def test_bytecode_cannot_be_loaded():
    assert "binary" in call("local fn, msg = loadstring('\\27LJ\\2\\0'); return msg")
    assert call("local fn, msg = loadstring('\\27LJ\\2\\0'); return fn") is None
    assert (
        call("local n = 0; return load(function() n = n + 1; if n == 1 then return '\\27LJ' end end)") is None
    )
    with pytest.raises(LuaScriptError, match="binary"):
        runtime().compile("\x1bLJ\x02", "bytecode.lua")


def test_loaded_chunks_run_in_the_script_environment():
    assert call("x = 41; local f = loadstring('return x + 1'); return f()") == 42
    assert call("local f = loadstring('return io'); return f()") is None


def test_scripts_cannot_leave_anything_for_the_next_one():
    call("leaked = 1; table.insert = nil; os.time = nil; return {}")
    assert call("return leaked") is None
    assert call("return type(table.insert)") == "function"
    assert call("return type(os.time)") == "function"
    with pytest.raises(LuaScriptError):
        call("getmetatable('').__index = nil")
    assert call("return ('abc'):upper()") == "ABC"


# -- limits ------------------------------------------------------------------------------------------
def test_endless_loop_is_stopped_with_a_clear_error():
    start = time.monotonic()
    with pytest.raises(LuaTimeoutError) as info:
        call("while true do end", time_limit=0.2)
    assert time.monotonic() - start < 1.0
    assert "test.lua" in str(info.value) and "apps/Deployment prod/web" in str(info.value)
    assert "time limit of 0.2 s" in str(info.value)


def test_pcall_cannot_swallow_the_time_limit():
    with pytest.raises(LuaTimeoutError):
        call("while true do pcall(function() while true do end end) end", time_limit=0.2)
    with pytest.raises(LuaTimeoutError):
        call(
            "local co = coroutine.wrap(function() while true do end end); co()",
            open_libs=True,
            time_limit=0.2,
        )
    with pytest.raises(LuaTimeoutError):
        call(
            "while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
            open_libs=True,
            time_limit=0.2,
        )
    src = (
        "local co = coroutine.create(function(a) return a * 2 end) return select(2, coroutine.resume(co, 21))"
    )
    assert call(src, open_libs=True) == 42


def test_memory_bomb_is_stopped_and_the_runtime_still_works(monkeypatch):
    monkeypatch.setattr(limits, "memory", 16 * 1024 * 1024)
    with pytest.raises(LuaMemoryError, match="memory limit of 16 MiB"):
        call(
            "local t = {} local i = 0 while true do i = i + 1 t[i] = ('x'):rep(1000) .. i end", open_libs=True
        )
    with pytest.raises(LuaMemoryError):
        call("local s = 'x' while true do s = s .. s end")
    assert call("return 1 + 1") == 2


def test_metamethods_in_results_cannot_run_unbounded():
    # Python reads results after the script's time limit is lifted: metatables are removed first
    src = "return setmetatable({}, {__index = function() while true do end end})"
    assert run_health_script(src, OBJ) == {
        "status": "Unknown",
        "message": "Lua returned an invalid health status",
    }
    e = err("error(setmetatable({}, {__tostring = function() while true do end end}))")
    assert "error object is a table value" in str(e)
    loop = "local t = {} setmetatable(t, {__index = function() while true do end end}) return {t}"
    from kedge.actions import run_action_script

    with pytest.raises(LuaScriptError, match="result.1. must be a table with operation"):
        run_action_script(loop.replace("return {t}", "return {1}"), OBJ, "mt.lua")
    with pytest.raises(LuaScriptError):
        run_action_script(loop, OBJ, "mt.lua")


def test_runaway_recursion_is_an_error_not_a_crash():
    with pytest.raises(LuaScriptError, match="stack overflow"):
        call("local function f(n) return f(n + 1) + 1 end return f(1)")
    res = call("local t = {} t.self = t return t")
    with pytest.raises(ConversionError, match="too deep"):
        lua_to_python(res)
    assert call("return 'still fine'") == "still fine"


def test_catastrophic_patterns_are_refused_before_they_run():
    # backtracking happens in C, where the time limit cannot stop it: refused up front
    start = time.monotonic()
    e = err("return string.find(string.rep('a', 300), string.rep('a-', 4) .. 'b')", open_libs=True)
    assert "too expensive for a subject of 300 bytes" in str(e)
    e = err("return (('a'):rep(300)):match(('a-'):rep(4) .. 'b')")  # method calls, without open libs
    assert "too expensive" in str(e)
    assert time.monotonic() - start < 1.0
    # ordinary patterns, anchored patterns on long subjects and plain finds keep working
    assert call("return ('2024-01-02'):match('^(%d+)-(%d+)-(%d+)$')") == "2024"
    assert call("return select(2, ('x=1, y=2'):gsub('(%w+)=(%w+)', '%2=%1'))") == 2
    assert call("return (string.rep('a', 100000)):find('^a-b')", open_libs=True) is None
    assert call("return ('a.b'):find('.', 1, true)") == 2
    assert call("return ('[x]'):find('[%]]')") == 3


def test_memory_limit_hit_while_preparing_the_call(monkeypatch):
    monkeypatch.setattr(limits, "memory", 1)
    with pytest.raises(LuaMemoryError):
        call("return 1")
    monkeypatch.undo()
    assert call("return 2") == 2


def test_syntax_and_runtime_errors_name_script_and_resource():
    e = err("return {")
    assert "syntax error" in str(e) and "test.lua" in str(e) and "prod/web" in str(e)
    e = err("local a = nil; return a.b")
    assert "test.lua:1: attempt to index local 'a'" in str(e)
    assert "apps/Deployment prod/web" in str(e)


def test_compiled_scripts_are_cached_by_source():
    rt = runtime()
    src = "return 'cached-" + str(time.time()) + "'"
    f1 = rt.compile(src, "a.lua")
    assert rt.compile(src, "a.lua") is f1
    assert rt.compile(src + " ", "a.lua") is not f1


def test_cache_is_bounded(monkeypatch):
    rt = runtime()
    monkeypatch.setattr(limits, "cache_size", 5)
    for i in range(20):
        rt.compile(f"return {i}", "bound.lua")
    assert rt.cached_scripts() <= 5


def test_each_thread_gets_its_own_runtime():
    seen, errors = [], []

    def work():
        try:
            seen.append(runtime())
            for _ in range(50):
                assert (
                    run_health_script("return {status='Healthy', message=obj.metadata.name}", OBJ)["message"]
                    == "web"
                )
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len({id(r) for r in seen}) == 4


# -- conversion back to Python ---------------------------------------------------------------------------
def test_round_trip_keeps_ints_empty_maps_lists_and_order():
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "labels": {}, "finalizers": []},
        "spec": {
            "int": 3,
            "float": 2.0,
            "half": 0.5,
            "big": 2**40,
            "list": [{"a": 1}, {}],
            "nested": {"e": []},
        },
        "data": {"b": "2", "a": "1"},
    }
    res = runtime().call("return obj", obj, script_key="rt.lua", resource="x")
    back = lua_to_python(res, obj)
    assert back == obj
    assert list(back["data"]) == ["b", "a"] and list(back) == list(obj)
    assert isinstance(back["spec"]["int"], int) and isinstance(back["spec"]["float"], float)


def test_new_values_from_lua():
    res = runtime().call(
        "obj.spec.n = 6 / 2; obj.spec.f = 1.5; obj.spec.new = {}; obj.spec.arr = {'a', 'b'}; obj.metadata.name = nil; return obj",
        OBJ,
        script_key="new.lua",
        resource="x",
    )
    back = lua_to_python(res, OBJ)
    assert back["spec"]["n"] == 3 and isinstance(back["spec"]["n"], int)
    assert back["spec"]["f"] == 1.5
    assert back["spec"]["new"] == {}
    assert back["spec"]["arr"] == ["a", "b"]
    assert "name" not in back["metadata"]


def test_json_nulls_never_reach_lua():
    obj = {"kind": "X", "metadata": {"creationTimestamp": None, "name": "n"}}
    assert (
        runtime().call("return obj.metadata.creationTimestamp == nil", obj, script_key="n", resource="x")
        is True
    )


def test_health_scripts_skip_managed_fields_but_actions_keep_them():
    obj = {**OBJ, "metadata": {**OBJ["metadata"], "managedFields": [{"manager": "kubectl"}]}}
    src = "return {status = 'Healthy', message = tostring(obj.metadata.managedFields == nil)}"
    assert run_health_script(src, obj) == {"status": "Healthy", "message": "true"}
    from kedge.actions import run_action_script

    [out] = run_action_script("return obj", obj, "keep.lua")
    assert out["resource"]["metadata"]["managedFields"] == [{"manager": "kubectl"}]


def test_a_runaway_script_blocks_only_its_own_thread():
    done = {}

    def runaway():
        with pytest.raises(LuaTimeoutError):
            call("while true do end", time_limit=0.6)
        done["runaway"] = time.monotonic()

    def quick():
        for _ in range(100):
            assert run_health_script("return {status = 'Healthy', message = ''}", OBJ)["status"] == "Healthy"
        done["quick"] = time.monotonic()

    start = time.monotonic()
    slow = threading.Thread(target=runaway)
    slow.start()
    time.sleep(0.05)
    fast = threading.Thread(target=quick)
    fast.start()
    fast.join()
    slow.join()
    assert done["quick"] - start < 0.5 < done["runaway"] - start
