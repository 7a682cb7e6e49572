"""CLI start-up time: ``kedge --help`` and ``kedge version`` (target: < 0.3 s each, median).

Run: ``python bench/cli_startup.py [runs]``. Prints the median, min and max wall time per command
and the ratio to the 0.3 s target; with ``--importtime`` also the ten slowest imports of each.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

TARGET = 0.3
COMMANDS = (["--help"], ["version"], ["admin", "settings", "--help"], ["plugins", "list"])


def kedge_cmd() -> list[str]:
    exe = shutil.which("kedge")
    return [exe] if exe else [sys.executable, "-m", "kedge"]


def measure(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(kedge_cmd() + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return times


def slowest_imports(args: list[str], n: int = 10) -> list[tuple[int, str]]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kedge", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (p.strip() for p in line[len("import time:") :].split("|"))
            if cumulative.isdigit():
                rows.append((int(cumulative), name))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    runs = int(next((a for a in sys.argv[1:] if a.isdigit()), "15"))
    floor = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        floor.append(time.perf_counter() - t0)
    print(f"python -c pass: {statistics.median(floor):.3f} s median (interpreter start-up floor)")
    print(f"{'command':32} {'median':>8} {'min':>8} {'max':>8} {'vs 0.3s':>8}")
    for args in COMMANDS:
        times = measure(args, runs)
        med = statistics.median(times)
        label = "kedge " + " ".join(args)
        print(f"{label:32} {med:8.3f} {min(times):8.3f} {max(times):8.3f} {med / TARGET:7.2f}x")
    if "--importtime" in sys.argv:
        for args in COMMANDS[:2]:
            print(f"\nslowest imports for kedge {' '.join(args)} (cumulative µs):")
            for us, name in slowest_imports(args):
                print(f"  {us:8d}  {name}")


if __name__ == "__main__":
    main()
