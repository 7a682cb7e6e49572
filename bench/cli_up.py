"""``kedge up`` start-up and client command latency.

Run: ``python bench/cli_up.py [runs]``. Starts ``kedge up`` in a temporary data directory (cold:
a new cluster, CRDs, settings and the example; warm: the same directory again), then times
client commands against it in core mode and in API mode (median of ``runs``), and prints the
numbers with the ratio to their targets (cold start 10 s, warm 5 s, a command 1 s).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"cold start": 10.0, "warm start": 5.0, "command": 1.0}


def kedge_cmd() -> list[str]:
    exe = shutil.which("kedge")
    return [exe] if exe else [sys.executable, "-m", "kedge"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data: Path, port: int, env: dict[str, str]) -> tuple[subprocess.Popen, float, str]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*kedge_cmd(), "up", "--data-dir", str(data), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    password = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        if "Admin password:" in line:
            password = line.split(":", 1)[1].split()[0]
        if "Press Ctrl-C to stop." in line:
            return proc, time.perf_counter() - t0, password
    raise SystemExit(f"kedge up exited with {proc.wait()}")


def stop(proc: subprocess.Popen) -> float:
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    return time.perf_counter() - t0


def timed(args: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([*kedge_cmd(), *args], env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    tmp = Path(tempfile.mkdtemp(prefix="kedge-bench-up-"))
    env = {
        **os.environ,
        "HOME": str(tmp),
        "KEDGE_CONFIG": str(tmp / "config"),
        "KUBECONFIG": str(tmp / "data" / "kubeconfig"),
    }
    port = free_port()
    rows = []
    try:
        proc, cold, password = start(tmp / "data", port, env)
        try:
            rows.append(("cold start", cold, TARGETS["cold start"]))
            rows.append(("core: app list", timed(["app", "list", "--core"], env, runs), TARGETS["command"]))
            rows.append(
                ("core: app get", timed(["app", "get", "guestbook", "--core"], env, runs), TARGETS["command"])
            )
            rows.append(
                (
                    "core: app diff",
                    timed(["app", "diff", "guestbook", "--core", "--exit-code=false"], env, runs),
                    TARGETS["command"],
                )
            )
            subprocess.run(
                [
                    *kedge_cmd(),
                    "login",
                    f"localhost:{port}",
                    "--plaintext",
                    "--username",
                    "admin",
                    "--password",
                    password,
                ],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            rows.append(("api: app list", timed(["app", "list"], env, runs), TARGETS["command"]))
            rows.append(("api: app get", timed(["app", "get", "guestbook"], env, runs), TARGETS["command"]))
        finally:
            rows.append(("stop (SIGTERM)", stop(proc), TARGETS["warm start"]))
        proc, warm, _ = start(tmp / "data", port, env)
        rows.append(("warm start", warm, TARGETS["warm start"]))
        stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'measure':<18} {'seconds':>8} {'target':>7} {'ratio':>6}")
    for name, value, target in rows:
        print(f"{name:<18} {value:8.3f} {target:7.1f} {value / target:6.2f}")


if __name__ == "__main__":
    main()
