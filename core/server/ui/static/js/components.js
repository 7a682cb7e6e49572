// Shared pieces: buttons guarded by can-i, modals, notices, status badges, YAML blocks.
import { html, useEffect, useRef, useState } from "./html.js";
import { canI } from "./api.js";
import { HealthIcon, SyncIcon, OpIcon } from "./icons.js";
import yaml from "js-yaml";

const toastSubs = new Set();
let toastId = 0;
/** Show a short message (kind: info|error|success). */
export function notify(message, kind = "info") {
  const t = { id: ++toastId, message, kind };
  toastSubs.forEach((fn) => fn((l) => [...l, t]));
  setTimeout(() => toastSubs.forEach((fn) => fn((l) => l.filter((x) => x.id !== t.id))), kind === "error" ? 9000 : 4000);
}
export function Toasts() {
  const [list, set] = useState([]);
  useEffect(() => { toastSubs.add(set); return () => toastSubs.delete(set); }, []);
  return html`<div class="toasts" role="status" aria-live="polite">${list.map((t) => html`<div key=${t.id} class=${"toast " + t.kind}>${t.message}</div>`)}</div>`;
}

/** Resolve a can-i check: undefined while asking, then true/false. */
export function useCan(resource, action, object) {
  const [ok, set] = useState(object ? undefined : true);
  useEffect(() => {
    let live = true;
    if (!object) { set(true); return; }
    canI(resource, action, object).then((v) => live && set(v));
    return () => { live = false; };
  }, [resource, action, object]);
  return ok;
}

/**
 * A button that asks the server whether the user may use it: disabled with a reason otherwise.
 * perm: [resource, action, object]; disabledReason: another reason to disable it (or "").
 */
export function ActionButton({ perm, onClick, children, cls = "", disabledReason = "", title = "", id }) {
  const allowed = useCan(perm?.[0], perm?.[1], perm?.[2]);
  const reason = disabledReason || (allowed === false ? `You may not ${perm[1]} ${perm[0]} ${perm[2]} (RBAC)` : "");
  return html`<button id=${id} class=${"btn " + cls} disabled=${!!reason || allowed === undefined} title=${reason || title} aria-label=${title || undefined} onClick=${onClick}>${children}</button>${reason ? html`<span class="sr-only">${reason}</span>` : null}`;
}

export function Modal({ title, onClose, children, footer, wide = false }) {
  const ref = useRef();
  useEffect(() => {
    const prev = document.activeElement;
    const el = ref.current;
    const first = el && el.querySelector("input, select, textarea, button:not(.modal-x)");
    (first || el)?.focus();
    const key = (e) => {
      if (e.key === "Escape") onClose();
      if (e.key === "Tab" && el) {
        const f = [...el.querySelectorAll("a[href], button:not([disabled]), input, select, textarea, [tabindex]")];
        if (!f.length) return;
        if (e.shiftKey && document.activeElement === f[0]) { e.preventDefault(); f[f.length - 1].focus(); }
        else if (!e.shiftKey && document.activeElement === f[f.length - 1]) { e.preventDefault(); f[0].focus(); }
      }
    };
    document.addEventListener("keydown", key);
    return () => { document.removeEventListener("keydown", key); prev && prev.focus && prev.focus(); };
  }, []);
  return html`<div class="modal-back" onClick=${(e) => e.target === e.currentTarget && onClose()}>
    <div class=${"modal" + (wide ? " wide" : "")} role="dialog" aria-modal="true" aria-label=${title} ref=${ref} tabindex="-1">
      <header><h2>${title}</h2><button class="modal-x btn ghost" aria-label="Close" onClick=${onClose}>✕</button></header>
      <div class="modal-body">${children}</div>
      ${footer ? html`<footer>${footer}</footer>` : null}
    </div></div>`;
}

export const ErrorBox = ({ error, id }) =>
  error ? html`<div class="error-box" role="alert" id=${id}>${error.message || String(error)}</div>` : null;

export const HealthBadge = ({ status, message }) =>
  html`<span class=${"badge health-" + (status || "Unknown")} title=${message || status}><${HealthIcon} status=${status} /> ${status || "Unknown"}</span>`;
export const SyncBadge = ({ status }) =>
  html`<span class=${"badge sync-" + (status || "Unknown")}><${SyncIcon} status=${status} /> ${status || "Unknown"}</span>`;
export const OpBadge = ({ phase }) =>
  phase ? html`<span class=${"badge op-" + phase}><${OpIcon} phase=${phase} /> ${phase}</span>` : null;

export const toYaml = (obj) => {
  try { return yaml.dump(obj, { noRefs: true, lineWidth: -1, sortKeys: false }); } catch (e) { return String(e); }
};
export const Code = ({ text, label }) => html`<pre class="code" tabindex="0" aria-label=${label || "manifest"}>${text}</pre>`;

export function Loading({ what = "" }) {
  return html`<div class="loading" aria-busy="true"><span class="spinner" /> Loading${what ? " " + what : ""}…</div>`;
}
