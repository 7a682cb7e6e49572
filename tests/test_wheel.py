"""The built wheel works on its own: installed into a fresh venv, not the source tree.

The venv uses ``--system-site-packages`` so dependencies are not downloaded again, but ``kedge``
itself must be imported from the wheel's copy inside the venv (asserted below).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(
    ".git", "__pycache__", "build", "dist", "*.egg-info", ".ruff_cache", ".pytest_cache", ".venv", "tests",
    "contrib", "artifacts", "*.pyc", "node_modules",
)  # fmt: skip


def run(*cmd: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    out = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}"
    return out


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    shutil.copytree(ROOT, src, ignore=IGNORE)  # a clean copy: the build never touches the working tree
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
        "--disable-pip-version-check", "-w", str(work / "dist"), str(src), cwd=work)  # fmt: skip
    wheels = list((work / "dist").glob("kedge_cd-*.whl"))
    assert len(wheels) == 1
    env = work / "venv"
    run(sys.executable, "-m", "venv", "--system-site-packages", str(env), cwd=work)
    run(str(env / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
        "--disable-pip-version-check", str(wheels[0]), cwd=work)  # fmt: skip
    return env


PROBE = """
import importlib.metadata as md, importlib.resources as res, json
import kedge, kedge.builtin, kedge.lualib
lua = res.files("kedge.lualib")
def walk(t, depth=0):
    for c in t.iterdir():
        if c.is_dir() and depth < 6:
            yield from walk(c, depth + 1)
        elif c.is_file():
            yield c.name
names = list(walk(lua))
print(json.dumps({
    "kedge": kedge.__file__, "builtin": kedge.builtin.__file__, "lualib": str(lua),
    "version": kedge.__version__, "dist_version": md.version("kedge-cd"),
    "lua_files": sum(n.endswith(".lua") for n in names), "yaml_files": sum(n.endswith(".yaml") for n in names),
    "has_health_dir": lua.joinpath("health").is_dir(), "has_actions_dir": lua.joinpath("actions").is_dir(),
}))
"""


@pytest.mark.slow
def test_wheel_installs_and_runs_from_a_fresh_venv(venv: Path, tmp_path: Path):
    py, kedge = str(venv / "bin" / "python"), str(venv / "bin" / "kedge")
    info = json.loads(run(py, "-c", PROBE, cwd=tmp_path).stdout)
    site = str(venv)
    assert info["kedge"].startswith(site), info  # from the wheel, not the editable source tree
    assert info["builtin"].startswith(site) and info["lualib"].startswith(site)
    assert info["version"] == info["dist_version"]
    assert info["has_health_dir"] and info["has_actions_dir"]
    # the built-in Lua library ships inside the wheel
    source_lua = len(list((ROOT / "lua").rglob("*.lua")))
    assert info["lua_files"] == source_lua and source_lua > 0
    version = json.loads(run(kedge, "version", "-o", "json", cwd=tmp_path).stdout)
    assert version["kedge"] == info["version"]
    listed = json.loads(run(kedge, "plugins", "list", "-o", "json", cwd=tmp_path).stdout)
    builtin = [p for p in listed["plugins"] if p["origin"] == "builtin"]
    assert builtin and all(p["distribution"] == "kedge-cd" for p in builtin)
    assert run(kedge, "--help", cwd=tmp_path).stdout.count("version") >= 1
