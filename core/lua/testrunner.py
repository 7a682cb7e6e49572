"""``kedge lua test``: run Argo CD-style ``health_test.yaml`` and ``action_test.yaml`` files.

Layout (Argo CD's ``resource_customizations``)::

    <group>/<Kind>/health.lua
    <group>/<Kind>/health_test.yaml      tests: [{inputPath, healthStatus: {status, message}}]
    <group>/<Kind>/actions/discovery.lua
    <group>/<Kind>/actions/<name>/action.lua
    <group>/<Kind>/actions/action_test.yaml
        discoveryTests: [{inputPath, result: [{name, disabled, iconClass?, displayName?, params?}]}]
        actionTests: [{action, inputPath, parameters?, expectedOutputPath | expectedErrorMessage}]

Paths in a test file are relative to its directory. Scripts run exactly as in the controller
(same sandbox, standard libraries on, as for built-in scripts).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from kedge.errors import KedgeError

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
PLACEHOLDER_TIME = "0001-01-01T00:00:00Z"


@dataclass
class CaseResult:
    """One test case: ``file`` (relative to the tested directory), ``case`` (a short label)."""

    file: str
    case: str
    type: str  # health | discovery | action
    passed: bool
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class TestFileError(KedgeError):
    """A test file or its test data cannot be read."""


def find_test_files(root: Path) -> list[Path]:
    files = [*root.rglob("health_test.yaml"), *root.rglob("action_test.yaml")]
    return sorted(p for p in files if p.is_file())


def _load_yaml(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TestFileError(f"{what} {path}: cannot read: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TestFileError(f"{what} {path}: invalid YAML: {exc}") from None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def run_tests(root: Path) -> list[CaseResult]:
    """Run every test file under ``root`` (a directory, or a single test file)."""
    root = root.resolve()
    files = [root] if root.is_file() else find_test_files(root)
    base = root.parent if root.is_file() else root
    results: list[CaseResult] = []
    for f in files:
        rel = _rel(f, base)
        try:
            if f.name == "health_test.yaml":
                results.extend(_run_health_file(f, rel))
            else:
                results.extend(_run_action_file(f, rel))
        except KedgeError as exc:
            results.append(CaseResult(rel, "<file>", "file", False, str(exc)))
    return results


# -- health -----------------------------------------------------------------------------------
def _run_health_file(path: Path, rel: str) -> list[CaseResult]:
    from kedge.lua.scripts import run_health_script

    spec = _load_yaml(path, "test file")
    tests = (spec or {}).get("tests") if isinstance(spec, dict) else None
    if not isinstance(tests, list):
        raise TestFileError(f"test file {path}: expected a 'tests' list")
    script_path = path.parent / "health.lua"
    try:
        source = script_path.read_text(encoding="utf-8")
    except OSError:
        raise TestFileError(f"test file {path}: no health.lua next to it") from None
    key = rel.rsplit("/", 1)[0] + "/health.lua" if "/" in rel else "health.lua"
    out = []
    for i, test in enumerate(tests):
        label = f"#{i} {test.get('inputPath', '?') if isinstance(test, dict) else '?'}"
        try:
            if not isinstance(test, dict) or not test.get("inputPath"):
                raise TestFileError(f"tests[{i}] needs an inputPath")
            want = test.get("healthStatus") or {}
            obj = _load_yaml(path.parent / test["inputPath"], "test input")
            if not isinstance(obj, dict):
                raise TestFileError(f"test input {test['inputPath']}: not a Kubernetes object")
            got = run_health_script(source, obj, key, True)
            expected = {"status": want.get("status"), "message": want.get("message") or ""}
            actual = {"status": None, "message": ""} if got is None else got
            if actual == expected:
                out.append(CaseResult(rel, label, "health", True))
            else:
                out.append(
                    CaseResult(
                        rel,
                        label,
                        "health",
                        False,
                        f"expected {expected['status']} {expected['message']!r}, "
                        f"got {actual['status']} {actual['message']!r}",
                    )
                )
        except KedgeError as exc:
            out.append(CaseResult(rel, label, "health", False, str(exc)))
    return out


# -- actions ----------------------------------------------------------------------------------
def _params(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return {str(p["name"]): str(p.get("value", "")) for p in raw if isinstance(p, dict) and "name" in p}
    raise TestFileError("parameters must be a map or a list of {name, value}")


def _run_action_file(path: Path, rel: str) -> list[CaseResult]:
    from kedge.actions.engine import directory_scripts, run_action_script, run_discovery_script

    spec = _load_yaml(path, "test file")
    if not isinstance(spec, dict):
        raise TestFileError(f"test file {path}: expected discoveryTests and/or actionTests")
    label_dir = rel.rsplit("/", 1)[0] if "/" in rel else "."
    scripts = directory_scripts(path.parent, label_dir)
    if scripts is None:
        raise TestFileError(f"test file {path}: no discovery.lua or <action>/action.lua next to it")
    out = []
    for i, test in enumerate(spec.get("discoveryTests") or []):
        label = f"discovery #{i} {test.get('inputPath', '?') if isinstance(test, dict) else '?'}"
        try:
            if not isinstance(test, dict) or not test.get("inputPath"):
                raise TestFileError(f"discoveryTests[{i}] needs an inputPath")
            if not scripts.discovery:
                raise TestFileError("no discovery.lua")
            obj = _load_yaml(path.parent / test["inputPath"], "test input")
            found = run_discovery_script(scripts.discovery, obj, scripts.discovery_key, True)
            problem = _compare_discovery(found, test.get("result") or [])
            out.append(CaseResult(rel, label, "discovery", problem is None, problem or ""))
        except KedgeError as exc:
            out.append(CaseResult(rel, label, "discovery", False, str(exc)))
    for i, test in enumerate(spec.get("actionTests") or []):
        name = test.get("action", "?") if isinstance(test, dict) else "?"
        label = f"action #{i} {name} {test.get('inputPath', '?') if isinstance(test, dict) else '?'}"
        try:
            if not isinstance(test, dict) or not test.get("inputPath") or not test.get("action"):
                raise TestFileError(f"actionTests[{i}] needs action and inputPath")
            if name not in scripts.actions:
                raise TestFileError(f"no {name}/action.lua")
            obj = _load_yaml(path.parent / test["inputPath"], "test input")
            source, key = scripts.actions[name]
            want_error = test.get("expectedErrorMessage")
            try:
                result = run_action_script(source, obj, key, _params(test.get("parameters")), True)
            except KedgeError as exc:
                if want_error and str(want_error) in str(exc):
                    out.append(CaseResult(rel, label, "action", True))
                    continue
                raise
            if want_error:
                out.append(
                    CaseResult(rel, label, "action", False, f"expected an error containing {want_error!r}")
                )
                continue
            if not test.get("expectedOutputPath"):
                raise TestFileError(f"actionTests[{i}] needs expectedOutputPath or expectedErrorMessage")
            expected = _load_yaml(path.parent / test["expectedOutputPath"], "expected output")
            problem = _compare_action(obj, result, expected)
            out.append(CaseResult(rel, label, "action", problem is None, problem or ""))
        except KedgeError as exc:
            out.append(CaseResult(rel, label, "action", False, str(exc)))
    return out


def _compare_discovery(found: dict[str, dict[str, Any]], expected: list[Any]) -> str | None:
    """Every discovered action must be listed in ``result`` (as Argo CD's tests check); fields
    missing from an expected entry are not compared, except ``disabled`` (default false)."""
    by_name = {e.get("name"): e for e in expected if isinstance(e, dict)}
    problems = []
    for name, action in found.items():
        exp = by_name.get(name)
        if exp is None:
            problems.append(f"unexpected action {name!r}")
            continue
        if bool(exp.get("disabled", False)) != action["disabled"]:
            problems.append(
                f"{name}: disabled is {action['disabled']}, expected {bool(exp.get('disabled', False))}"
            )
        for field in ("iconClass", "displayName", "params"):
            if field in exp and exp[field] != action.get(field):
                problems.append(f"{name}: {field} is {action.get(field)!r}, expected {exp[field]!r}")
    missing = sorted(n for n in by_name if n not in found)
    if missing:
        problems.append(f"missing action(s): {', '.join(map(str, missing))}")
    return "; ".join(problems) or None


def _expected_list(expected: Any) -> list[tuple[str | None, dict]]:
    if isinstance(expected, dict):
        return [(None, expected)]
    if isinstance(expected, list):
        out = []
        for item in expected:
            if isinstance(item, dict) and "unstructuredObj" in item:  # Argo CD's format
                out.append((item.get("k8sOperation"), item["unstructuredObj"]))
            elif isinstance(item, dict) and "resource" in item:
                out.append((item.get("operation"), item["resource"]))
        return out
    raise TestFileError("expected output must be an object or a list of {operation, resource}")


def _ident(o: dict) -> tuple[Any, Any, Any]:
    meta = o.get("metadata") or {}
    return (o.get("kind"), meta.get("name"), meta.get("namespace"))


def _normalize(o: dict) -> dict:
    o = copy.deepcopy(o)
    kind = o.get("kind")
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        ann = (((o.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("annotations")
        if isinstance(ann, dict) and RESTARTED_AT in ann:
            ann[RESTARTED_AT] = PLACEHOLDER_TIME
    if kind == "Rollout" and isinstance(o.get("spec"), dict):
        o["spec"].pop("restartAt", None)
    if kind in ("ExternalSecret", "PushSecret"):
        ann = (o.get("metadata") or {}).get("annotations")
        if isinstance(ann, dict) and "force-sync" in ann:
            ann["force-sync"] = PLACEHOLDER_TIME
    return o


def _compare_action(source: dict, result: list[dict[str, Any]], expected: Any) -> str | None:
    wanted = _expected_list(expected)
    problems = []
    for item in result:
        got = item["resource"]
        gk, gn, gns = _ident(got)
        match = None
        for _op, exp in wanted:
            ek, en, ens = _ident(exp)
            if ek != gk or ens != gns:
                continue
            generated = item["operation"] == "create" and isinstance(gn, str) and isinstance(en, str)
            if en == gn or (
                generated
                and gn.startswith(_ident(source)[1] or "\0")
                and en.startswith(_ident(source)[1] or "\0")
            ):
                match = exp
                break
        if match is None:
            problems.append(f"{item['operation']} {gk} {gn}: not in the expected output")
            continue
        g = _normalize(got)
        e = _normalize(match)
        if item["operation"] == "create":
            g.setdefault("metadata", {})["name"] = (e.get("metadata") or {}).get("name")
        if g != e:
            problems.append(f"{item['operation']} {gk} {gn}: {_first_difference(e, g)}")
    if len(result) != len(wanted):
        problems.append(f"the action returned {len(result)} resource(s), expected {len(wanted)}")
    return "; ".join(problems) or None


def _first_difference(expected: Any, got: Any, path: str = "") -> str:
    if isinstance(expected, dict) and isinstance(got, dict):
        for k in list(expected) + [k for k in got if k not in expected]:
            if k not in got:
                return f"{path}/{k} is missing (expected {expected[k]!r})"
            if k not in expected:
                return f"{path}/{k} is unexpected ({got[k]!r})"
            if expected[k] != got[k]:
                return _first_difference(expected[k], got[k], f"{path}/{k}")
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for i, (a, b) in enumerate(zip(expected, got, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{i}]")
    return f"{path or '/'} is {got!r}, expected {expected!r}"
