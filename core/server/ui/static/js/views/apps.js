// Applications list: counters, filters kept in the URL, search, sort, tiles and table views,
// virtualised so that 10,000 applications render as fast as 10.
import { html, useEffect, useMemo, useRef, useState, useCallback } from "../html.js";
import { store } from "../store.js";
import { listParam, navigate, setQuery } from "../router.js";
import { HealthIcon, SyncIcon, Glyph, OpIcon } from "../icons.js";
import { ActionButton, ErrorBox, Loading } from "../components.js";
import {
  HEALTH_ORDER, SYNC_ORDER, ago, autoSyncOf, clusterOf, healthOf, labelsOf, namespaceOf, opOf, projectOf,
  repoOf, syncOf,
} from "../status.js";
import { AppEditor } from "./editor.js";

const FILTERS = [
  ["proj", "Projects", projectOf],
  ["sync", "Sync status", syncOf],
  ["health", "Health status", healthOf],
  ["cluster", "Clusters", clusterOf],
  ["ns", "Namespaces", namespaceOf],
  ["repo", "Repositories", repoOf],
  ["auto", "Auto-sync", (a) => (autoSyncOf(a) ? "Enabled" : "Disabled")],
];
const SORTS = {
  name: (a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0),
  sync: (a, b) => SYNC_ORDER.indexOf(syncOf(b)) - SYNC_ORDER.indexOf(syncOf(a)),
  health: (a, b) => HEALTH_ORDER.indexOf(healthOf(b)) - HEALTH_ORDER.indexOf(healthOf(a)),
  synced: (a, b) => (finishedAt(b) || "").localeCompare(finishedAt(a) || ""),
  created: (a, b) => (b.metadata.creationTimestamp || "").localeCompare(a.metadata.creationTimestamp || ""),
};
const finishedAt = (a) => opOf(a)?.finishedAt || a.status?.reconciledAt;

/** Parse "k=v,k2!=v2,k3" label filters. */
function labelMatcher(text) {
  const terms = text.split(",").map((s) => s.trim()).filter(Boolean).map((t) => {
    const m = t.match(/^([^!=]+?)\s*(!=|==|=)\s*(.*)$/);
    return m ? { k: m[1], op: m[2], v: m[3] } : { k: t, op: "exists" };
  });
  return (labels) => terms.every(({ k, op, v }) =>
    op === "exists" ? k in labels : op === "!=" ? labels[k] !== v : labels[k] === v);
}

function useStore() {
  const [, set] = useState(0);
  useEffect(() => store.subscribe(set), []);
  return store;
}

/** Filter the apps by the URL query: returns {items, counts, facets}. */
export function filterApps(all, q) {
  const search = (q.get("search") || "").toLowerCase();
  const chosen = FILTERS.map(([k, , fn]) => [new Set(listParam(q, k)), fn]).filter(([s]) => s.size);
  const lab = q.get("labels") ? labelMatcher(q.get("labels")) : null;
  const items = [];
  for (const a of all.values()) {
    if (search && !a.metadata.name.toLowerCase().includes(search)) continue;
    let ok = true;
    for (const [s, fn] of chosen) if (!s.has(fn(a))) { ok = false; break; }
    if (!ok || (lab && !lab(labelsOf(a)))) continue;
    items.push(a);
  }
  const sort = SORTS[q.get("sort")] || SORTS.name;
  items.sort((a, b) => sort(a, b) || SORTS.name(a, b));
  return items;
}

function facetsOf(all) {
  const f = Object.fromEntries(FILTERS.map(([k]) => [k, new Map()]));
  for (const a of all.values()) for (const [k, , fn] of FILTERS) { const v = fn(a); if (v) f[k].set(v, (f[k].get(v) || 0) + 1); }
  return f;
}

function Counters({ items, q }) {
  const sync = {}, health = {};
  for (const a of items) { sync[syncOf(a)] = (sync[syncOf(a)] || 0) + 1; health[healthOf(a)] = (health[healthOf(a)] || 0) + 1; }
  const toggle = (k, v) => setQuery({ [k]: listParam(q, k).includes(v) ? listParam(q, k).filter((x) => x !== v) : [...listParam(q, k), v] });
  return html`<div class="counters" aria-label="Summary">
    <div class="counter total" data-partial=${store.state.partial ? "true" : "false"}><b id="app-count">${items.length}</b><span>Applications${store.state.partial ? html` <span class="spinner" title="Loading the rest of the list" />` : ""}</span></div>
    ${SYNC_ORDER.filter((s) => sync[s]).map((s) => html`<button class="counter" onClick=${() => toggle("sync", s)} aria-pressed=${listParam(q, "sync").includes(s)}><${SyncIcon} status=${s} size="18" /><b>${sync[s]}</b><span>${s}</span></button>`)}
    ${HEALTH_ORDER.filter((s) => health[s]).map((s) => html`<button class="counter" onClick=${() => toggle("health", s)} aria-pressed=${listParam(q, "health").includes(s)}><${HealthIcon} status=${s} size="18" /><b>${health[s]}</b><span>${s}</span></button>`)}
  </div>`;
}

function FilterPanel({ facets, q }) {
  const [labels, setLabels] = useState(q.get("labels") || "");
  useEffect(() => setLabels(q.get("labels") || ""), [q.get("labels")]);
  return html`<aside class="filters" aria-label="Filters">
    <div class="filters-head"><h2>Filters</h2>
      <button class="btn ghost small" onClick=${() => setQuery(Object.fromEntries([...FILTERS.map(([k]) => [k, null]), ["labels", null], ["search", null]]))}>Clear</button></div>
    <label class="filter-block"><span>Labels</span>
      <input id="filter-labels" placeholder="team=a,tier!=db" value=${labels} onInput=${(e) => setLabels(e.target.value)}
        onKeyDown=${(e) => e.key === "Enter" && setQuery({ labels: labels })} onBlur=${() => setQuery({ labels })} /></label>
    ${FILTERS.map(([k, title]) => {
      const sel = new Set(listParam(q, k));
      const values = [...facets[k].entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 50);
      if (!values.length) return null;
      return html`<fieldset class="filter-block" key=${k}><legend>${title}</legend>
        ${values.map(([v, n]) => html`<label class="check" key=${v}><input type="checkbox" data-filter=${k} value=${v} checked=${sel.has(v)}
          onChange=${(e) => setQuery({ [k]: e.target.checked ? [...sel, v] : [...sel].filter((x) => x !== v) })} />
          ${k === "health" ? html`<${HealthIcon} status=${v} size="12" />` : k === "sync" ? html`<${SyncIcon} status=${v} size="12" />` : null}
          <span class="ellipsis" title=${v}>${v}</span><span class="muted">${n}</span></label>`)}
      </fieldset>`;
    })}
  </aside>`;
}

/** Renders only the rows in view: rowHeight px each, cols items per row. */
function Virtual({ count, rowHeight, cols, renderRow, id }) {
  const ref = useRef();
  const [view, setView] = useState({ top: 0, height: 800 });
  useEffect(() => {
    const el = ref.current;
    const on = () => setView({ top: el.scrollTop, height: el.clientHeight });
    on();
    el.addEventListener("scroll", on, { passive: true });
    const ro = new ResizeObserver(on);
    ro.observe(el);
    return () => { el.removeEventListener("scroll", on); ro.disconnect(); };
  }, []);
  const rows = Math.ceil(count / cols);
  const first = Math.max(0, Math.floor(view.top / rowHeight) - 3);
  const last = Math.min(rows, Math.ceil((view.top + view.height) / rowHeight) + 3);
  const out = [];
  for (let r = first; r < last; r++) out.push(renderRow(r, r * rowHeight));
  return html`<div class="virtual" ref=${ref} id=${id} role="list">
    <div style=${{ height: rows * rowHeight + "px", position: "relative" }}>${out}</div></div>`;
}

function Tile({ a }) {
  const n = a.metadata.name, op = opOf(a);
  const src = (a.spec.sources || [a.spec.source || {}])[0] || {};
  return html`<a class=${"tile health-border-" + healthOf(a)} href=${"/applications/" + encodeURIComponent(n)} role="listitem" data-app=${n}>
    <div class="tile-title"><span class="ellipsis" title=${n}>${n}</span>${op && op.phase === "Running" ? html`<${OpIcon} phase="Running" />` : null}</div>
    <dl>
      <dt>Project</dt><dd>${projectOf(a)}</dd>
      <dt>Status</dt><dd class="status-line"><${HealthIcon} status=${healthOf(a)} /> ${healthOf(a)} <${SyncIcon} status=${syncOf(a)} /> ${syncOf(a)}</dd>
      <dt>Repository</dt><dd class="ellipsis" title=${src.repoURL}>${src.repoURL || src.chart || ""}</dd>
      <dt>Target</dt><dd class="ellipsis">${src.targetRevision || "HEAD"}${src.path ? " · " + src.path : ""}</dd>
      <dt>Destination</dt><dd class="ellipsis">${clusterOf(a)}${namespaceOf(a) ? " / " + namespaceOf(a) : ""}</dd>
      <dt>Synced</dt><dd>${ago(finishedAt(a)) || "—"}</dd>
    </dl></a>`;
}

const TILE_W = 330, TILE_H = 188, ROW_H = 44;

export function AppsList({ query }) {
  useStore();
  useEffect(() => { store.start(); }, []);
  const [creating, setCreating] = useState(false);
  const [width, setWidth] = useState(1000);
  const wrap = useRef();
  useEffect(() => {
    if (!wrap.current) return;
    const ro = new ResizeObserver(() => setWidth(wrap.current ? wrap.current.clientWidth : 1000));
    ro.observe(wrap.current);
    return () => ro.disconnect();
  }, [wrap.current]);
  const [search, setSearch] = useState(query.get("search") || "");
  useEffect(() => setSearch(query.get("search") || ""), [query.get("search")]);
  const all = store.all();
  const qkey = query.toString();
  const items = useMemo(() => filterApps(all, query), [store.version, qkey]);
  const facets = useMemo(() => facetsOf(all), [store.version]);
  const mode = query.get("view") === "table" ? "table" : "tiles";
  const st = store.state;
  const cols = mode === "tiles" ? Math.max(1, Math.floor((width - 8) / TILE_W)) : 1;
  // Performance marks (devtools, bench/ui_list.py): first screen painted, whole list painted.
  useEffect(() => {
    if (!st.loaded || !items.length) return;
    const name = st.partial ? "kedge:list-painted" : "kedge:list-complete-painted";
    if (!performance.getEntriesByName(name).length) requestAnimationFrame(() => performance.mark(name));
    if (!st.partial && !performance.getEntriesByName("kedge:list-painted").length) requestAnimationFrame(() => performance.mark("kedge:list-painted"));
  }, [store.version]);

  let body;
  if (st.error) body = html`<${ErrorBox} error=${st.error} /><button class="btn" onClick=${() => store.start()}>Retry</button>`;
  else if (!st.loaded) body = html`<${Loading} what="applications" />`;
  else if (!all.size) body = html`<div class="empty"><h2>No applications yet</h2><p>Create one, or apply an Application manifest with kubectl.</p></div>`;
  else if (!items.length) body = html`<div class="empty"><h2>No applications match the filters</h2><button class="btn" onClick=${() => navigate("/applications")}>Clear filters</button></div>`;
  else if (mode === "tiles")
    body = html`<${Virtual} id="app-grid" count=${items.length} rowHeight=${TILE_H} cols=${cols} renderRow=${(r, top) =>
      html`<div class="tile-row" key=${r} style=${{ top: top + "px", gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))` }}>
        ${items.slice(r * cols, r * cols + cols).map((a) => html`<${Tile} key=${a.metadata.name} a=${a} />`)}</div>`} />`;
  else
    body = html`<div class="app-table" role="table" aria-label="Applications">
      <div class="tr th" role="row"><span role="columnheader">Name</span><span role="columnheader">Project</span><span role="columnheader">Health</span><span role="columnheader">Sync</span><span role="columnheader" class="hide-s">Repository</span><span role="columnheader" class="hide-s">Destination</span><span role="columnheader" class="hide-s">Synced</span></div>
      <${Virtual} id="app-rows" count=${items.length} rowHeight=${ROW_H} cols=${1} renderRow=${(r, top) => {
        const a = items[r], n = a.metadata.name;
        return html`<a key=${n} class="tr" role="row" data-app=${n} style=${{ top: top + "px" }} href=${"/applications/" + encodeURIComponent(n)}>
          <span class="ellipsis strong" role="cell">${n}</span><span role="cell" class="ellipsis">${projectOf(a)}</span>
          <span role="cell"><${HealthIcon} status=${healthOf(a)} /> ${healthOf(a)}</span><span role="cell"><${SyncIcon} status=${syncOf(a)} /> ${syncOf(a)}</span>
          <span role="cell" class="ellipsis hide-s">${repoOf(a)}</span><span role="cell" class="ellipsis hide-s">${clusterOf(a)}/${namespaceOf(a)}</span><span role="cell" class="hide-s">${ago(finishedAt(a))}</span></a>`;
      }} /></div>`;

  return html`<div class="page apps-page">
    <header class="toolbar">
      <h1>Applications</h1>
      <input class="search" id="search" type="search" placeholder="Search applications…" aria-label="Search applications" value=${search}
        onInput=${(e) => { setSearch(e.target.value); setQuery({ search: e.target.value }); }} />
      <label class="inline">Sort <select id="sort" value=${query.get("sort") || "name"} onChange=${(e) => setQuery({ sort: e.target.value === "name" ? null : e.target.value })}>
        <option value="name">Name</option><option value="sync">Sync status</option><option value="health">Health</option><option value="synced">Last synced</option><option value="created">Created</option></select></label>
      <div class="seg" role="group" aria-label="View">
        <button class=${"btn ghost" + (mode === "tiles" ? " on" : "")} aria-pressed=${mode === "tiles"} title="Tiles" onClick=${() => setQuery({ view: null })}><${Glyph} name="tiles" /></button>
        <button class=${"btn ghost" + (mode === "table" ? " on" : "")} aria-pressed=${mode === "table"} title="Table" id="view-table" onClick=${() => setQuery({ view: "table" })}><${Glyph} name="table" /></button>
      </div>
      <${ActionButton} id="new-app" cls="primary" perm=${["applications", "create", "*/*"]} onClick=${() => setCreating(true)}><${Glyph} name="plus" /> New app</${ActionButton}>
    </header>
    ${st.stream === "reconnecting" ? html`<div class="notice warn" role="status" id="reconnecting">Live updates lost — reconnecting…</div>` : null}
    <div class="apps-layout">
      <${FilterPanel} facets=${facets} q=${query} />
      <section class="apps-main" ref=${wrap}>
        ${st.loaded && all.size ? html`<${Counters} items=${items} q=${query} />` : null}
        ${body}
      </section>
    </div>
    ${creating ? html`<${AppEditor} onClose=${() => setCreating(false)} onSaved=${(a) => { setCreating(false); store.put(a); navigate("/applications/" + encodeURIComponent(a.metadata.name)); }} />` : null}
  </div>`;
}
