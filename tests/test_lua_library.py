"""Kedge's own Lua health library (lua/health/): every health_test.yaml case, on several Lua engines.

Each ``lua/health/<group>/<Kind>/health_test.yaml`` (Argo CD's layout) lists objects under
``testdata/`` and the ``{status, message}`` its ``health.lua`` must return. Every case runs on
several lupa engines (Lua 5.1, 5.4, 5.5 and LuaJIT 2.1) to prove the scripts are portable across
gopher-lua-like and 5.x engines, through Kedge's own sandbox (``kedge.lua.run_health_script``),
and through the health framework's lookup (``kedge.health.assess``), which must find each script
by the object's group/Kind (exact or wildcard directory) and must never apply the opt-in generic
check unasked.

The layout itself is checked too: at least 40 kinds, every testdata file used, every object's
apiVersion/kind matching its directory, every status a script can return covered by a case,
and no construct that only some engines accept (``goto``, ``//``, bit operators, ``table.getn``).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kedge.health import ResourceOverrides, assess
from kedge.lua import run_health_script

HEALTH_DIR = Path(__file__).resolve().parent.parent / "lua" / "health"
GENERIC_DIR = HEALTH_DIR / "_generic"
STATUSES = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")
ENGINES = ("lua51", "lua54", "lua55", "luajit21")


def _test_files() -> list[Path]:
    return sorted(HEALTH_DIR.rglob("health_test.yaml"))


def _cases() -> list[tuple[str, Path, dict[str, Any]]]:
    cases = []
    for test_file in _test_files():
        spec = yaml.safe_load(test_file.read_text())
        for index, case in enumerate(spec["tests"]):
            rel = test_file.parent.relative_to(HEALTH_DIR).as_posix()
            cases.append((f"{rel}#{index}:{Path(case['inputPath']).stem}", test_file.parent, case))
    return cases


CASES = _cases()


# --- a small local harness on lupa, independent of kedge.lua -------------------------------------


class LupaHarness:
    """Runs a health script the way Argo CD's VM does: global ``obj``, result table read back."""

    def __init__(self, engine: str) -> None:
        module = importlib.import_module(f"lupa.{engine}")
        self.runtime = module.LuaRuntime(unpack_returned_tuples=True, register_eval=False)
        self.engine = engine

    def to_lua(self, value: Any) -> Any:
        if isinstance(value, dict):
            return self.runtime.table_from({k: self.to_lua(v) for k, v in value.items() if v is not None})
        if isinstance(value, list):
            return self.runtime.table_from([self.to_lua(v) for v in value])
        return value

    def run(self, script: str, obj: dict[str, Any]) -> dict[str, Any] | None:
        self.runtime.globals().obj = self.to_lua(obj)
        result = self.runtime.execute(script)
        if result is None:
            return None
        return {"status": result["status"], "message": result["message"]}


_harnesses: dict[str, LupaHarness] = {}


def harness(engine: str) -> LupaHarness:
    if engine not in _harnesses:
        _harnesses[engine] = LupaHarness(engine)
    return _harnesses[engine]


def _load_case(directory: Path, case: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    script = (directory / "health.lua").read_text()
    obj = yaml.safe_load((directory / case["inputPath"]).read_text())
    return script, obj


def _expected(case: dict[str, Any]) -> dict[str, str]:
    hs = case["healthStatus"]
    return {"status": hs["status"], "message": hs.get("message", "")}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case_id,directory,case", CASES, ids=[c[0] for c in CASES])
def test_case_on_lupa_engine(engine: str, case_id: str, directory: Path, case: dict[str, Any]) -> None:
    script, obj = _load_case(directory, case)
    result = harness(engine).run(script, obj)
    assert result is not None, f"{case_id}: script returned nil"
    assert result == _expected(case), f"{case_id} on {engine}"


# --- the real engine: Kedge's sandbox, and the health framework's lookup ------------------------


@pytest.mark.parametrize("case_id,directory,case", CASES, ids=[c[0] for c in CASES])
def test_case_on_kedge_sandbox(case_id: str, directory: Path, case: dict[str, Any]) -> None:
    script, obj = _load_case(directory, case)
    key = f"lua/health/{directory.relative_to(HEALTH_DIR).as_posix()}/health.lua"
    assert run_health_script(script, obj, key=key) == _expected(case), case_id


LIBRARY_CASES = [c for c in CASES if GENERIC_DIR not in c[1].parents]
GENERIC_CASES = [c for c in CASES if GENERIC_DIR in c[1].parents]


@pytest.mark.parametrize("case_id,directory,case", LIBRARY_CASES, ids=[c[0] for c in LIBRARY_CASES])
def test_framework_finds_library_check(case_id: str, directory: Path, case: dict[str, Any]) -> None:
    """kedge.health.assess picks the library script (exact or wildcard directory) by group/Kind."""
    _, obj = _load_case(directory, case)
    result = assess(obj, None, raise_errors=True)
    if obj["metadata"].get("deletionTimestamp"):
        assert result == {"status": "Progressing", "message": "Pending deletion"}, case_id
    else:
        assert result == _expected(case), case_id


@pytest.mark.parametrize("case_id,directory,case", GENERIC_CASES, ids=[c[0] for c in GENERIC_CASES])
def test_generic_check_as_argocd_cm_override(case_id: str, directory: Path, case: dict[str, Any]) -> None:
    """The generic script works as a plain resource.customizations.health.<group_Kind> override."""
    script, obj = _load_case(directory, case)
    group = obj["apiVersion"].rpartition("/")[0]
    key = f"resource.customizations.health.{group}_{obj['kind']}"
    overrides = ResourceOverrides.from_configmap({key: script})
    assert assess(obj, overrides, raise_errors=True) == _expected(case), case_id
    assert assess(obj, None) is None, f"{case_id}: the generic check must stay opt-in"


# --- layout and coverage --------------------------------------------------------------------------


def _kind_dirs() -> list[Path]:
    return sorted(p.parent for p in HEALTH_DIR.rglob("health.lua") if GENERIC_DIR not in p.parents)


def test_library_covers_at_least_40_kinds() -> None:
    dirs = _kind_dirs()
    assert len(dirs) >= 40, [d.relative_to(HEALTH_DIR).as_posix() for d in dirs]


@pytest.mark.parametrize("directory", _kind_dirs() + [GENERIC_DIR / "conditions"], ids=lambda p: p.name)
def test_every_status_a_script_returns_is_tested(directory: Path) -> None:
    script = (directory / "health.lua").read_text()
    code = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    returned = set(re.findall(r'status\s*=\s*"(\w+)"', code))
    assert returned, f"{directory}: no literal statuses found"
    assert returned <= set(STATUSES), f"{directory}: invalid status in {returned}"
    spec = yaml.safe_load((directory / "health_test.yaml").read_text())
    tested = {t["healthStatus"]["status"] for t in spec["tests"]}
    assert returned - tested == set(), f"{directory}: statuses without a test case"
    used = {Path(t["inputPath"]).name for t in spec["tests"]}
    on_disk = {p.name for p in (directory / "testdata").glob("*.yaml")}
    assert on_disk == used, f"{directory}: testdata files not referenced: {on_disk - used}"


@pytest.mark.parametrize("directory", _kind_dirs(), ids=lambda p: p.relative_to(HEALTH_DIR).as_posix())
def test_testdata_matches_directory(directory: Path) -> None:
    group, kind = directory.relative_to(HEALTH_DIR).parts
    for path in (directory / "testdata").glob("*.yaml"):
        obj = yaml.safe_load(path.read_text())
        assert obj["metadata"]["name"], path
        api_group = obj["apiVersion"].rpartition("/")[0]
        if group.startswith("_."):
            assert api_group.endswith(group[1:]), path
        else:
            assert api_group == group, path
        if kind != "_":
            assert obj["kind"] == kind, path


_NON_PORTABLE = {
    "goto": re.compile(r"\bgoto\b|::\w+::"),
    "integer division": re.compile(r"//"),
    "bit operators": re.compile(r"[^~=<>]~[^=]|<<|>>|\bbit32?\."),
    "table.getn": re.compile(r"table\.getn|table\.setn"),
    "unpack": re.compile(r"\b(table\.)?unpack\b"),
    "setfenv/getfenv": re.compile(r"\b[sg]etfenv\b"),
}


@pytest.mark.parametrize("directory", _kind_dirs() + [GENERIC_DIR / "conditions"], ids=lambda p: p.name)
def test_scripts_use_only_portable_lua(directory: Path) -> None:
    script = (directory / "health.lua").read_text()
    code = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    code = re.sub(r'"(\\.|[^"\\])*"', '""', code)
    for what, pattern in _NON_PORTABLE.items():
        assert not pattern.search(code), f"{directory}/health.lua uses {what}"


def test_generic_check_needs_no_open_libs() -> None:
    """Pasted into argocd-cm without useOpenLibs, a script sees no string/math libraries."""
    script = (GENERIC_DIR / "conditions" / "health.lua").read_text()
    code = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    assert not re.search(r"\b(string|math|os|io)\.", code)


@pytest.mark.parametrize("case_id,directory,case", GENERIC_CASES, ids=[c[0] for c in GENERIC_CASES])
def test_generic_check_opt_in_key(case_id: str, directory: Path, case: dict[str, Any]) -> None:
    """argocd-cm ``kedge.health.genericConditions`` enables the generic check for listed globs."""
    _, obj = _load_case(directory, case)
    group = obj["apiVersion"].rpartition("/")[0]
    overrides = ResourceOverrides.from_configmap({"kedge.health.genericConditions": f"- {group}/*\n"})
    assert assess(obj, overrides, raise_errors=True) == _expected(case), case_id
    other = ResourceOverrides.from_configmap({"kedge.health.genericConditions": "- other.example.org/*\n"})
    assert assess(obj, other) is None, case_id


def test_library_check_wins_over_generic_opt_in() -> None:
    directory = HEALTH_DIR / "cert-manager.io" / "Certificate"
    obj = yaml.safe_load((directory / "testdata" / "issuance_failed.yaml").read_text())
    overrides = ResourceOverrides.from_configmap({"kedge.health.genericConditions": "- '*/*'\n"})
    result = assess(obj, overrides, raise_errors=True)
    assert result is not None and result["status"] == "Degraded"
    assert result["message"].startswith("The certificate request has failed to complete")


def test_docs_list_every_kind() -> None:
    doc = (HEALTH_DIR.parent.parent / "docs" / "health-library.md").read_text()
    for directory in _kind_dirs():
        assert f"| `{directory.relative_to(HEALTH_DIR).as_posix()}` |" in doc, directory


def test_harness_detects_a_wrong_expectation() -> None:
    """The harness is not vacuous: a script returning another status fails the comparison."""
    result = harness("lua51").run('return {status="Degraded", message="boom"}', {"kind": "X"})
    assert result == {"status": "Degraded", "message": "boom"}
    assert result != {"status": "Healthy", "message": "boom"}
