"""Semantic checks Argo CD applies beyond the schema (run on the raw document).

The checks are tolerant of wrong types: a field with the wrong type is reported by the schema
pass, and skipped here, so the user sees every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kedge.model.messages import show
from kedge.settings.durations import is_go_duration

Problem = tuple[str, str]

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_ROLE_NAME = re.compile(r"^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$")
_SYNC_OPTION = re.compile(r"^[A-Za-z][A-Za-z0-9]*=\S.*$")
_KEY_ID = re.compile(r"^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{40})$")
_SOURCE_TOOLS = ("helm", "kustomize", "directory", "plugin")
API_VERSION = "argoproj.io/v1alpha1"


def _d(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list:
    return value if isinstance(value, list) else []


def _missing(value: Any) -> bool:
    return value is None or value == ""


def check_metadata(doc: dict, what: str) -> list[Problem]:
    out: list[Problem] = []
    if doc.get("apiVersion") != API_VERSION:
        out.append(("apiVersion", f'expected "{API_VERSION}", got {show(doc.get("apiVersion"))}'))
    meta = doc.get("metadata")
    if meta is None:
        return out + [("metadata.name", "required field is missing")]
    if not isinstance(meta, dict):
        return out
    name = meta.get("name")
    if _missing(name):
        out.append(("metadata.name", "required field is missing"))
    elif isinstance(name, str) and (len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name)):
        out.append(
            (
                "metadata.name",
                f"expected a DNS-1123 subdomain ({what} names use lowercase letters, digits, '-' and '.'), "
                f"got {show(name)}",
            )
        )
    return out


def check_source(src: Any, path: str, refs: set[str] | None = None) -> list[Problem]:
    out: list[Problem] = []
    if not isinstance(src, dict):
        return out
    if _missing(src.get("repoURL")):
        out.append((f"{path}.repoURL", "required field is missing"))
    tools = [t for t in _SOURCE_TOOLS if src.get(t) is not None]
    if len(tools) > 1:
        out.append(
            (path, f"expected at most one of helm, kustomize, directory or plugin, got {', '.join(tools)}")
        )
    if src.get("chart") is not None and src.get("path") is not None:
        out.append((path, "expected chart (Helm repository) or path (Git), not both"))
    helm = _d(src.get("helm"))
    if refs is not None:
        for i, vf in enumerate(_l(helm.get("valueFiles"))):
            if isinstance(vf, str) and vf.startswith("$"):
                ref = vf[1:].split("/", 1)[0]
                if ref not in refs:
                    known = ", ".join(sorted(refs)) or "none"
                    out.append(
                        (
                            f"{path}.helm.valueFiles[{i}]",
                            f"expected a reference to a source with ref (known: {known}), got {show(vf)}",
                        )
                    )
    return out


def check_app_spec(spec: Any, path: str = "spec", template: bool = False) -> list[Problem]:
    """Checks for ``Application.spec``; a template (ApplicationSet) skips the "required" ones."""
    out: list[Problem] = []
    if spec is None:
        return [] if template else [(path, "required field is missing")]
    if not isinstance(spec, dict):
        return out
    source, sources = spec.get("source"), spec.get("sources")
    if source is not None and sources is not None:
        out.append((path, "expected either source or sources, not both"))
    elif source is None and not sources and not template and spec.get("sourceHydrator") is None:
        out.append((f"{path}.source", "required field is missing (set source or sources)"))
    refs: set[str] = set()
    for i, s in enumerate(_l(sources)):
        ref = _d(s).get("ref")
        if isinstance(ref, str) and ref:
            if ref in refs:
                out.append((f"{path}.sources[{i}].ref", f"expected a unique name, got {show(ref)} twice"))
            refs.add(ref)
    if source is not None:
        if isinstance(source, dict) and source.get("ref") is not None:
            out.append((f"{path}.source.ref", "expected ref only in sources (multiple sources)"))
        out += check_source(source, f"{path}.source")
    for i, s in enumerate(_l(sources)):
        out += check_source(s, f"{path}.sources[{i}]", refs)

    dest = spec.get("destination")
    if dest is None:
        if not template:
            out.append((f"{path}.destination", "required field is missing"))
    elif isinstance(dest, dict):
        has_server, has_name = not _missing(dest.get("server")), not _missing(dest.get("name"))
        if has_server and has_name:
            out.append((f"{path}.destination", "expected server or name, not both"))
        elif not has_server and not has_name and not template:
            out.append((f"{path}.destination", "expected server or name, got neither"))
    project = spec.get("project")
    if not template and _missing(project):
        out.append((f"{path}.project", "required field is missing"))
    elif isinstance(project, str) and "{{" not in project and not _DNS1123_SUBDOMAIN.match(project):
        out.append(
            (f"{path}.project", f"expected an AppProject name (a DNS-1123 subdomain), got {show(project)}")
        )

    policy = _d(spec.get("syncPolicy"))
    for i, opt in enumerate(_l(policy.get("syncOptions"))):
        if isinstance(opt, str) and not _SYNC_OPTION.match(opt):
            out.append((f"{path}.syncPolicy.syncOptions[{i}]", f'expected "Name=value", got {show(opt)}'))
    retry = _d(policy.get("retry"))
    limit = retry.get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit < -1:
        out.append((f"{path}.syncPolicy.retry.limit", f"expected -1 (unlimited) or more, got {limit}"))
    backoff = _d(retry.get("backoff"))
    for key in ("duration", "maxDuration"):
        val = backoff.get(key)
        if isinstance(val, str) and not is_go_duration(val):
            out.append(
                (
                    f"{path}.syncPolicy.retry.backoff.{key}",
                    f'expected a duration such as "5s" or "3m", got {show(val)}',
                )
            )
    factor = backoff.get("factor")
    if isinstance(factor, int) and not isinstance(factor, bool) and factor < 1:
        out.append((f"{path}.syncPolicy.retry.backoff.factor", f"expected 1 or more, got {factor}"))

    for i, ign in enumerate(_l(spec.get("ignoreDifferences"))):
        if isinstance(ign, dict):
            if _missing(ign.get("kind")):
                out.append((f"{path}.ignoreDifferences[{i}].kind", "required field is missing"))
            for j, ptr in enumerate(_l(ign.get("jsonPointers"))):
                if isinstance(ptr, str) and not ptr.startswith("/"):
                    out.append(
                        (
                            f"{path}.ignoreDifferences[{i}].jsonPointers[{j}]",
                            f'expected a JSON pointer starting with "/", got {show(ptr)}',
                        )
                    )
    rhl = spec.get("revisionHistoryLimit")
    if isinstance(rhl, int) and not isinstance(rhl, bool) and rhl < 0:
        out.append((f"{path}.revisionHistoryLimit", f"expected 0 or more, got {rhl}"))
    for i, info in enumerate(_l(spec.get("info"))):
        if isinstance(info, dict) and _missing(info.get("name")):
            out.append((f"{path}.info[{i}].name", "required field is missing"))
    return out


def check_application(doc: dict) -> list[Problem]:
    return check_metadata(doc, "Application") + check_app_spec(doc.get("spec"))


def _check_policy(policy: str, path: str, project: str, role: str) -> list[Problem]:
    parts = [p.strip() for p in policy.split(",")]
    if len(parts) != 6 or parts[0] != "p":
        return [
            (
                path,
                f'expected "p, proj:{project}:{role}, <resource>, <action>, <object>, allow|deny", got {show(policy)}',
            )
        ]
    out: list[Problem] = []
    subject = f"proj:{project}:{role}"
    if parts[1] != subject:
        out.append((path, f'expected the subject "{subject}", got {show(parts[1])}'))
    if not parts[4].startswith(f"{project}/"):
        out.append(
            (path, f'expected an object in project "{project}" ("{project}/<app>"), got {show(parts[4])}')
        )
    if parts[5] not in ("allow", "deny"):
        out.append((path, f'expected the effect "allow" or "deny", got {show(parts[5])}'))
    return out


def _check_window(w: dict, path: str) -> list[Problem]:
    out: list[Problem] = []
    kind = w.get("kind")
    if kind is None:
        out.append((f"{path}.kind", "required field is missing"))
    elif isinstance(kind, str) and kind not in ("allow", "deny"):
        out.append((f"{path}.kind", f'expected "allow" or "deny", got {show(kind)}'))
    sched = w.get("schedule")
    if sched is None:
        out.append((f"{path}.schedule", "required field is missing"))
    elif isinstance(sched, str) and not _valid_cron(sched):
        out.append((f"{path}.schedule", f'expected a cron schedule such as "0 22 * * *", got {show(sched)}'))
    dur = w.get("duration")
    if dur is None:
        out.append((f"{path}.duration", "required field is missing"))
    elif isinstance(dur, str) and not is_go_duration(dur):
        out.append((f"{path}.duration", f'expected a duration such as "1h" or "30m", got {show(dur)}'))
    tz = w.get("timeZone")
    if isinstance(tz, str) and tz and not _valid_zone(tz):
        out.append((f"{path}.timeZone", f'expected an IANA time zone such as "Europe/Paris", got {show(tz)}'))
    if not any(_l(w.get(k)) for k in ("applications", "namespaces", "clusters")):
        out.append((path, "expected at least one of applications, namespaces or clusters"))
    return out


def _valid_cron(expr: str) -> bool:
    from croniter import croniter

    return (
        len(expr.split()) == 5 and croniter.is_valid(expr) or expr.startswith("@") and croniter.is_valid(expr)
    )


def _valid_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_project(doc: dict) -> list[Problem]:
    out = check_metadata(doc, "AppProject")
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return out
    project = _d(doc.get("metadata")).get("name") or ""
    # A bad project or role name is reported once, not again in every policy line naming it.
    project_ok = isinstance(project, str) and bool(_DNS1123_SUBDOMAIN.match(project))
    for i, dest in enumerate(_l(spec.get("destinations"))):
        if isinstance(dest, dict) and _missing(dest.get("server")) and _missing(dest.get("name")):
            out.append((f"spec.destinations[{i}]", "expected server or name, got neither"))
    for i, repo in enumerate(_l(spec.get("sourceRepos"))):
        if repo == "":
            out.append((f"spec.sourceRepos[{i}]", 'expected a repository URL or glob such as "*", got ""'))
    for key in (
        "clusterResourceWhitelist",
        "clusterResourceBlacklist",
        "namespaceResourceWhitelist",
        "namespaceResourceBlacklist",
    ):
        for i, gk in enumerate(_l(spec.get(key))):
            if isinstance(gk, dict):
                for field in ("group", "kind"):
                    if gk.get(field) is None:
                        out.append((f"spec.{key}[{i}].{field}", "required field is missing"))
    seen_roles: set[str] = set()
    for i, role in enumerate(_l(spec.get("roles"))):
        if not isinstance(role, dict):
            continue
        rname = role.get("name")
        rpath = f"spec.roles[{i}]"
        if _missing(rname):
            out.append((f"{rpath}.name", "required field is missing"))
            continue
        if not isinstance(rname, str):
            continue
        if not _ROLE_NAME.match(rname):
            out.append(
                (
                    f"{rpath}.name",
                    f"expected letters, digits, '-' and '_' (starting and ending alphanumeric), got {show(rname)}",
                )
            )
            continue
        if rname in seen_roles:
            out.append((f"{rpath}.name", f"expected a unique role name, got {show(rname)} twice"))
        seen_roles.add(rname)
        for j, pol in enumerate(_l(role.get("policies"))):
            if isinstance(pol, str) and project_ok:
                out += _check_policy(pol, f"{rpath}.policies[{j}]", project, rname)
    for i, w in enumerate(_l(spec.get("syncWindows"))):
        if isinstance(w, dict):
            out += _check_window(w, f"spec.syncWindows[{i}]")
    for i, key in enumerate(_l(spec.get("signatureKeys"))):
        kid = _d(key).get("keyID")
        if kid is None and isinstance(key, dict):
            out.append((f"spec.signatureKeys[{i}].keyID", "required field is missing"))
        elif isinstance(kid, str) and not _KEY_ID.match(kid):
            out.append(
                (
                    f"spec.signatureKeys[{i}].keyID",
                    f"expected a 16 or 40 hex digit GnuPG key ID, got {show(kid)}",
                )
            )
    return out


def _check_generator(gen: Any, path: str, depth: int = 0) -> list[Problem]:
    """One generator entry: exactly one generator key; matrix/merge need their child generators."""
    if not isinstance(gen, dict):
        return []
    keys = [k for k in gen if k not in ("selector", "values")]
    if len(keys) != 1:
        return [(path, f"expected exactly one generator, got {', '.join(keys) or 'none'}")]
    kind = keys[0]
    body = gen[kind]
    out: list[Problem] = []
    if kind in ("matrix", "merge") and isinstance(body, dict):
        children = body.get("generators")
        count = len(children) if isinstance(children, list) else 0
        if kind == "matrix" and count != 2:
            out.append((f"{path}.matrix.generators", f"expected exactly 2 child generators, got {count}"))
        if kind == "merge":
            if count < 2:
                out.append((f"{path}.merge.generators", f"expected at least 2 child generators, got {count}"))
            if not _l(body.get("mergeKeys")):
                out.append((f"{path}.merge.mergeKeys", "required field is missing"))
        if depth < 2:
            for j, child in enumerate(_l(children)):
                out += _check_generator(child, f"{path}.{kind}.generators[{j}]", depth + 1)
    return out


_APPSET_SYNC = ("create-only", "create-update", "create-delete", "sync")


def check_applicationset(doc: dict) -> list[Problem]:
    out = check_metadata(doc, "ApplicationSet")
    spec = doc.get("spec")
    if spec is None:
        return out + [("spec", "required field is missing")]
    if not isinstance(spec, dict):
        return out
    gens = spec.get("generators")
    if gens is None or gens == []:
        out.append(("spec.generators", "expected at least one generator"))
    for i, gen in enumerate(_l(gens)):
        out += _check_generator(gen, f"spec.generators[{i}]")
    if spec.get("template") is None and not spec.get("templatePatch"):
        out.append(("spec.template", "required field is missing"))
    else:
        out += check_app_spec(_d(spec.get("template")).get("spec"), "spec.template.spec", template=True)
    strategy = _d(spec.get("strategy"))
    stype = strategy.get("type")
    if isinstance(stype, str) and stype not in ("AllAtOnce", "RollingSync"):
        out.append(("spec.strategy.type", f'expected "AllAtOnce" or "RollingSync", got {show(stype)}'))
    if stype == "RollingSync" and not _l(_d(strategy.get("rollingSync")).get("steps")):
        out.append(("spec.strategy.rollingSync.steps", "expected at least one step for RollingSync"))
    sync = _d(spec.get("syncPolicy")).get("applicationsSync")
    if isinstance(sync, str) and sync not in _APPSET_SYNC:
        out.append(
            (
                "spec.syncPolicy.applicationsSync",
                f"expected one of {', '.join(_APPSET_SYNC)}, got {show(sync)}",
            )
        )
    return out


CHECKS: dict[str, Callable[[dict], list[Problem]]] = {
    "Application": check_application,
    "AppProject": check_project,
    "ApplicationSet": check_applicationset,
}
