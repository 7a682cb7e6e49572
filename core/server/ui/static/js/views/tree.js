// The resource tree as a graph: columns by depth (app -> managed resources -> owned children),
// edges drawn as SVG curves, big sibling sets of one kind collapsed into a group node.
import { html, useMemo, useState } from "../html.js";
import { HealthIcon, KindIcon, SyncIcon } from "../icons.js";
import { resKey } from "../status.js";

const NODE_W = 224, NODE_H = 56, GAP_X = 48, GAP_Y = 12, GROUP_MAX = 5;

/**
 * Build the graph model: nodes [{id, kind, name, namespace, health, sync, depth, children, ref, group}]
 * from the app, its resource-tree nodes and status.resources (for sync status and missing ones).
 */
export function buildTree(app, treeNodes, expanded) {
  const statusByKey = new Map((app.status?.resources || []).map((r) => [resKey(r), r]));
  const byUid = new Map();
  const root = { id: "app", kind: "Application", name: app.metadata.name, health: app.status?.health?.status, sync: app.status?.sync?.status, children: [], depth: 0 };
  const seenKeys = new Set();
  for (const n of treeNodes || []) {
    const k = resKey(n);
    seenKeys.add(k);
    const st = statusByKey.get(k);
    byUid.set(n.uid, { id: k, kind: n.kind, name: n.name, namespace: n.namespace, health: n.health?.status || st?.health?.status, healthMessage: n.health?.message, sync: st?.status, ref: n, managed: !!st || !(n.parentRefs || []).length, children: [] });
  }
  const tops = [];
  for (const n of treeNodes || []) {
    const node = byUid.get(n.uid);
    const parent = (n.parentRefs || []).map((p) => byUid.get(p.uid)).find(Boolean);
    (parent ? parent.children : tops).push(node);
  }
  for (const [k, st] of statusByKey) {
    if (seenKeys.has(k)) continue;
    tops.push({ id: k, kind: st.kind, name: st.name, namespace: st.namespace, health: st.health?.status || (st.status === "OutOfSync" ? "Missing" : undefined), sync: st.status, ref: { group: st.group || "", version: st.version, kind: st.kind, namespace: st.namespace || "", name: st.name }, managed: true, children: [] });
  }
  const order = (a, b) => (a.kind + "/" + a.name < b.kind + "/" + b.name ? -1 : 1);
  const group = (node) => {
    node.children.sort(order);
    const byKind = new Map();
    node.children.forEach((c) => byKind.set(c.kind, [...(byKind.get(c.kind) || []), c]));
    const kids = [];
    for (const [kind, list] of byKind) {
      const gid = node.id + "|" + kind;
      if (list.length > GROUP_MAX && !expanded.has(gid)) {
        const health = {};
        list.forEach((c) => (health[c.health || "Unknown"] = (health[c.health || "Unknown"] || 0) + 1));
        kids.push({ id: gid, kind, name: `${list.length} ${kind}s`, group: list, health: worst(Object.keys(health)), healthCounts: health, children: [] });
      } else kids.push(...list);
    }
    node.children = kids;
    node.children.forEach(group);
  };
  root.children = tops;
  group(root);
  return root;
}
const SEVERITY = ["Degraded", "Missing", "Progressing", "Suspended", "Unknown", "Healthy"];
const worst = (l) => SEVERITY.find((s) => l.includes(s)) || "Unknown";

/** Positions: leaves take the next row; a parent sits at the middle of its children. */
export function layout(root) {
  const placed = [];
  const edges = [];
  let row = 0, maxDepth = 0;
  const place = (n, depth) => {
    n.depth = depth;
    maxDepth = Math.max(maxDepth, depth);
    if (!n.children.length) { n.y = row++ * (NODE_H + GAP_Y); }
    else {
      n.children.forEach((c) => place(c, depth + 1));
      n.y = (n.children[0].y + n.children[n.children.length - 1].y) / 2;
    }
    n.x = depth * (NODE_W + GAP_X);
    placed.push(n);
    n.children.forEach((c) => edges.push([n, c]));
  };
  place(root, 0);
  return { nodes: placed, edges, width: (maxDepth + 1) * (NODE_W + GAP_X) - GAP_X, height: Math.max(1, row) * (NODE_H + GAP_Y) - GAP_Y };
}

export function TreeGraph({ app, treeNodes, selected, onSelect }) {
  const [expanded, setExpanded] = useState(() => new Set());
  const g = useMemo(() => layout(buildTree(app, treeNodes, expanded)), [app, treeNodes, expanded]);
  const click = (n) => {
    if (n.group) { const s = new Set(expanded); s.add(n.id); setExpanded(s); return; }
    onSelect(n.id === "app" ? null : n);
  };
  // Arrow keys move between nodes: Up/Down within the drawing order, Left to the parent,
  // Right to the first child. Enter/Space open the node (it is a button).
  const onKey = (e) => {
    if (!["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"].includes(e.key)) return;
    const el = e.target.closest && e.target.closest(".node");
    if (!el) return;
    const n = g.nodes.find((x) => x.id === el.dataset.id);
    const byY = g.nodes.filter((x) => x.depth === n.depth).sort((a, b) => a.y - b.y);
    let next = null;
    if (e.key === "ArrowUp") next = byY[byY.indexOf(n) - 1];
    if (e.key === "ArrowDown") next = byY[byY.indexOf(n) + 1];
    if (e.key === "ArrowLeft") next = (g.edges.find(([, c]) => c === n) || [])[0];
    if (e.key === "ArrowRight") next = n.children[0];
    if (!next) return;
    e.preventDefault();
    const target = e.currentTarget.querySelector(`.node[data-id="${CSS.escape(next.id)}"]`);
    if (target) { target.focus(); target.scrollIntoView({ block: "nearest", inline: "nearest" }); }
  };
  return html`<div class="graph-wrap" tabindex="-1" onKeyDown=${onKey}><div class="graph" style=${{ width: g.width + "px", height: g.height + "px" }} role="tree" aria-label="Resource tree">
    <svg class="edges" width=${g.width} height=${g.height} aria-hidden="true">
      ${g.edges.map(([a, b]) => {
        const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2, mx = (x1 + x2) / 2;
        return html`<path key=${a.id + ">" + b.id} d=${`M${x1} ${y1} C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}`} />`;
      })}
    </svg>
    ${g.nodes.map((n) => html`<button key=${n.id} role="treeitem" aria-level=${n.depth + 1}
      class=${"node" + (n.id === selected ? " selected" : "") + (n.group ? " group" : "") + (n.id === "app" ? " root" : "")}
      data-kind=${n.kind} data-name=${n.name} data-id=${n.id} style=${{ left: n.x + "px", top: n.y + "px", width: NODE_W + "px", height: NODE_H + "px" }}
      title=${n.group ? "Show all " + n.name : `${n.kind} ${n.namespace ? n.namespace + "/" : ""}${n.name}`} onClick=${() => click(n)}>
      <${KindIcon} kind=${n.kind} size="34" />
      <span class="node-text"><span class="node-name ellipsis">${n.name}</span><span class="node-kind">${n.kind}${n.group ? " · click to expand" : ""}</span></span>
      <span class="node-badges">
        ${n.group ? Object.entries(n.healthCounts).map(([s, c]) => html`<span class="mini"><${HealthIcon} status=${s} size="13" />${c}</span>`) : null}
        ${!n.group && n.health ? html`<${HealthIcon} status=${n.health} size="15" />` : null}
        ${!n.group && n.sync ? html`<${SyncIcon} status=${n.sync} size="15" />` : null}
      </span></button>`)}
  </div></div>`;
}
