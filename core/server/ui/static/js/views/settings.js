// Settings pages (repositories, clusters, projects, accounts) and the user info page.
import { html, useEffect, useState } from "../html.js";
import { api } from "../api.js";
import { ActionButton, ErrorBox, Loading, notify } from "../components.js";
import { ago } from "../status.js";

/**
 * [state, reload]: the list at PATH. reload(until) re-reads it, and with a predicate keeps
 * re-reading (10 times, 0.3 s apart) until the list satisfies it: the server's lists come from
 * a watch cache that sees a write a moment after the write answered.
 */
function useList(path) {
  const [s, set] = useState({ items: null, error: null });
  const load = async (until) => {
    for (let i = 0; i < 10; i++) {
      try {
        const items = (await api(path)).items || [];
        set({ items, error: null });
        if (!until || until(items)) return;
      } catch (error) {
        set({ items: null, error });
        return;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  useEffect(() => { load(); }, [path]);
  return [s, load];
}

function Page({ title, children, actions }) {
  return html`<div class="page settings-page"><header class="toolbar"><a href="/settings" class="crumb">Settings</a><span class="muted">/</span><h1>${title}</h1><div class="toolbar-actions">${actions}</div></header>${children}</div>`;
}

/** A small form: fields [{name, label, type, placeholder, options}] -> onSubmit(values). Errors shown in place. */
function InlineForm({ fields, submitLabel, onSubmit, onCancel }) {
  const [v, setV] = useState(() => Object.fromEntries(fields.map((f) => [f.name, f.value ?? (f.type === "checkbox" ? false : "")])));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault(); setBusy(true); setError(null);
    try { await onSubmit(v); } catch (err) { setError(err); } finally { setBusy(false); }
  };
  return html`<form class="card inline-form" onSubmit=${submit}>
    ${fields.map((f) => f.type === "checkbox"
      ? html`<label class="check" key=${f.name}><input type="checkbox" name=${f.name} checked=${v[f.name]} onChange=${(e) => setV({ ...v, [f.name]: e.target.checked })} /> ${f.label}</label>`
      : f.options ? html`<label key=${f.name}>${f.label}<select name=${f.name} value=${v[f.name]} onChange=${(e) => setV({ ...v, [f.name]: e.target.value })}>${f.options.map((o) => html`<option value=${o}>${o}</option>`)}</select></label>`
      : f.type === "textarea" ? html`<label key=${f.name}>${f.label}<textarea name=${f.name} rows="4" placeholder=${f.placeholder} value=${v[f.name]} onInput=${(e) => setV({ ...v, [f.name]: e.target.value })} /></label>`
      : html`<label key=${f.name}>${f.label}<input name=${f.name} type=${f.type || "text"} placeholder=${f.placeholder} required=${!!f.required} value=${v[f.name]} onInput=${(e) => setV({ ...v, [f.name]: e.target.value })} /></label>`)}
    <${ErrorBox} error=${error} />
    <div class="form-actions"><button class="btn" type="button" onClick=${onCancel}>Cancel</button><button class="btn primary" type="submit" disabled=${busy}>${submitLabel}</button></div>
  </form>`;
}

async function remove(what, path, reload, gone) {
  if (!confirm(`Delete ${what}?`)) return;
  try { await api(path, { method: "DELETE" }); notify(`Deleted ${what}`, "success"); reload(gone); } catch (e) { notify(e.message, "error"); }
}

function Repositories() {
  const [s, load] = useList("/api/v1/repositories");
  const [adding, setAdding] = useState(false);
  return html`<${Page} title="Repositories" actions=${html`<${ActionButton} cls="primary" perm=${["repositories", "create", "*"]} onClick=${() => setAdding(true)}>Connect repository</${ActionButton}>`}>
    ${adding ? html`<${InlineForm} submitLabel="Connect" onCancel=${() => setAdding(false)} fields=${[
      { name: "repo", label: "Repository URL", required: true, placeholder: "https://github.com/org/repo.git" },
      { name: "type", label: "Type", options: ["git", "helm", "oci"], value: "git" },
      { name: "name", label: "Name (Helm)" }, { name: "project", label: "Project (optional)" },
      { name: "username", label: "Username" }, { name: "password", label: "Password", type: "password" },
      { name: "sshPrivateKey", label: "SSH private key", type: "textarea" }, { name: "insecure", label: "Skip TLS verification", type: "checkbox" }]}
      onSubmit=${async (v) => { const body = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== "" && x !== false)); await api("/api/v1/repositories", { method: "POST", body }); setAdding(false); load((l) => l.some((r) => r.repo === body.repo)); }} />` : null}
    ${s.error ? html`<${ErrorBox} error=${s.error} />` : !s.items ? html`<${Loading} />` : html`<table class="table" id="repos"><thead><tr><th>Type</th><th>Name</th><th>Repository</th><th>Project</th><th>Connection</th><th></th></tr></thead>
      <tbody>${s.items.map((r) => html`<tr key=${r.repo}><td>${r.type || "git"}</td><td>${r.name || ""}</td><td>${r.repo}</td><td>${r.project || ""}</td>
        <td>${r.connectionState?.status || ""} <span class="small muted">${r.connectionState?.message || ""}</span></td>
        <td><${ActionButton} cls="small danger-outline" perm=${["repositories", "delete", (r.project ? r.project + "/" : "*/") + r.repo]} onClick=${() => remove(r.repo, "/api/v1/repositories/" + encodeURIComponent(r.repo), load, (l) => !l.some((x) => x.repo === r.repo))}>Delete</${ActionButton}></td></tr>`)}</tbody></table>`}
    ${s.items && !s.items.length ? html`<p class="muted">No repositories connected. Public repositories need none.</p>` : null}
  </${Page}>`;
}

function Clusters() {
  const [s, load] = useList("/api/v1/clusters");
  const [adding, setAdding] = useState(false);
  return html`<${Page} title="Clusters" actions=${html`<${ActionButton} cls="primary" perm=${["clusters", "create", "*"]} onClick=${() => setAdding(true)}>Add cluster</${ActionButton}>`}>
    ${adding ? html`<${InlineForm} submitLabel="Add" onCancel=${() => setAdding(false)} fields=${[
      { name: "name", label: "Name", required: true }, { name: "server", label: "API server URL", required: true, placeholder: "https://10.0.0.1:6443" },
      { name: "bearerToken", label: "Bearer token", type: "password" }, { name: "insecure", label: "Skip TLS verification", type: "checkbox" }]}
      onSubmit=${async (v) => { await api("/api/v1/clusters", { method: "POST", body: { name: v.name, server: v.server, config: { bearerToken: v.bearerToken || undefined, tlsClientConfig: { insecure: !!v.insecure } } } }); setAdding(false); load((l) => l.some((c) => c.server === v.server)); }} />` : null}
    ${s.error ? html`<${ErrorBox} error=${s.error} />` : !s.items ? html`<${Loading} />` : html`<table class="table" id="clusters"><thead><tr><th>Name</th><th>Server</th><th>Version</th><th>Connection</th><th></th></tr></thead>
      <tbody>${s.items.map((c) => html`<tr key=${c.server}><td>${c.name}</td><td>${c.server}</td><td>${c.serverVersion || c.info?.serverVersion || ""}</td>
        <td>${c.connectionState?.status || c.info?.connectionState?.status || ""}</td>
        <td><${ActionButton} cls="small danger-outline" perm=${["clusters", "delete", c.server]} disabledReason=${c.server === "https://kubernetes.default.svc" ? "The in-cluster destination cannot be removed" : ""} onClick=${() => remove(c.name || c.server, "/api/v1/clusters/" + encodeURIComponent(c.server), load, (l) => !l.some((x) => x.server === c.server))}>Delete</${ActionButton}></td></tr>`)}</tbody></table>`}
  </${Page}>`;
}

function Projects() {
  const [s, load] = useList("/api/v1/projects");
  const [adding, setAdding] = useState(false);
  return html`<${Page} title="Projects" actions=${html`<${ActionButton} cls="primary" perm=${["projects", "create", "*"]} onClick=${() => setAdding(true)}>New project</${ActionButton}>`}>
    ${adding ? html`<${InlineForm} submitLabel="Create" onCancel=${() => setAdding(false)} fields=${[{ name: "name", label: "Name", required: true }, { name: "description", label: "Description" },
      { name: "sourceRepos", label: "Source repositories (comma-separated)", value: "*" }, { name: "dest", label: "Destination server/namespace", value: "https://kubernetes.default.svc/*" }]}
      onSubmit=${async (v) => {
        const i = v.dest.lastIndexOf("/");
        const project = { metadata: { name: v.name }, spec: { description: v.description, sourceRepos: v.sourceRepos.split(",").map((x) => x.trim()).filter(Boolean), destinations: v.dest ? [{ server: v.dest.slice(0, i), namespace: v.dest.slice(i + 1) }] : [] } };
        await api("/api/v1/projects", { method: "POST", body: { project } }); setAdding(false); load((l) => l.some((p) => p.metadata.name === v.name));
      }} />` : null}
    ${s.error ? html`<${ErrorBox} error=${s.error} />` : !s.items ? html`<${Loading} />` : html`<table class="table" id="projects"><thead><tr><th>Name</th><th>Description</th><th>Sources</th><th>Destinations</th><th>Roles</th><th></th></tr></thead>
      <tbody>${s.items.map((p) => html`<tr key=${p.metadata.name}><td>${p.metadata.name}</td><td>${p.spec?.description || ""}</td><td>${(p.spec?.sourceRepos || []).join(", ")}</td>
        <td>${(p.spec?.destinations || []).map((d) => `${d.name || d.server}/${d.namespace}`).join(", ")}</td><td>${(p.spec?.roles || []).map((r) => r.name).join(", ")}</td>
        <td><${ActionButton} cls="small danger-outline" perm=${["projects", "delete", p.metadata.name]} disabledReason=${p.metadata.name === "default" ? "The default project cannot be deleted" : ""} onClick=${() => remove("project " + p.metadata.name, "/api/v1/projects/" + encodeURIComponent(p.metadata.name), load, (l) => !l.some((x) => x.metadata.name === p.metadata.name))}>Delete</${ActionButton}></td></tr>`)}</tbody></table>`}
  </${Page}>`;
}

function Accounts() {
  const [s, load] = useList("/api/v1/account");
  const [token, setToken] = useState(null);
  const generate = async (name) => {
    try { const r = await api(`/api/v1/account/${encodeURIComponent(name)}/token`, { method: "POST", body: { name } }); setToken({ name, token: r.token }); load((l) => (l.find((a) => a.name === name)?.tokens || []).length > 0); }
    catch (e) { notify(e.message, "error"); }
  };
  return html`<${Page} title="Accounts">
    ${token ? html`<div class="notice info" role="status">New token for ${token.name} (shown once):<pre class="code">${token.token}</pre><button class="btn small" onClick=${() => setToken(null)}>Done</button></div>` : null}
    ${s.error ? html`<${ErrorBox} error=${s.error} />` : !s.items ? html`<${Loading} />` : html`<table class="table" id="accounts"><thead><tr><th>Name</th><th>Enabled</th><th>Capabilities</th><th>Tokens</th><th></th></tr></thead>
      <tbody>${s.items.map((a) => html`<tr key=${a.name}><td>${a.name}</td><td>${a.enabled ? "yes" : "no"}</td><td>${(a.capabilities || []).join(", ")}</td>
        <td>${(a.tokens || []).map((t) => html`<div class="small" key=${t.id}>${t.id} · ${ago(new Date(t.issuedAt * 1000).toISOString())}${t.expiresAt ? " · expires " + new Date(t.expiresAt * 1000).toLocaleDateString() : ""}</div>`)}</td>
        <td><${ActionButton} cls="small" perm=${["accounts", "update", a.name]} disabledReason=${(a.capabilities || []).includes("apiKey") ? "" : "The account has no apiKey capability"} onClick=${() => generate(a.name)}>Generate token</${ActionButton}></td></tr>`)}</tbody></table>`}
  </${Page}>`;
}

export function Settings({ path }) {
  if (path.startsWith("/settings/repositories")) return html`<${Repositories} />`;
  if (path.startsWith("/settings/clusters")) return html`<${Clusters} />`;
  if (path.startsWith("/settings/projects")) return html`<${Projects} />`;
  if (path.startsWith("/settings/accounts")) return html`<${Accounts} />`;
  const card = (href, title, text) => html`<a class="card setting-card" href=${href}><h2>${title}</h2><p class="muted">${text}</p></a>`;
  return html`<div class="page"><header class="toolbar"><h1>Settings</h1></header><div class="settings-grid">
    ${card("/settings/repositories", "Repositories", "Git, Helm and OCI repositories and their credentials")}
    ${card("/settings/clusters", "Clusters", "Destination clusters")}
    ${card("/settings/projects", "Projects", "Source, destination and role restrictions")}
    ${card("/settings/accounts", "Accounts", "Local accounts and API tokens")}</div></div>`;
}

export function UserInfo({ user, settings }) {
  const [cur, setCur] = useState(""), [next, setNext] = useState(""), [error, setError] = useState(null), [done, setDone] = useState(false);
  const change = async (e) => {
    e.preventDefault(); setError(null); setDone(false);
    const pattern = settings.passwordPattern ? new RegExp(settings.passwordPattern) : null;
    if (pattern && !pattern.test(next)) { setError(new Error(`The new password must match ${settings.passwordPattern}`)); return; }
    try { await api("/api/v1/account/password", { method: "PUT", body: { name: user.username, currentPassword: cur, newPassword: next } }); setDone(true); setCur(""); setNext(""); }
    catch (err) { setError(err); }
  };
  return html`<div class="page"><header class="toolbar"><h1>User info</h1></header>
    <div class="card"><dl class="kv" id="userinfo"><dt>Username</dt><dd>${user.username}</dd><dt>Issuer</dt><dd>${user.iss}</dd><dt>Groups</dt><dd>${(user.groups || []).join(", ") || "—"}</dd></dl></div>
    <form class="card inline-form" onSubmit=${change} aria-label="Update password"><h2>Update password</h2>
      <label>Current password<input type="password" autocomplete="current-password" value=${cur} onInput=${(e) => setCur(e.target.value)} required /></label>
      <label>New password<input type="password" autocomplete="new-password" value=${next} onInput=${(e) => setNext(e.target.value)} required /></label>
      <${ErrorBox} error=${error} />${done ? html`<p class="ok">Password updated.</p>` : null}
      <div class="form-actions"><button class="btn primary" type="submit">Update password</button></div></form></div>`;
}
