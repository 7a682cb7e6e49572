// Application details: header with actions, status, source and revision, conditions, the
// resource tree (graph or list), the last operation's results, and the history with rollback.
import { html, useEffect, useRef, useState } from "../html.js";
import { api, appPath, watchApps } from "../api.js";
import { setQuery, navigate } from "../router.js";
import { ActionButton, ErrorBox, HealthBadge, Loading, OpBadge, SyncBadge, notify } from "../components.js";
import { Glyph, HealthIcon, KindIcon, SyncIcon } from "../icons.js";
import { ago, autoSyncOf, fmtTime, rbacObject, resKey, shortRev, sourcesOf } from "../status.js";
import { TreeGraph, buildTree } from "./tree.js";
import { ResourcePanel } from "./resource.js";
import { DeleteDialog, SyncDialog } from "./dialogs.js";
import { AppEditor } from "./editor.js";

const revCache = new Map();
function useRevision(name, rev) {
  const [meta, set] = useState(null);
  useEffect(() => {
    if (!rev) return;
    const key = name + "@" + rev;
    if (!revCache.has(key)) revCache.set(key, api(appPath(name, `/revisions/${encodeURIComponent(rev)}/metadata`)).catch((e) => ({ error: e.message })));
    let live = true;
    revCache.get(key).then((m) => live && set(m));
    return () => { live = false; };
  }, [name, rev]);
  return meta;
}

function Revision({ name, rev, id }) {
  const m = useRevision(name, rev);
  if (!rev) return html`<span class="muted">—</span>`;
  return html`<span class="rev" id=${id}><code title=${rev}>${shortRev(rev)}</code>
    ${m && !m.error ? html` <span class="commit-msg">${(m.message || "").split("\n")[0]}</span> <span class="muted">${m.author || ""}${m.date ? " · " + ago(m.date) : ""}</span>` : null}
    ${m && m.error ? html` <span class="muted" title=${m.error}>(no commit details)</span>` : null}</span>`;
}

function Header({ app, setDialog, onRefresh, refreshing }) {
  const obj = rbacObject(app);
  const op = app.status?.operationState;
  const running = op && (op.phase === "Running" || op.phase === "Terminating");
  return html`<header class="toolbar app-toolbar">
    <a href="/applications" class="crumb">Applications</a><span class="muted">/</span><h1 id="app-name">${app.metadata.name}</h1>
    <div class="toolbar-actions">
      <${ActionButton} id="btn-sync" cls="primary" perm=${["applications", "sync", obj]} disabledReason=${running ? "An operation is already running" : ""} onClick=${() => setDialog("sync")}><${Glyph} name="sync" /> Sync</${ActionButton}>
      <${ActionButton} id="btn-refresh" perm=${["applications", "get", obj]} disabledReason=${refreshing ? "Refreshing…" : ""} onClick=${() => onRefresh(false)} title="Refresh (compare with Git)"><${Glyph} name="refresh" /> Refresh</${ActionButton}>
      <${ActionButton} id="btn-hard-refresh" perm=${["applications", "get", obj]} disabledReason=${refreshing ? "Refreshing…" : ""} onClick=${() => onRefresh(true)} title="Hard refresh (regenerate manifests, skipping the cache)">Hard refresh</${ActionButton}>
      <${ActionButton} id="btn-history" perm=${["applications", "get", obj]} onClick=${() => setQuery({ view: "history" })}><${Glyph} name="history" /> History</${ActionButton}>
      <${ActionButton} id="btn-terminate" perm=${["applications", "sync", obj]} disabledReason=${running ? "" : "No operation is running"} onClick=${async () => {
        try { await api(appPath(app.metadata.name, "/operation"), { method: "DELETE" }); notify("Terminating the operation", "success"); } catch (e) { notify(e.message, "error"); }
      }}><${Glyph} name="stop" /> Terminate</${ActionButton}>
      <${ActionButton} id="btn-edit" perm=${["applications", "update", obj]} onClick=${() => setDialog("edit")}><${Glyph} name="edit" /> Edit</${ActionButton}>
      <${ActionButton} id="btn-delete" cls="danger-outline" perm=${["applications", "delete", obj]} onClick=${() => setDialog("delete")}><${Glyph} name="trash" /> Delete</${ActionButton}>
    </div></header>`;
}

function StatusCards({ app }) {
  const st = app.status || {};
  const op = st.operationState;
  const src = sourcesOf(app)[0] || {};
  const dest = app.spec?.destination || {};
  const synced = st.sync?.revision || (st.sync?.revisions || [])[0];
  return html`<section class="cards" aria-label="Status">
    <div class="card"><h3>App health</h3><div id="app-health"><${HealthBadge} status=${st.health?.status} /></div><p class="muted small">${st.health?.message || ""}</p></div>
    <div class="card"><h3>Sync status</h3><div id="app-sync"><${SyncBadge} status=${st.sync?.status} /> <span class="muted small">${autoSyncOf(app) ? "auto-sync on" : "manual sync"}</span></div>
      <p class="small">To <${Revision} name=${app.metadata.name} rev=${synced} id="sync-revision-meta" /></p></div>
    <div class="card"><h3>Last operation</h3>${op ? html`<div id="app-op"><${OpBadge} phase=${op.phase} /> <span class="muted small">${op.operation?.initiatedBy?.automated ? "auto" : op.operation?.initiatedBy?.username || ""} · ${ago(op.finishedAt || op.startedAt)}</span></div>
      <p class="small ellipsis2" title=${op.message}>${op.message || ""}</p>` : html`<p class="muted">No operation yet</p>`}</div>
    <div class="card"><h3>Source</h3><p class="small ellipsis" title=${src.repoURL}>${src.repoURL || src.chart}</p><p class="small">${src.path || src.chart || ""} @ ${src.targetRevision || "HEAD"}</p>
      <p class="small muted">→ ${dest.name || dest.server} / ${dest.namespace || ""}</p></div>
  </section>`;
}

function Conditions({ app }) {
  const c = app.status?.conditions || [];
  if (!c.length) return null;
  return html`<section class="conditions" aria-label="Conditions">${c.map((x, i) => html`<div key=${i} class=${"notice " + (/Error|Warning/.test(x.type) ? "error" : "info")}><b>${x.type}</b>: ${x.message} <span class="muted small">${ago(x.lastTransitionTime)}</span></div>`)}</section>`;
}

function ResourceList({ app, tree, onSelect, selected }) {
  const root = buildTree(app, tree, new Set(["*"]));
  const rows = [];
  const walk = (n, depth) => { if (n.id !== "app") rows.push([n, depth]); (n.group || n.children).forEach((c) => walk(c, depth + 1)); };
  walk(root, 0);
  const waves = new Map((app.status?.resources || []).map((r) => [resKey(r), r.syncWave]));
  return html`<table class="table res-table" id="resource-list"><thead><tr><th>Kind</th><th>Name</th><th>Namespace</th><th>Health</th><th>Sync</th><th>Wave</th></tr></thead>
    <tbody>${rows.map(([n, d]) => html`<tr key=${n.id} class=${n.id === selected ? "selected" : ""}>
      <td style=${{ paddingLeft: 8 + (d - 1) * 18 + "px" }}><${KindIcon} kind=${n.kind} size="20" /> ${n.kind}</td>
      <td><button class="linklike" onClick=${() => onSelect(n)}>${n.name}</button></td><td>${n.namespace || ""}</td>
      <td>${n.health ? html`<${HealthIcon} status=${n.health} /> ${n.health}` : ""}</td><td>${n.sync ? html`<${SyncIcon} status=${n.sync} /> ${n.sync}` : ""}</td><td>${waves.get(n.id) ?? ""}</td></tr>`)}</tbody></table>`;
}

function Operation({ app }) {
  const op = app.status?.operationState;
  if (!op) return html`<p class="muted">No operation has run yet.</p>`;
  const res = op.syncResult?.resources || [];
  const waves = new Map((app.status?.resources || []).map((r) => [resKey(r), r.syncWave]));
  return html`<div id="operation"><dl class="kv"><dt>Phase</dt><dd><${OpBadge} phase=${op.phase} /></dd><dt>Message</dt><dd>${op.message || ""}</dd>
    <dt>Started</dt><dd>${fmtTime(op.startedAt)}</dd><dt>Finished</dt><dd>${fmtTime(op.finishedAt) || "—"}</dd>
    <dt>Revision</dt><dd><${Revision} name=${app.metadata.name} rev=${op.syncResult?.revision || op.operation?.sync?.revision} /></dd>
    <dt>Options</dt><dd>${[op.operation?.sync?.prune && "prune", op.operation?.sync?.dryRun && "dry run", ...(op.operation?.sync?.syncOptions || [])].filter(Boolean).join(", ") || "—"}</dd></dl>
    <table class="table"><thead><tr><th>Phase</th><th>Wave</th><th>Kind</th><th>Namespace</th><th>Name</th><th>Result</th><th>Hook</th><th>Message</th></tr></thead>
    <tbody>${res.map((r, i) => html`<tr key=${i}><td>${r.syncPhase || "Sync"}</td><td>${waves.get(resKey(r)) ?? (r.hookType ? "" : 0)}</td><td>${r.kind}</td><td>${r.namespace || ""}</td><td>${r.name}</td>
      <td class=${"result-" + r.status}>${r.status}</td><td>${r.hookType ? `${r.hookType}: ${r.hookPhase || ""}` : ""}</td><td class="small">${r.message || ""}</td></tr>`)}</tbody></table></div>`;
}

function History({ app }) {
  const [busy, setBusy] = useState(null);
  const [error, setError] = useState(null);
  const hist = (app.status?.history || []).slice().reverse();
  const current = hist[0]?.id;
  const auto = autoSyncOf(app);
  if (!hist.length) return html`<p class="muted">No deployments yet.</p>`;
  const rollback = async (h) => {
    if (!confirm(`Roll back ${app.metadata.name} to deployment ${h.id} (${shortRev(h.revision)})?`)) return;
    setBusy(h.id); setError(null);
    try { await api(appPath(app.metadata.name, "/rollback"), { method: "POST", body: { name: app.metadata.name, id: h.id } }); notify(`Rolling back to deployment ${h.id}`, "success"); setQuery({ view: null }); }
    catch (e) { setError({ id: h.id, e }); } finally { setBusy(null); }
  };
  return html`<table class="table" id="history"><thead><tr><th>ID</th><th>Deployed</th><th>Revision</th><th>By</th><th></th></tr></thead>
    <tbody>${hist.map((h) => html`<tr key=${h.id} data-history=${h.id}><td>${h.id}</td><td title=${fmtTime(h.deployedAt)}>${ago(h.deployedAt)}</td>
      <td><${Revision} name=${app.metadata.name} rev=${h.revision} /></td><td>${h.initiatedBy?.username || (h.initiatedBy?.automated ? "auto-sync" : "")}</td>
      <td><${ActionButton} cls="small" perm=${["applications", "sync", rbacObject(app)]} disabledReason=${h.id === current ? "This is the current deployment" : auto ? "Rollback is not possible while auto-sync is enabled" : busy ? "Working…" : ""} onClick=${() => rollback(h)}>Rollback</${ActionButton}>
      ${error && error.id === h.id ? html`<${ErrorBox} error=${error.e} />` : null}</td></tr>`)}</tbody></table>`;
}

export function AppDetails({ name, query }) {
  const [app, setApp] = useState(null);
  const [tree, setTree] = useState(null);
  const [error, setError] = useState(null);
  const [stream, setStream] = useState("live");
  const [dialog, setDialog] = useState(null);
  const [refreshing, setRefreshing] = useState(false);
  const treeTimer = useRef(null);
  const loadTree = () => api(appPath(name, "/resource-tree")).then((t) => setTree(t.nodes || [])).catch((e) => setError(e));
  useEffect(() => {
    setApp(null); setTree(null); setError(null);
    api(appPath(name)).then(setApp, setError);
    loadTree();
    const stop = watchApps({ name }, (type, a) => {
      if (type === "DELETED") { notify(`${name} was deleted`, "info"); navigate("/applications"); return; }
      setApp(a);
      // The tree changes with the app; refresh it at most every second.
      if (!treeTimer.current) treeTimer.current = setTimeout(() => { treeTimer.current = null; loadTree(); }, 700);
    }, setStream);
    return () => { stop(); clearTimeout(treeTimer.current); treeTimer.current = null; };
  }, [name]);
  if (error && !app) return html`<div class="page"><${ErrorBox} error=${error} /><a href="/applications">Back to applications</a></div>`;
  if (!app) return html`<${Loading} what=${name} />`;
  const view = query.get("view") || "tree";
  const selId = query.get("resource");
  const nodes = tree || [];
  let selected = null;
  if (selId) {
    const root = buildTree(app, nodes, new Set());
    const find = (n) => (n.id === selId ? n : [...(n.group || []), ...n.children].map(find).find(Boolean));
    selected = find(root);
  }
  const select = (n) => setQuery({ resource: n ? n.id : null, tab: null }, { replace: false });
  const refresh = async (hard) => {
    setRefreshing(true);
    try { setApp(await api(appPath(name), { query: { refresh: hard ? "hard" : "normal" } })); loadTree(); }
    catch (e) { notify(e.message, "error"); } finally { setRefreshing(false); }
  };
  const tabs = [["tree", "Tree", "tree"], ["list", "List", "list"], ["operation", "Last operation", "sync"], ["history", "History", "history"]];
  return html`<div class="page app-page">
    <${Header} app=${app} setDialog=${setDialog} onRefresh=${refresh} refreshing=${refreshing} />
    ${stream === "reconnecting" ? html`<div class="notice warn" role="status" id="reconnecting">Live updates lost — reconnecting…</div>` : null}
    <${StatusCards} app=${app} />
    <${Conditions} app=${app} />
    <div class="tabs view-tabs" role="tablist">${tabs.map(([k, label, icon]) => html`<button role="tab" key=${k} id=${"view-" + k} aria-selected=${view === k} class=${"tab" + (view === k ? " on" : "")} onClick=${() => setQuery({ view: k === "tree" ? null : k })}><${Glyph} name=${icon} /> ${label}</button>`)}</div>
    <div class=${"app-body" + (selected ? " with-panel" : "")}>
      <div class="app-main">
        ${tree === null ? html`<${Loading} what="resources" />` : view === "tree" ? html`<${TreeGraph} app=${app} treeNodes=${nodes} selected=${selId} onSelect=${select} />`
          : view === "list" ? html`<${ResourceList} app=${app} tree=${nodes} onSelect=${select} selected=${selId} />`
          : view === "operation" ? html`<${Operation} app=${app} />` : html`<${History} app=${app} />`}
      </div>
      ${selected ? html`<${ResourcePanel} app=${app} node=${selected} tab=${query.get("tab")} onClose=${() => select(null)} />` : null}
    </div>
    ${dialog === "sync" ? html`<${SyncDialog} app=${app} onClose=${() => setDialog(null)} />` : null}
    ${dialog === "delete" ? html`<${DeleteDialog} app=${app} onClose=${() => setDialog(null)} onDeleted=${() => { setDialog(null); navigate("/applications"); }} />` : null}
    ${dialog === "edit" ? html`<${AppEditor} app=${app} onClose=${() => setDialog(null)} onSaved=${(a) => { setDialog(null); if (a.spec) setApp(a); notify("Saved", "success"); }} />` : null}
  </div>`;
}
