"""Text layouts of ``kedge app get|list|history|sync`` (Argo CD's ``argocd`` layouts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from kedge.cli.output import emit_table

LABEL_WIDTH = 20


def _kv(label: str, value: Any) -> str:
    return f"{label + ':':<{LABEL_WIDTH}}{'' if value is None else value}"


def short_rev(rev: str | None) -> str:
    if not rev:
        return ""
    return rev[:7] if len(rev) == 40 and all(c in "0123456789abcdef" for c in rev) else rev


def app_name(app: dict[str, Any]) -> str:
    meta = app.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name')}" if ns else str(meta.get("name"))


def sources_of(app: dict[str, Any]) -> list[dict[str, Any]]:
    spec = app.get("spec") or {}
    return list(spec.get("sources") or ([spec["source"]] if spec.get("source") else []))


def sync_policy(app: dict[str, Any]) -> str:
    policy = (app.get("spec") or {}).get("syncPolicy") or {}
    auto = policy.get("automated")
    if auto is None or auto.get("enabled") is False:
        return "Manual"
    extras = [x for x, on in (("Prune", auto.get("prune")), ("Self Heal", auto.get("selfHeal"))) if on]
    return "Automated" + (f" ({', '.join(extras)})" if extras else "")


def sync_status_text(app: dict[str, Any]) -> str:
    sync = (app.get("status") or {}).get("sync") or {}
    status = sync.get("status") or "Unknown"
    srcs = sources_of(app)
    target = (srcs[0].get("targetRevision") if srcs else None) or "HEAD"
    if len(srcs) > 1:
        return status
    rev = sync.get("revision")
    return f"{status} to {target}" + (f" ({short_rev(rev)})" if rev else "")


def destination(app: dict[str, Any]) -> tuple[str, str]:
    dest = (app.get("spec") or {}).get("destination") or {}
    return dest.get("server") or dest.get("name") or "", dest.get("namespace") or ""


def conditions_text(app: dict[str, Any]) -> str:
    conds = (app.get("status") or {}).get("conditions") or []
    counts: dict[str, int] = {}
    for c in conds:
        counts[c.get("type", "")] = counts.get(c.get("type", ""), 0) + 1
    return ",".join(f"{t}({n})" if n > 1 else t for t, n in counts.items()) or "<none>"


def list_rows(apps: list[dict[str, Any]]) -> tuple[list[list[Any]], list[str]]:
    headers = [
        "NAME",
        "CLUSTER",
        "NAMESPACE",
        "PROJECT",
        "STATUS",
        "HEALTH",
        "SYNCPOLICY",
        "CONDITIONS",
        "REPO",
        "PATH",
        "TARGET",
    ]
    rows = []
    for a in apps:
        st = a.get("status") or {}
        src = (sources_of(a) or [{}])[0]
        server, ns = destination(a)
        rows.append(
            [
                app_name(a),
                server,
                ns,
                (a.get("spec") or {}).get("project") or "default",
                (st.get("sync") or {}).get("status") or "Unknown",
                (st.get("health") or {}).get("status") or "Unknown",
                "Auto-Prune"
                if "Prune" in sync_policy(a)
                else ("Auto" if sync_policy(a) != "Manual" else "<none>"),
                conditions_text(a),
                src.get("repoURL", ""),
                src.get("path", "") or src.get("chart", ""),
                src.get("targetRevision", "") or "HEAD",
            ]
        )
    return rows, headers


def _duration(start: str | None, end: str | None) -> str:
    if not start:
        return ""
    try:
        a = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = dt.datetime.fromisoformat(end.replace("Z", "+00:00")) if end else dt.datetime.now(dt.UTC)
    except ValueError:
        return ""
    secs = int((b - a).total_seconds())
    return f"{secs // 60}m{secs % 60}s" if secs >= 60 else f"{secs}s"


def resource_rows(app: dict[str, Any]) -> list[list[Any]]:
    """GROUP KIND NAMESPACE NAME STATUS HEALTH HOOK MESSAGE: status.resources joined with the
    last operation's per-resource results (hooks appear only there)."""
    st = app.get("status") or {}
    results = ((st.get("operationState") or {}).get("syncResult") or {}).get("resources") or []
    by_key = {(r.get("group", ""), r.get("kind"), r.get("namespace", ""), r.get("name")): r for r in results}
    rows = []
    seen = set()
    for r in st.get("resources") or []:
        key = (r.get("group", ""), r.get("kind"), r.get("namespace", ""), r.get("name"))
        seen.add(key)
        res = by_key.get(key) or {}
        rows.append(
            [
                key[0],
                key[1],
                key[2],
                key[3],
                r.get("status", ""),
                (r.get("health") or {}).get("status", ""),
                res.get("hookType", ""),
                res.get("message", ""),
            ]
        )
    for key, res in by_key.items():
        if key in seen or not res.get("hookType"):
            continue
        rows.append(
            [
                key[0],
                key[1],
                key[2],
                key[3],
                res.get("hookPhase", ""),
                "",
                res.get("hookType", ""),
                res.get("message", ""),
            ]
        )
    return rows


def print_app(
    app: dict[str, Any],
    url_base: str = "",
    window: str | None = None,
    show_operation: bool = True,
    show_params: bool = False,
) -> None:
    """``argocd app get`` layout: summary, conditions, operation, resources."""
    spec = app.get("spec") or {}
    st = app.get("status") or {}
    server, ns = destination(app)
    lines = [
        _kv("Name", app_name(app)),
        _kv("Project", spec.get("project") or "default"),
        _kv("Server", server),
        _kv("Namespace", ns),
    ]
    if url_base:
        lines.append(_kv("URL", f"{url_base.rstrip('/')}/applications/{app['metadata']['name']}"))
    srcs = sources_of(app)
    lines.append("Sources:" if len(srcs) > 1 else "Source:")
    for s in srcs:
        lines.append(_kv("- Repo", s.get("repoURL", "")))
        lines.append(_kv("  Target", s.get("targetRevision", "") or "HEAD"))
        if s.get("path"):
            lines.append(_kv("  Path", s["path"]))
        if s.get("chart"):
            lines.append(_kv("  Chart", s["chart"]))
        if s.get("ref"):
            lines.append(_kv("  Ref", s["ref"]))
        if show_params and (s.get("helm") or {}).get("parameters"):
            for p in s["helm"]["parameters"]:
                lines.append(_kv("  Helm Parameter", f"{p.get('name')}={p.get('value')}"))
    if window:
        lines.append(_kv("SyncWindow", window))
    lines.append(_kv("Sync Policy", sync_policy(app)))
    lines.append(_kv("Sync Status", sync_status_text(app)))
    health = st.get("health") or {}
    lines.append(_kv("Health Status", health.get("status") or "Unknown"))
    click.echo("\n".join(lines))
    conds = st.get("conditions") or []
    if conds:
        click.echo()
        emit_table(
            [[c.get("type"), c.get("message"), c.get("lastTransitionTime", "")] for c in conds],
            ["CONDITION", "MESSAGE", "LAST TRANSITION"],
        )
    op = st.get("operationState")
    if show_operation and op:
        print_operation(op)
    rows = resource_rows(app)
    if rows:
        click.echo()
        emit_table(rows, ["GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"])


def print_operation(op: dict[str, Any]) -> None:
    click.echo()
    sync_result = op.get("syncResult") or {}
    revision = sync_result.get("revision") or ((op.get("operation") or {}).get("sync") or {}).get("revision")
    lines = [
        _kv("Operation", "Sync"),
        _kv("Sync Revision", revision or ""),
        _kv("Phase", op.get("phase", "")),
        _kv("Start", op.get("startedAt", "")),
        _kv("Finished", op.get("finishedAt", "")),
        _kv("Duration", _duration(op.get("startedAt"), op.get("finishedAt"))),
        _kv("Message", op.get("message", "")),
    ]
    click.echo("\n".join(lines))


def history_rows(app: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for h in (app.get("status") or {}).get("history") or []:
        src = h.get("source") or {}
        target = src.get("targetRevision") or "HEAD"
        rev = h.get("revision") or ",".join(h.get("revisions") or [])
        rows.append(
            [h.get("id"), _date(h.get("deployedAt")), f"{target} ({short_rev(rev)})" if rev else target]
        )
    return rows


def _date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S %z UTC")
    except ValueError:
        return value
