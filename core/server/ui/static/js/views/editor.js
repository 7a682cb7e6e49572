// Create or edit an Application: a form and a YAML editor over the same document. Errors from
// YAML parsing and from the API's validation are shown next to the field or line they name.
import { html, useEffect, useState } from "../html.js";
import { api, appPath } from "../api.js";
import { Modal, toYaml } from "../components.js";
import yaml from "js-yaml";

const BLANK = {
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Application",
  metadata: { name: "" },
  spec: {
    project: "default",
    source: { repoURL: "", path: "", targetRevision: "HEAD" },
    destination: { server: "https://kubernetes.default.svc", namespace: "" },
  },
};
const FIELDS = [
  ["metadata.name", "Application name", "guestbook"],
  ["spec.project", "Project", "default"],
  ["spec.source.repoURL", "Repository URL", "https://github.com/argoproj/argocd-example-apps.git"],
  ["spec.source.path", "Path", "guestbook"],
  ["spec.source.targetRevision", "Revision", "HEAD"],
  ["spec.destination.server", "Cluster URL", "https://kubernetes.default.svc"],
  ["spec.destination.namespace", "Namespace", "default"],
];
const get = (o, p) => p.split(".").reduce((x, k) => (x == null ? x : x[k]), o);
function set(o, p, v) {
  const ks = p.split(".");
  let x = o;
  ks.slice(0, -1).forEach((k) => { if (typeof x[k] !== "object" || x[k] === null) x[k] = {}; x = x[k]; });
  x[ks[ks.length - 1]] = v;
}
/** The form field an API error message is about (longest matching path), or "". */
export function fieldOf(message) {
  let best = "";
  for (const [p] of FIELDS) {
    const leaf = p.split(".").slice(1).join(".");
    if ((message.includes(p) || message.includes(leaf)) && p.length > best.length) best = p;
  }
  if (!best && /project/i.test(message)) best = "spec.project";
  if (!best && /\bname\b/i.test(message)) best = "metadata.name";
  return best;
}

/** Editable copy of an Application: only what a user writes (no status, no server fields). */
function editable(app) {
  const m = app.metadata || {};
  const meta = { name: m.name };
  for (const k of ["namespace", "labels", "annotations", "finalizers"]) if (m[k]) meta[k] = m[k];
  return { apiVersion: app.apiVersion || BLANK.apiVersion, kind: "Application", metadata: meta, spec: app.spec };
}

export function AppEditor({ app, onClose, onSaved }) {
  const editing = !!app;
  const [doc, setDoc] = useState(() => structuredClone(app ? editable(app) : BLANK));
  const [tab, setTab] = useState("form");
  const [text, setText] = useState("");
  const [yamlError, setYamlError] = useState(null);
  const [apiError, setApiError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [projects, setProjects] = useState([]);
  useEffect(() => { api("/api/v1/projects").then((r) => setProjects((r.items || []).map((p) => p.metadata.name))).catch(() => {}); }, []);

  const toYamlTab = () => { setText(toYaml(doc)); setYamlError(null); setTab("yaml"); };
  const parseText = () => {
    try {
      const d = yaml.load(text);
      if (!d || typeof d !== "object" || Array.isArray(d)) throw new Error("the document must be a YAML mapping (an Application)");
      setYamlError(null);
      return d;
    } catch (e) {
      setYamlError({ message: e.reason ? `line ${e.mark.line + 1}, column ${e.mark.column + 1}: ${e.reason}` : e.message, line: e.mark ? e.mark.line : null });
      return null;
    }
  };
  const toFormTab = () => { const d = parseText(); if (d) { setDoc(d); setTab("form"); } };
  const save = async () => {
    const d = tab === "yaml" ? parseText() : doc;
    if (!d) return;
    setBusy(true);
    setApiError(null);
    try {
      const name = get(d, "metadata.name");
      const saved = editing
        ? await api(appPath(app.metadata.name), { method: "PUT", body: d, query: { validate: "true" } })
        : await api("/api/v1/applications", { method: "POST", body: d, query: { validate: "true" } });
      onSaved(saved || { metadata: { name } });
    } catch (e) {
      setApiError({ message: e.message, field: fieldOf(e.message) });
      if (tab === "form") setDoc(d);
    } finally {
      setBusy(false);
    }
  };
  const auto = !!get(doc, "spec.syncPolicy.automated");
  const update = (p, v) => { const d = structuredClone(doc); set(d, p, v); setDoc(d); };
  const footer = html`<button class="btn" onClick=${onClose}>Cancel</button>
    <button class="btn primary" id="save-app" onClick=${save} disabled=${busy}>${busy ? "Saving…" : editing ? "Save" : "Create"}</button>`;
  return html`<${Modal} title=${editing ? `Edit ${app.metadata.name}` : "New application"} onClose=${onClose} footer=${footer} wide>
    <div class="seg tabs" role="tablist">
      <button role="tab" class=${"btn ghost" + (tab === "form" ? " on" : "")} aria-selected=${tab === "form"} onClick=${() => tab === "yaml" ? toFormTab() : null}>Form</button>
      <button role="tab" id="yaml-tab" class=${"btn ghost" + (tab === "yaml" ? " on" : "")} aria-selected=${tab === "yaml"} onClick=${() => tab === "form" ? toYamlTab() : null}>YAML</button>
    </div>
    ${tab === "form" ? html`<div class="form-grid">
      ${FIELDS.map(([p, label, ph]) => html`<label key=${p} class=${apiError && apiError.field === p ? "has-error" : ""}>${label}
        ${p === "spec.project" && projects.length ? html`<select data-field=${p} value=${get(doc, p) || "default"} onChange=${(e) => update(p, e.target.value)}>${[...new Set(["default", ...projects, get(doc, p) || "default"])].map((x) => html`<option value=${x}>${x}</option>`)}</select>`
          : html`<input data-field=${p} placeholder=${ph} value=${get(doc, p) || ""} disabled=${editing && p === "metadata.name"} onInput=${(e) => update(p, e.target.value)} />`}
        ${apiError && apiError.field === p ? html`<span class="field-error" role="alert">${apiError.message}</span>` : null}</label>`)}
      <label class="check"><input type="checkbox" id="auto-sync" checked=${auto} onChange=${(e) => update("spec.syncPolicy", e.target.checked ? { automated: { prune: false, selfHeal: false } } : null)} /> Automated sync</label>
      ${auto ? html`<label class="check"><input type="checkbox" checked=${!!get(doc, "spec.syncPolicy.automated.prune")} onChange=${(e) => update("spec.syncPolicy.automated.prune", e.target.checked)} /> Prune resources</label>
        <label class="check"><input type="checkbox" checked=${!!get(doc, "spec.syncPolicy.automated.selfHeal")} onChange=${(e) => update("spec.syncPolicy.automated.selfHeal", e.target.checked)} /> Self heal</label>` : null}
    </div>` : html`<div class="yaml-editor">
      <textarea id="yaml-text" spellcheck="false" aria-label="Application YAML" aria-invalid=${!!(yamlError || apiError)} value=${text} onInput=${(e) => setText(e.target.value)} rows="22" />
      ${yamlError ? html`<div class="field-error" role="alert" id="yaml-error">YAML: ${yamlError.message}</div>` : null}
    </div>`}
    ${apiError && (tab === "yaml" || !apiError.field) ? html`<div class="error-box" role="alert" id="app-error">${apiError.message}</div>` : null}
  </${Modal}>`;
}
