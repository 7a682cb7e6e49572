// Sync, delete and rollback dialogs.
import { html, useState } from "../html.js";
import { api, appPath } from "../api.js";
import { ErrorBox, Modal, notify } from "../components.js";
import { KindIcon, SyncIcon } from "../icons.js";
import { resKey, sourcesOf } from "../status.js";

const OPTIONS = [
  ["ApplyOutOfSyncOnly=true", "Apply out of sync only", "apply-oos"],
  ["ServerSideApply=true", "Server-side apply", "ssa"],
  ["Validate=false", "Skip schema validation", "no-validate"],
  ["CreateNamespace=true", "Auto-create namespace", "create-ns"],
  ["PruneLast=true", "Prune last", "prune-last"],
  ["Replace=true", "Replace", "replace"],
  ["RespectIgnoreDifferences=true", "Respect ignore differences", "respect-ignore"],
];

export function SyncDialog({ app, onClose }) {
  const src = sourcesOf(app)[0] || {};
  const resources = app.status?.resources || [];
  const [revision, setRevision] = useState(src.targetRevision || "HEAD");
  const [prune, setPrune] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  const [force, setForce] = useState(false);
  const [opts, setOpts] = useState(() => new Set((app.spec?.syncPolicy?.syncOptions || []).filter((o) => OPTIONS.some(([k]) => k === o))));
  const [selected, setSelected] = useState(() => new Set(resources.map(resKey)));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const toggle = (set, k, on) => { const s = new Set(set); on ? s.add(k) : s.delete(k); return s; };
  const submit = async () => {
    setBusy(true); setError(null);
    const body = { name: app.metadata.name, prune, dryRun };
    if (revision && revision !== (src.targetRevision || "HEAD")) body.revision = revision;
    if (opts.size) body.syncOptions = { items: [...opts] };
    if (force) body.strategy = { apply: { force: true } };
    if (selected.size !== resources.length) body.resources = resources.filter((r) => selected.has(resKey(r))).map((r) => ({ group: r.group || "", kind: r.kind, name: r.name, namespace: r.namespace || "" }));
    try {
      await api(appPath(app.metadata.name, "/sync"), { method: "POST", body });
      notify(`Sync of ${app.metadata.name} started${dryRun ? " (dry run)" : ""}`, "success");
      onClose();
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const none = resources.length > 0 && selected.size === 0;
  return html`<${Modal} title=${"Synchronize " + app.metadata.name} onClose=${onClose} wide
    footer=${html`<button class="btn" onClick=${onClose}>Cancel</button><button class="btn primary" id="sync-submit" disabled=${busy || none} title=${none ? "Select at least one resource" : ""} onClick=${submit}>${busy ? "Starting…" : "Synchronize"}</button>`}>
    <label>Revision<input id="sync-revision" value=${revision} onInput=${(e) => setRevision(e.target.value)} /></label>
    <div class="check-grid">
      <label class="check"><input type="checkbox" id="sync-prune" checked=${prune} onChange=${(e) => setPrune(e.target.checked)} /> Prune</label>
      <label class="check"><input type="checkbox" id="sync-dry-run" checked=${dryRun} onChange=${(e) => setDryRun(e.target.checked)} /> Dry run</label>
      <label class="check"><input type="checkbox" id="sync-force" checked=${force} onChange=${(e) => setForce(e.target.checked)} /> Force</label>
      ${OPTIONS.map(([k, label, id]) => html`<label class="check" key=${k}><input type="checkbox" id=${"sync-" + id} checked=${opts.has(k)} onChange=${(e) => setOpts(toggle(opts, k, e.target.checked))} /> ${label}</label>`)}
    </div>
    ${resources.length ? html`<fieldset class="sync-resources"><legend>Resources (${selected.size}/${resources.length})
        <button class="btn ghost small" onClick=${() => setSelected(new Set(resources.map(resKey)))}>all</button>
        <button class="btn ghost small" onClick=${() => setSelected(new Set(resources.filter((r) => r.status === "OutOfSync").map(resKey)))}>out of sync</button>
        <button class="btn ghost small" onClick=${() => setSelected(new Set())}>none</button></legend>
      ${resources.map((r) => html`<label class="check" key=${resKey(r)}><input type="checkbox" checked=${selected.has(resKey(r))} onChange=${(e) => setSelected(toggle(selected, resKey(r), e.target.checked))} />
        <${KindIcon} kind=${r.kind} size="18" /> ${r.kind} ${r.namespace ? r.namespace + "/" : ""}${r.name} <${SyncIcon} status=${r.status} size="13" /></label>`)}
    </fieldset>` : null}
    <${ErrorBox} error=${error} id="sync-error" />
  </${Modal}>`;
}

export function DeleteDialog({ app, onClose, onDeleted }) {
  const [confirm, setConfirm] = useState("");
  const [mode, setMode] = useState("foreground");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const name = app.metadata.name;
  const submit = async () => {
    setBusy(true); setError(null);
    try {
      const query = mode === "none" ? { cascade: "false" } : { cascade: "true", propagationPolicy: mode };
      await api(appPath(name), { method: "DELETE", query });
      notify(`Deleting ${name}`, "success");
      onDeleted();
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  return html`<${Modal} title=${"Delete " + name} onClose=${onClose}
    footer=${html`<button class="btn" onClick=${onClose}>Cancel</button><button class="btn danger" id="delete-submit" disabled=${busy || confirm !== name} title=${confirm !== name ? "Type the application's name to confirm" : ""} onClick=${submit}>Delete</button>`}>
    <p>Type <b>${name}</b> to confirm.</p>
    <input id="delete-confirm" aria-label="Application name to confirm" value=${confirm} onInput=${(e) => setConfirm(e.target.value)} />
    <fieldset><legend>Propagation</legend>
      <label class="check"><input type="radio" name="cascade" checked=${mode === "foreground"} onChange=${() => setMode("foreground")} /> Foreground: delete the resources, then the application</label>
      <label class="check"><input type="radio" name="cascade" checked=${mode === "background"} onChange=${() => setMode("background")} /> Background: delete the application, resources in the background</label>
      <label class="check"><input type="radio" name="cascade" checked=${mode === "none"} onChange=${() => setMode("none")} /> Non-cascading: keep the resources in the cluster</label>
    </fieldset>
    <${ErrorBox} error=${error} />
  </${Modal}>`;
}
