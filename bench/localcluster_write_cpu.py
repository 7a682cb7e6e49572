"""Server CPU seconds per 1,000 writes of the embedded local cluster (``python bench/localcluster_write_cpu.py``).

Wall-clock throughput is noisy on a shared machine; the CPU time the *server process* spends is
not. This starts ``kedge localcluster serve`` (in memory, and with ``--sqlite`` also persistent),
drives it over HTTPS from one keep-alive client and reads the server's user+system CPU from
``/proc/<pid>/stat`` around each phase: SSA create, SSA update, SSA no-op, POST create, merge
patch, list of all objects. Prints CPU s per 1,000 requests, the CPU-bound ceiling (req/s the
server could sustain on one core) and the measured wall-clock rate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from localcluster_bench import Server, configmap, deployment, request  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_split(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of process ``pid`` (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads)."""
    return sum(cpu_split(pid))


def wait_idle(pid: int, timeout: float = 60.0) -> None:
    """Wait until the server's start-up work (schema warm-up in the background) is done."""
    deadline = time.monotonic() + timeout
    last = cpu_of(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_of(pid)
        if now - last < 0.02:
            return
        last = now


def run(persistent: bool, n: int) -> dict[str, tuple[float, float, float]]:
    srv = Server(persistent=persistent)
    out: dict[str, tuple[float, float, float]] = {}
    try:
        wait_idle(srv.proc.pid)
        c = srv.conn()
        tok = srv.token
        for ns in ("apply", "bench"):
            body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
            request(c, tok, "POST", "/api/v1/namespaces", json.dumps(body).encode())

        def phase(label: str, reqs: list[tuple[str, str, bytes | None, str]], ok: tuple[int, ...]) -> None:
            (u0, s0), t0 = cpu_split(srv.proc.pid), time.perf_counter()
            for method, path, body, ctype in reqs:
                st, resp = request(c, tok, method, path, body, ctype)
                assert st in ok, (st, resp[:300])
            wall = time.perf_counter() - t0
            u1, s1 = cpu_split(srv.proc.pid)
            k = 1000 / len(reqs)
            out[label] = ((u1 - u0) * k, (s1 - s0) * k, len(reqs) / wall)

        apply_q = "?fieldManager=argocd-controller&force=true"
        for label, image in (
            ("SSA create", "nginx:1.25"),
            ("SSA update", "nginx:1.26"),
            ("SSA no-op", "nginx:1.26"),
        ):
            reqs = [
                (
                    "PATCH",
                    f"/apis/apps/v1/namespaces/apply/deployments/web-{i:05d}{apply_q}",
                    json.dumps(deployment(i, image)).encode(),
                    "application/apply-patch+yaml",
                )
                for i in range(n)
            ]
            phase(label, reqs, (200, 201))
        reqs = [
            (
                "POST",
                "/api/v1/namespaces/bench/configmaps",
                json.dumps(configmap(i)).encode(),
                "application/json",
            )
            for i in range(n)
        ]
        phase("create ConfigMap", reqs, (201,))
        reqs = [
            (
                "PATCH",
                f"/api/v1/namespaces/bench/configmaps/cm-{i:06d}",
                json.dumps({"data": {"patched": str(i)}}).encode(),
                "application/merge-patch+json",
            )
            for i in range(n)
        ]
        phase("merge-patch ConfigMap", reqs, (200,))
        reqs = [("GET", "/api/v1/namespaces/bench/configmaps", None, "application/json")] * 20
        phase("list all ConfigMaps (per 1,000 lists)", reqs, (200,))
    finally:
        srv.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--writes", type=int, default=2000)
    ap.add_argument("--sqlite", action="store_true", help="also run against a server persisting to SQLite")
    args = ap.parse_args()
    runs = [("memory", False)] + ([("SQLite", True)] if args.sqlite else [])
    print(f"{'phase':<46} {'CPU s/1k':>9} {'user':>6} {'sys':>6} {'CPU-bound req/s':>16} {'wall req/s':>11}")
    for store, persistent in runs:
        for label, (user_k, sys_k, wall_rate) in run(persistent, args.writes).items():
            cpu_k = user_k + sys_k
            ceiling = 1000 / cpu_k if cpu_k else float("inf")
            print(
                f"{label + ' (' + store + ')':<46} {cpu_k:>9.3f} {user_k:>6.3f} {sys_k:>6.3f}"
                f" {ceiling:>16,.0f} {wall_rate:>11,.0f}"
            )


if __name__ == "__main__":
    main()
