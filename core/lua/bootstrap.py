"""The sandbox bootstrap, in Lua (kept in a Python module so it ships in every install)."""

BOOTSTRAP = r"""
-- Kedge Lua sandbox bootstrap (runs once per LuaRuntime, with the full standard library).
--
-- It captures the privileged functions it needs as upvalues, then strips the runtime's global
-- table down to harmless functions, so nothing a script can reach leads back to io, os, debug,
-- ffi, jit, package loaders or bytecode loading. Every script call gets a fresh global table
-- (its own `obj`, `actionParams` and library proxies), so one script cannot leave anything
-- behind for the next one, as in Argo CD where every call gets a new gopher-lua state.
local debug_sethook = debug.sethook
local raw_loadstring = loadstring
local raw_setfenv = setfenv
local raw_pcall = pcall
local raw_xpcall = xpcall
local raw_error = error
local raw_type = type
local raw_tostring = tostring
local raw_select = select
local raw_unpack = unpack
local raw_setmetatable = setmetatable
local raw_next = next
local raw_collectgarbage = collectgarbage
local os_time = os.time
local os_date = os.date
local os_clock = os.clock
local string_byte = string.byte
local table_concat = table.concat
local table_maxn = table.maxn
local raw_rawget = rawget
local rawequal = rawequal
local raw_tonumber = tonumber
local HUGE = math.huge

-- A monotonic wall clock for the time limit. LuaJIT's FFI gives clock_gettime; the FFI module
-- itself is never reachable from scripts.
local now = os_clock
do
  local ok, ffi = raw_pcall(require, "ffi")
  if ok then
    raw_pcall(ffi.cdef, [[
      typedef struct { long tv_sec; long tv_nsec; } kedge_timespec;
      int clock_gettime(int clk_id, kedge_timespec *tp);
    ]])
    local ts = ffi.new("kedge_timespec")
    local C = ffi.C
    local ok2 = raw_pcall(function() return C.clock_gettime(1, ts) end)
    if ok2 then
      now = function()
        C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
        return raw_tonumber(ts.tv_sec) + raw_tonumber(ts.tv_nsec) * 1e-9
      end
    end
  end
end

-- The JIT compiler is switched off: LuaJIT's instruction-count hook does not fire inside
-- compiled traces, so an endless loop could otherwise escape the time limit. The interpreter is
-- still fast (a health script runs in a few microseconds).
if jit then jit.off() end

local TIMEOUT = raw_setmetatable({}, { __tostring = function() return "script exceeded its time limit" end })
local deadline = HUGE
local expired = false

local function hook()
  if expired or now() > deadline then
    expired = true
    raw_error(TIMEOUT, 0)
  end
end

-- pcall/xpcall for scripts: they cannot swallow the time-limit error.
local function safe_pcall(f, ...)
  local res = { raw_pcall(f, ...) }
  if expired then raw_error(TIMEOUT, 0) end
  return raw_unpack(res, 1, table_maxn(res))
end

local function safe_xpcall(f, handler, ...)
  local args = { ... }
  local n = raw_select("#", ...)
  local res = { raw_xpcall(function() return f(raw_unpack(args, 1, n)) end, handler) }
  if expired then raw_error(TIMEOUT, 0) end
  return raw_unpack(res, 1, table_maxn(res))
end

local function copy(t, skip)
  local out = {}
  for k, v in raw_next, t do
    if not (skip and skip[k]) then out[k] = v end
  end
  return out
end

-- Lua patterns backtrack, and string.find/match/gmatch/gsub run in C where the count hook
-- cannot stop them: ("a"):rep(200):find(("a-"):rep(4) .. "b") takes tens of seconds. Refuse a
-- pattern whose worst case (subject length to the power of its repeating items, times the start
-- positions) is beyond about 2e8 steps (about a second at most). Typical checks are far below:
-- one repeating item allows ~14,000-byte subjects, two ~580, anchored ones (^...) much more.
local PATTERN_BUDGET = 2e8
local string_len = string.len
local string_format = string.format
local function pattern_cost(s, p, init, plain)
  if plain or raw_type(s) ~= "string" or raw_type(p) ~= "string" then return 0 end
  local n = string_len(s)
  local reps = 0
  local i, m = 1, string_len(p)
  while i <= m do
    local c = string_byte(p, i)
    if c == 37 then -- %x class or %b/%f
      local d = string_byte(p, i + 1)
      if d == 98 then i = i + 4 elseif d == 102 then i = i + 2 else i = i + 2 end
    elseif c == 91 then -- [set]
      i = i + 1
      if string_byte(p, i) == 94 then i = i + 1 end
      if string_byte(p, i) == 93 then i = i + 1 end
      while i <= m and string_byte(p, i) ~= 93 do
        if string_byte(p, i) == 37 then i = i + 1 end
        i = i + 1
      end
      i = i + 1
    else
      i = i + 1
    end
    local q = string_byte(p, i)
    if q == 42 or q == 43 or q == 45 then -- * + -
      reps = reps + 1
      i = i + 1
    elseif q == 63 then -- ?
      i = i + 1
    end
  end
  local starts = (string_byte(p, 1) == 94) and 1 or (n + 1)
  return starts * (n + 1) ^ reps
end
local function guard(name, f, has_plain)
  return function(s, p, a, b)
    local cost = pattern_cost(s, p, a, has_plain and b)
    if cost > PATTERN_BUDGET then
      raw_error("string." .. name .. ": pattern " .. string_format("%q", p) .. " is too expensive for a subject of " ..
        string_len(s) .. " bytes (too many repeated items); simplify it or use plain find", 2)
    end
    return f(s, p, a, b)
  end
end
string.find = guard("find", string.find, true)
string.match = guard("match", string.match, false)
string.gmatch = guard("gmatch", string.gmatch, false)
string.gsub = guard("gsub", string.gsub, false)

-- Library contents as Argo CD exposes them (gopher-lua OpenBase/OpenTable/OpenPackage plus its
-- "safe os" with only time and date). string/math/coroutine only with useOpenLibs.
local LIB = {
  table = copy(table),
  string = copy(string, { dump = true }),
  math = copy(math),
  coroutine = copy(coroutine),
  os = { time = os_time, date = os_date, clock = os_clock },
}
LIB.os.clock = nil -- Argo CD's safe os has time and date only
-- coroutine.resume catches errors like pcall does: it must not swallow the time limit either
do
  local raw_resume = coroutine.resume
  LIB.coroutine.resume = function(co, ...)
    local res = { raw_resume(co, ...) }
    if expired then raw_error(TIMEOUT, 0) end
    return raw_unpack(res, 1, table_maxn(res))
  end
end

-- Read-through proxies: writes land in the proxy (one per call), never in the shared library.
local PROXY_MT = {}
for name, lib in raw_next, LIB do
  PROXY_MT[name] = { __index = lib, __metatable = false }
end
local function proxy(name)
  return raw_setmetatable({}, PROXY_MT[name])
end

local function silent_print(...) end

local function checked_chunk(src, chunkname, env)
  if raw_type(src) ~= "string" then
    return nil, "load: expected a string chunk"
  end
  if string_byte(src, 1) == 27 then
    return nil, "loading precompiled (binary) chunks is not allowed"
  end
  local fn, err = raw_loadstring(src, chunkname)
  if not fn then return nil, err end
  raw_setfenv(fn, env)
  return fn
end

local BASE = {
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs,
  rawequal = rawequal, rawget = rawget, rawset = rawset, select = select,
  setmetatable = setmetatable, getmetatable = getmetatable, tonumber = tonumber,
  tostring = tostring, type = type, unpack = unpack, print = silent_print,
  pcall = safe_pcall, xpcall = safe_xpcall, _VERSION = "Lua 5.1",
  collectgarbage = function(opt)
    if opt == nil or opt == "count" then return raw_collectgarbage("count") end
    return 0
  end,
}
local ENV_MT = { __index = BASE, __metatable = false }

-- Protect the string metatable: scripts keep s:upper() but cannot reach or change it, and
-- ("").dump is gone too.
string.dump = nil
getmetatable("").__metatable = false

local function make_env(obj, params, open_libs)
  local env = raw_setmetatable({}, ENV_MT)
  env._G = env
  env.obj = obj
  env.actionParams = params
  env.table = proxy("table")
  local os_proxy = proxy("os")
  env.os = os_proxy
  local loaded = { os = os_proxy, table = env.table, _G = env }
  if open_libs then
    env.string = proxy("string")
    env.math = proxy("math")
    env.coroutine = proxy("coroutine")
    loaded.string, loaded.math, loaded.coroutine = env.string, env.math, env.coroutine
  end
  env.package = { loaded = loaded, preload = {} }
  loaded.package = env.package
  env.require = function(name)
    local m = loaded[name]
    if m ~= nil then return m end
    local pre = env.package.preload[name]
    if raw_type(pre) == "function" then
      m = pre(name)
      loaded[name] = m == nil and true or m
      return loaded[name]
    end
    raw_error("module '" .. raw_tostring(name) .. "' not found (only os" ..
      (open_libs and ", string, math, coroutine" or "") .. " and table can be required)", 2)
  end
  env.loadstring = function(src, chunkname)
    return checked_chunk(src, chunkname or "=(load)", env)
  end
  env.load = function(chunk, chunkname)
    if raw_type(chunk) == "function" then
      local parts = {}
      while true do
        local piece = chunk()
        if piece == nil or piece == "" then break end
        parts[#parts + 1] = piece
      end
      chunk = table_concat(parts)
    end
    return checked_chunk(chunk, chunkname or "=(load)", env)
  end
  return env
end

local sandbox = {}

-- Compile a script once; returns the function or nil and the syntax error.
function sandbox.compile(src, chunkname)
  if string_byte(src, 1) == 27 then
    return false, "precompiled (binary) chunks are not allowed"
  end
  local fn, err = raw_loadstring(src, chunkname)
  if not fn then return false, err end
  return fn, false
end

-- Metatables are removed from a result (still under the time limit) before Python reads it:
-- an __index or __tostring metamethod would otherwise run later without any limit.
local debug_setmetatable = debug.setmetatable
local function strip(v, seen)
  if raw_type(v) ~= "table" or seen[v] then return end
  seen[v] = true
  debug_setmetatable(v, nil)
  for _, x in raw_next, v do
    strip(x, seen)
  end
end

-- Run a compiled script with a fresh environment and the time limit.
-- Returns ok, value_or_error, timed_out.
function sandbox.run(fn, obj, params, open_libs, seconds)
  local env = make_env(obj, params, open_libs)
  raw_setfenv(fn, env)
  expired = false
  deadline = now() + seconds
  debug_sethook(hook, "", 1000)
  local ok, res = raw_pcall(fn)
  if ok then
    local ok2, err = raw_pcall(strip, res, {})
    if not ok2 then ok, res = false, err end
  end
  if not ok and raw_type(res) ~= "string" then
    if rawequal(res, TIMEOUT) then
      res = "script exceeded its time limit"
    elseif raw_type(res) == "table" and raw_type(raw_rawget(res, "message")) == "string" then
      res = raw_rawget(res, "message")
    else
      res = "(error object is a " .. raw_type(res) .. " value)"
    end
  end
  debug_sethook()
  deadline = HUGE
  local timed_out = expired
  expired = false
  raw_setfenv(fn, BASE)
  return ok, res, timed_out
end

function sandbox.collect()
  raw_collectgarbage("collect")
end

-- Strip the runtime's own globals so that nothing leads back to privileged functions.
local pkg = package
pkg.loaded = {}
pkg.preload = {}
pkg.loaders = {}
pkg.cpath = ""
pkg.path = ""
local keep = { _G = true }
for k in raw_next, _G do
  if not keep[k] then _G[k] = nil end
end
for k, v in raw_next, BASE do _G[k] = v end

return sandbox
"""
