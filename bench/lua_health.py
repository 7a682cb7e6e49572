"""Health assessment throughput and memory: Lua (warm and cold) vs the Python built-ins.

Run: python bench/lua_health.py [--quick]

Rates are the best of several rounds (the machine may be shared). Prints evaluations per second on one core for a realistic Deployment, the per-call split between
converting the object to a Lua table and running the script, RSS with 10,000 cached compiled
scripts and 50,000 objects, and throughput with 2 worker threads (one runtime per thread).
"""

from __future__ import annotations

import copy
import resource
import sys
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = yaml.safe_load((ROOT / "tests" / "fixtures" / "lua" / "deployment.yaml").read_text())

# A Deployment health check in the style of real argocd-cm scripts (the same rules as the built-in).
HEALTH_LUA = """
local hs = {}
if obj.spec.paused == true then
  hs.status = "Suspended"; hs.message = "Deployment is paused"; return hs
end
local gen = obj.metadata.generation or 0
local st = obj.status or {}
if gen > (st.observedGeneration or 0) then
  hs.status = "Progressing"
  hs.message = "Waiting for rollout to finish: observed deployment generation less then desired generation"
  return hs
end
if st.conditions ~= nil then
  for _, c in ipairs(st.conditions) do
    if c.type == "Progressing" and c.reason == "ProgressDeadlineExceeded" then
      hs.status = "Degraded"; hs.message = "Deployment exceeded its progress deadline"; return hs
    end
  end
end
local updated = st.updatedReplicas or 0
if obj.spec.replicas ~= nil and updated < obj.spec.replicas then
  hs.status = "Progressing"
  hs.message = "Waiting for rollout to finish: " .. updated .. " out of " .. obj.spec.replicas .. " new replicas have been updated..."
  return hs
end
if (st.availableReplicas or 0) < updated then
  hs.status = "Progressing"; hs.message = "Waiting for rollout to finish"; return hs
end
hs.status = "Healthy"; hs.message = ""
return hs
"""


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rate(fn, n: int, repeats: int = 7) -> tuple[float, float]:
    """Best of ``repeats`` rounds (the machine is shared: the best round is the least disturbed)."""
    for _ in range(min(200, n)):
        fn()
    per_round = max(n // repeats, 1)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(per_round):
            fn()
        best = min(best, (time.perf_counter() - t) / per_round)
    return 1 / best, best * 1e6


def memory(ov) -> None:
    from kedge.health import assess
    from kedge.lua import runtime

    rt = runtime()
    print("== memory (fresh process state) ==")
    assess(DEPLOY, ov)
    base = rss_mb()
    lua_base = rt.lua.get_memory_used()
    print(f"RSS at start of memory test: {base:8.1f} MB")
    scripts = 10_000
    for i in range(scripts):
        rt.compile(HEALTH_LUA + f"\n-- cached {i}\n", "mem")
    after_scripts = rss_mb()
    lua_scripts = rt.lua.get_memory_used() - lua_base
    print(
        f"RSS with {rt.cached_scripts():,} cached compiled scripts: {after_scripts:8.1f} MB "
        f"(+{after_scripts - base:.1f} MB; Lua heap +{lua_scripts / 1024 / 1024:.1f} MB, "
        f"{lua_scripts / 1024 / scripts:.1f} KB/script)"
    )
    objs = [copy.deepcopy(DEPLOY) for _ in range(50_000)]
    for i, o in enumerate(objs):
        o["metadata"]["name"] = f"app-{i}"
        assess(o, ov)
    after_objs = rss_mb()
    print(
        f"RSS with 50,000 Deployment objects (each assessed by Lua): {after_objs:8.1f} MB "
        f"(+{after_objs - after_scripts:.1f} MB, {(after_objs - after_scripts) * 1024 / 50_000:.1f} KB/object)"
    )
    print(f"Lua runtime memory in use: {rt.lua.get_memory_used() / 1024 / 1024:.1f} MB")
    del objs
    rt.clear_cache()
    print()


def main() -> None:
    quick = "--quick" in sys.argv
    n = 20_000 if quick else 100_000
    from kedge.health import ResourceOverrides, assess
    from kedge.lua import runtime
    from kedge.lua.scripts import run_health_script

    ov = ResourceOverrides.from_configmap({"resource.customizations.health.apps_Deployment": HEALTH_LUA})
    assert assess(DEPLOY, ov) == {"status": "Healthy", "message": ""}, assess(DEPLOY, ov)
    rt = runtime()
    memory(ov)

    print("== health evaluations per second (one core, realistic Deployment) ==")
    py_rate, py_us = rate(lambda: assess(DEPLOY), n * 5)
    print(f"Python built-in (assess, no overrides):      {py_rate:>10,.0f}/s  {py_us:6.2f} us/call")
    lua_rate, lua_us = rate(lambda: assess(DEPLOY, ov), n)
    print(f"Lua override, warm (assess, full path):      {lua_rate:>10,.0f}/s  {lua_us:6.2f} us/call")
    _, conv_us = rate(lambda: rt.to_lua(DEPLOY), n)
    lobj = rt.to_lua(DEPLOY)
    _, script_us = rate(
        lambda: rt.call(HEALTH_LUA, DEPLOY, script_key="bench", resource="bench", lua_obj=lobj), n
    )
    print(f"  split: object -> Lua table conversion       {conv_us:6.2f} us/call")
    print(f"         script run (sandbox env, hook, call)  {script_us:6.2f} us/call")
    print(
        f"         rest (lookup, result read-back)       {max(lua_us - conv_us - script_us, 0):6.2f} us/call"
    )

    cold_n = 2_000 if quick else 10_000
    sources = [HEALTH_LUA + f"\n-- variant {i}\n" for i in range(cold_n)]
    t = time.perf_counter()
    for src in sources:
        run_health_script(src, DEPLOY, "cold", False)
    d = time.perf_counter() - t
    print(
        f"Lua cold (first call per script, compile):   {cold_n / d:>10,.0f}/s  {d / cold_n * 1e6:6.2f} us/call"
    )
    print(f"ratio warm Lua / Python built-in: 1 : {py_rate / lua_rate:.1f}")

    print("\n== two worker threads: one LuaRuntime per thread vs one shared runtime + lock ==")
    per_thread = n // 2

    def work():
        for _ in range(per_thread):
            assess(DEPLOY, ov)

    for threads in (1, 2):
        ts = [threading.Thread(target=work) for _ in range(threads)]
        t = time.perf_counter()
        for th in ts:
            th.start()
        for th in ts:
            th.join()
        d = time.perf_counter() - t
        print(
            f"{threads} thread(s), runtime per thread: {threads * per_thread / d:>10,.0f} Lua assessments/s"
        )

    from kedge.lua.sandbox import Runtime

    shared = Runtime()
    lock = threading.Lock()

    def work_shared():
        for _ in range(per_thread):
            with lock:
                res = shared.call(HEALTH_LUA, DEPLOY, script_key="shared", resource="bench")
                _ = (res["status"], res["message"])

    ts = [threading.Thread(target=work_shared) for _ in range(2)]
    t = time.perf_counter()
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    d = time.perf_counter() - t
    print(f"2 thread(s), shared runtime + lock: {2 * per_thread / d:>10,.0f} Lua calls/s")

    target = "OK" if lua_rate >= 20_000 and py_rate >= 200_000 else "BELOW TARGET"
    print(f"\ntargets (>= 20,000/s warm Lua, >= 200,000/s Python built-in): {target}")


if __name__ == "__main__":
    main()
