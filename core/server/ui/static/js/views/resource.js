// The side panel for one resource: summary, live and desired manifests, diff, events, actions.
import { html, useEffect, useMemo, useState } from "../html.js";
import { api, appPath, canI } from "../api.js";
import { Code, ErrorBox, HealthBadge, Loading, SyncBadge, notify, toYaml } from "../components.js";
import { Glyph, KindIcon } from "../icons.js";
import { diffLines, pathsOf, yamlLines } from "../diff.js";
import { ago, rbacObject } from "../status.js";
import { setQuery } from "../router.js";

function useLoad(fn, deps) {
  const [s, set] = useState({ data: null, error: null, loading: true });
  useEffect(() => {
    let live = true;
    set({ data: null, error: null, loading: true });
    fn().then((data) => live && set({ data, error: null, loading: false }), (error) => live && set({ data: null, error, loading: false }));
    return () => { live = false; };
  }, deps);
  return s;
}
const parse = (s) => { try { return s ? JSON.parse(s) : null; } catch { return null; } };
const resQuery = (r) => ({ namespace: r.namespace || "", resourceName: r.name, version: r.version || "", group: r.group || "", kind: r.kind });

/** Side-by-side diff. showIgnored: include fields left out of the comparison, greyed. */
export function Diff({ item }) {
  const [showIgnored, setShowIgnored] = useState(false);
  const rows = useMemo(() => {
    if (!item) return [];
    const live = parse(item.liveState);
    const nLive = parse(item.normalizedLiveState), pred = parse(item.predictedLiveState);
    const right = pred ? yamlLines(pred) : [];
    if (!showIgnored) return diffLines(nLive ? yamlLines(nLive) : [], right);
    // The whole live object on the left; what normalisation removed (ignoreDifferences,
    // server-set fields, status) is greyed and not counted as a change.
    const kept = pathsOf(nLive);
    return diffLines(live ? yamlLines(live).map((l) => ({ ...l, ignored: !kept.has(l.path) })) : [], right);
  }, [item, showIgnored]);
  if (!item) return html`<p class="muted">Not a managed resource: there is no desired state to compare with.</p>`;
  const changed = rows.filter((r) => r.kind !== "same" && !(r.left?.ignored || r.right?.ignored)).length;
  const cell = (l, side, kind) => html`<td class=${"ln " + (l ? (l.ignored ? "ignored" : kind === "same" ? "" : side === "l" ? (kind === "add" ? "" : "del") : kind === "del" ? "" : "add") : "blank")}>${l ? l.text : ""}</td>`;
  return html`<div class="diff-head"><span id="diff-summary">${changed ? `${changed} changed line${changed > 1 ? "s" : ""}` : "No differences"}</span>
      <label class="check"><input type="checkbox" checked=${showIgnored} onChange=${(e) => setShowIgnored(e.target.checked)} /> Show fields left out of the comparison (greyed)</label></div>
    <div class="diff-scroll" tabindex="0" aria-label="Diff: live (left) and desired (right)"><table class="diff" id="diff-table">
      <thead><tr><th>Live</th><th>Desired</th></tr></thead>
      <tbody>${rows.map((r, i) => html`<tr key=${i} class=${"row-" + r.kind}>${cell(r.left, "l", r.kind)}${cell(r.right, "r", r.kind)}</tr>`)}</tbody>
    </table></div>`;
}

function Actions({ app, node }) {
  const r = node.ref;
  const [busy, setBusy] = useState("");
  const [err, setErr] = useState(null);
  const [allowed, setAllowed] = useState({});
  const [params, setParams] = useState({});
  const s = useLoad(() => api(appPath(app.metadata.name, "/resource/actions"), { query: resQuery(r) }), [node.id]);
  useEffect(() => {
    (s.data?.actions || []).forEach((a) => canI("applications", `action/${r.group || ""}/${r.kind}/${a.name}`, rbacObject(app)).then((ok) => setAllowed((x) => ({ ...x, [a.name]: ok }))));
  }, [s.data]);
  if (s.loading) return html`<${Loading} what="actions" />`;
  if (s.error) return s.error.status === 404 ? html`<p class="muted">The resource does not exist in the cluster: no actions.</p>` : html`<${ErrorBox} error=${s.error} />`;
  const actions = s.data.actions || [];
  if (!actions.length) return html`<p class="muted">No resource actions for ${r.kind}.</p>`;
  const run = async (a) => {
    setBusy(a.name); setErr(null);
    const values = (a.params || []).map((p) => ({ name: p.name, value: (params[a.name] || {})[p.name] ?? p.default ?? "" }));
    try {
      await api(appPath(app.metadata.name, "/resource/actions/v2"), { method: "POST", query: resQuery(r), body: { action: a.name, resourceActionParameters: values } });
      notify(`Action ${a.name} ran on ${r.kind} ${r.name}`, "success");
    } catch (e) { setErr({ action: a.name, e }); } finally { setBusy(""); }
  };
  return html`<div class="action-list">${actions.map((a) => {
    const reason = a.disabled ? "The action is not available in the resource's current state" : allowed[a.name] === false ? `You may not run action ${a.name} (RBAC)` : "";
    return html`<div class="action-row" key=${a.name}>
      <button class="btn" data-action=${a.name} disabled=${!!reason || busy === a.name || allowed[a.name] === undefined} title=${reason} onClick=${() => run(a)}>
        <${Glyph} name="play" /> ${a.displayName || a.name}${busy === a.name ? "…" : ""}</button>
      ${(a.params || []).map((p) => html`<label class="inline small" key=${p.name}>${p.name}<input size="8" data-param=${a.name + "." + p.name} value=${(params[a.name] || {})[p.name] ?? p.default ?? ""}
        onInput=${(e) => setParams({ ...params, [a.name]: { ...(params[a.name] || {}), [p.name]: e.target.value } })} /></label>`)}
      ${reason ? html`<span class="muted small">${reason}</span>` : null}
      ${err && err.action === a.name ? html`<${ErrorBox} error=${err.e} />` : null}</div>`;
  })}</div>`;
}

function Events({ app, node }) {
  const r = node.ref;
  const s = useLoad(() => api(appPath(app.metadata.name, "/events"), { query: { resourceName: r.name, resourceNamespace: r.namespace || "", resourceUID: r.uid || "" } }), [node.id]);
  if (s.loading) return html`<${Loading} what="events" />`;
  if (s.error) return html`<${ErrorBox} error=${s.error} />`;
  const items = s.data.items || [];
  if (!items.length) return html`<p class="muted">No events.</p>`;
  return html`<table class="table"><thead><tr><th>Type</th><th>Reason</th><th>Message</th><th>Count</th><th>Last seen</th></tr></thead>
    <tbody>${items.slice().reverse().map((e, i) => html`<tr key=${i} class=${e.type === "Warning" ? "warn-row" : ""}><td>${e.type}</td><td>${e.reason}</td><td>${e.message}</td><td>${e.count || 1}</td><td>${ago(e.lastTimestamp || e.eventTime)}</td></tr>`)}</tbody></table>`;
}

function Manifest({ app, node, which, managed }) {
  const r = node.ref;
  const s = useLoad(() => (which === "live"
    ? api(appPath(app.metadata.name, "/resource"), { query: resQuery(r) }).then((x) => parse(x.manifest), (e) => (e.status === 404 ? null : Promise.reject(e)))
    : Promise.resolve(managed ? parse(managed.targetState) : null)), [node.id, which, managed]);
  if (s.loading) return html`<${Loading} what="manifest" />`;
  if (s.error) return html`<${ErrorBox} error=${s.error} />`;
  if (!s.data) return html`<p class="muted">${which === "live" ? "The resource does not exist in the cluster." : "No desired manifest: the resource is not managed from Git."}</p>`;
  return html`<${Code} text=${toYaml(s.data)} label=${which + " manifest"} />`;
}

export function ResourcePanel({ app, node, tab, onClose }) {
  const r = node.ref;
  useEffect(() => {
    const key = (e) => { if (e.key === "Escape" && !document.querySelector(".modal")) onClose(); };
    document.addEventListener("keydown", key);
    return () => document.removeEventListener("keydown", key);
  }, [onClose]);
  const isManaged = node.managed;
  const m = useLoad(() => (isManaged
    ? api(appPath(app.metadata.name, "/managed-resources"), { query: { group: r.group || "", kind: r.kind, namespace: r.namespace || "", name: r.name } }).then((x) => (x.items || [])[0] || null)
    : Promise.resolve(null)), [node.id, app.metadata.resourceVersion]);
  const tabs = [["summary", "Summary"], ["live", "Live manifest"], ["desired", "Desired manifest"], ["diff", "Diff"], ["events", "Events"], ["actions", "Actions"]];
  const t = tabs.some(([k]) => k === tab) ? tab : "summary";
  const st = (app.status?.resources || []).find((x) => x.kind === r.kind && x.name === r.name && (x.namespace || "") === (r.namespace || ""));
  let body;
  if (t === "summary") body = html`<dl class="kv">
      <dt>Kind</dt><dd>${r.kind}</dd><dt>Name</dt><dd>${r.name}</dd><dt>Namespace</dt><dd>${r.namespace || "—"}</dd>
      <dt>API version</dt><dd>${r.group ? r.group + "/" : ""}${r.version || ""}</dd>
      ${node.health ? html`<dt>Health</dt><dd><${HealthBadge} status=${node.health} message=${node.healthMessage} /> ${node.healthMessage || st?.health?.message || ""}</dd>` : null}
      ${node.sync ? html`<dt>Sync</dt><dd><${SyncBadge} status=${node.sync} /></dd>` : null}
      ${st?.syncWave !== undefined ? html`<dt>Sync wave</dt><dd>${st.syncWave}</dd>` : null}
      ${r.createdAt ? html`<dt>Created</dt><dd>${ago(r.createdAt)}</dd>` : null}
      ${r.images ? html`<dt>Images</dt><dd>${r.images.join(", ")}</dd>` : null}
      ${!isManaged ? html`<dt>Owner</dt><dd>${(r.parentRefs || []).map((p) => p.kind + " " + p.name).join(", ")}</dd>` : null}
    </dl>`;
  else if (t === "live") body = html`<${Manifest} app=${app} node=${node} which="live" />`;
  else if (t === "desired") body = m.loading ? html`<${Loading} />` : html`<${Manifest} app=${app} node=${node} which="desired" managed=${m.data} />`;
  else if (t === "diff") body = m.loading ? html`<${Loading} what="diff" />` : m.error ? html`<${ErrorBox} error=${m.error} />` : html`<${Diff} item=${m.data} />`;
  else if (t === "events") body = html`<${Events} app=${app} node=${node} />`;
  else body = html`<${Actions} app=${app} node=${node} />`;
  return html`<aside class="panel" aria-label=${`${r.kind} ${r.name}`} id="resource-panel">
    <header class="panel-head"><${KindIcon} kind=${r.kind} size="36" /><div><div class="muted small">${r.kind}</div><h2 class="ellipsis">${r.name}</h2></div>
      <button class="btn ghost" aria-label="Close panel" onClick=${onClose}><${Glyph} name="close" /></button></header>
    <div class="tabs" role="tablist">${tabs.map(([k, label]) => html`<button role="tab" key=${k} data-tab=${k} aria-selected=${k === t} class=${"tab" + (k === t ? " on" : "")}
      disabled=${!isManaged && (k === "desired" || k === "diff")} title=${!isManaged && (k === "desired" || k === "diff") ? "Not managed from Git: owned by another resource" : ""}
      onClick=${() => setQuery({ tab: k })}>${label}</button>`)}</div>
    <div class="panel-body">${body}</div></aside>`;
}
