// Kedge's own SVG icons: health and sync status (Argo CD's colours), kinds, and a few UI glyphs.
import { html } from "./html.js";

export const HEALTH_COLORS = {
  Healthy: "#18be94", Progressing: "#0dadea", Degraded: "#e96d76", Suspended: "#766f94",
  Missing: "#f4c030", Unknown: "#a3b1bd",
};
export const SYNC_COLORS = { Synced: "#18be94", OutOfSync: "#f4c030", Unknown: "#a3b1bd" };
export const OP_COLORS = { Running: "#0dadea", Terminating: "#0dadea", Succeeded: "#18be94", Failed: "#e96d76", Error: "#e96d76" };

const HEART = "M12 21s-7.5-4.6-9.6-9.3C.9 8.2 3 4.5 6.6 4.5c2.1 0 3.9 1.2 5.4 3 1.5-1.8 3.3-3 5.4-3 3.6 0 5.7 3.7 4.2 7.2C19.5 16.4 12 21 12 21z";
const svg = (size, label, children, cls = "") =>
  html`<svg class=${"icon " + cls} width=${size} height=${size} viewBox="0 0 24 24" role="img" aria-label=${label}><title>${label}</title>${children}</svg>`;

/** The health icon for a status (Healthy heart, Progressing spinner, Degraded broken heart, ...). */
export function HealthIcon({ status = "Unknown", size = 16 }) {
  const c = HEALTH_COLORS[status] || HEALTH_COLORS.Unknown;
  switch (status) {
    case "Healthy":
      return svg(size, "Healthy", html`<path d=${HEART} fill=${c} />`);
    case "Progressing":
      return svg(size, "Progressing", html`<circle cx="12" cy="12" r="9" fill="none" stroke=${c} stroke-width="3" stroke-dasharray="42 100" stroke-linecap="round" />`, "spin");
    case "Degraded":
      return svg(size, "Degraded", html`<path d=${HEART} fill=${c} /><path d="M12 7.5l-2 4 3 2-2 4" stroke="#fff" stroke-width="1.6" fill="none" stroke-linejoin="round" />`);
    case "Suspended":
      return svg(size, "Suspended", html`<circle cx="12" cy="12" r="10" fill=${c} /><rect x="8" y="7" width="2.8" height="10" rx="1" fill="#fff" /><rect x="13.2" y="7" width="2.8" height="10" rx="1" fill="#fff" />`);
    case "Missing":
      return svg(size, "Missing", html`<path d="M5 21V10a7 7 0 0114 0v11l-2.3-2-2.4 2-2.3-2-2.3 2-2.4-2z" fill=${c} /><circle cx="9.5" cy="10.5" r="1.5" fill="#fff" /><circle cx="14.5" cy="10.5" r="1.5" fill="#fff" />`);
    default:
      return svg(size, status || "Unknown", html`<circle cx="12" cy="12" r="10" fill=${c} /><path d="M9.3 9.2a2.8 2.8 0 115 1.7c-.9.8-2.3 1.3-2.3 2.9" stroke="#fff" stroke-width="2" fill="none" stroke-linecap="round" /><circle cx="12" cy="17.3" r="1.2" fill="#fff" />`);
  }
}

/** The sync icon: Synced green check, OutOfSync yellow up-arrow, Unknown grey. */
export function SyncIcon({ status = "Unknown", size = 16 }) {
  const c = SYNC_COLORS[status] || SYNC_COLORS.Unknown;
  if (status === "Synced")
    return svg(size, "Synced", html`<circle cx="12" cy="12" r="10" fill=${c} /><path d="M7 12.5l3.2 3.2L17 9" stroke="#fff" stroke-width="2.4" fill="none" stroke-linecap="round" stroke-linejoin="round" />`);
  if (status === "OutOfSync")
    return svg(size, "OutOfSync", html`<circle cx="12" cy="12" r="10" fill=${c} /><path d="M12 17V7.5M7.8 11.5L12 7.3l4.2 4.2" stroke="#fff" stroke-width="2.4" fill="none" stroke-linecap="round" stroke-linejoin="round" />`);
  return svg(size, status || "Unknown", html`<circle cx="12" cy="12" r="10" fill=${c} /><circle cx="12" cy="12" r="3" fill="#fff" />`);
}

/** Operation phase icon: Running (spinner), Succeeded (check), Failed/Error (cross). */
export function OpIcon({ phase, size = 16 }) {
  const c = OP_COLORS[phase] || HEALTH_COLORS.Unknown;
  if (phase === "Running" || phase === "Terminating")
    return svg(size, phase, html`<circle cx="12" cy="12" r="9" fill="none" stroke=${c} stroke-width="3" stroke-dasharray="42 100" stroke-linecap="round" />`, "spin");
  if (phase === "Succeeded")
    return svg(size, phase, html`<circle cx="12" cy="12" r="10" fill=${c} /><path d="M7 12.5l3.2 3.2L17 9" stroke="#fff" stroke-width="2.4" fill="none" stroke-linecap="round" />`);
  return svg(size, phase || "Unknown", html`<circle cx="12" cy="12" r="10" fill=${c} /><path d="M8.5 8.5l7 7M15.5 8.5l-7 7" stroke="#fff" stroke-width="2.4" stroke-linecap="round" />`);
}

const KIND_ABBR = {
  Application: "app", Deployment: "deploy", ReplicaSet: "rs", Pod: "pod", Service: "svc", ConfigMap: "cm",
  Secret: "secret", Ingress: "ing", StatefulSet: "sts", DaemonSet: "ds", Job: "job", CronJob: "cj",
  PersistentVolumeClaim: "pvc", PersistentVolume: "pv", Namespace: "ns", ServiceAccount: "sa", Role: "role",
  RoleBinding: "rb", ClusterRole: "crole", ClusterRoleBinding: "crb", Endpoints: "ep", EndpointSlice: "eps",
  HorizontalPodAutoscaler: "hpa", NetworkPolicy: "netpol", CustomResourceDefinition: "crd",
  ControllerRevision: "rev", PodDisruptionBudget: "pdb", AppProject: "proj", ApplicationSet: "appset",
};
const KIND_HUE = { app: 212, deploy: 215, rs: 200, pod: 190, svc: 265, cm: 30, secret: 0, ing: 280, sts: 215, ds: 215, job: 160, cj: 160, pvc: 45, ns: 120 };

/** A hexagon with the kind's short name, like kubectl's abbreviations. */
export function KindIcon({ kind, size = 32 }) {
  const abbr = KIND_ABBR[kind] || (kind || "?").replace(/[a-z]/g, "").toLowerCase().slice(0, 4) || (kind || "?").slice(0, 3).toLowerCase();
  const hue = KIND_HUE[abbr] ?? 220;
  const fs = abbr.length > 4 ? 6.2 : abbr.length > 3 ? 7 : 8;
  return html`<svg class="icon kind" width=${size} height=${size} viewBox="0 0 32 32" role="img" aria-label=${kind}><title>${kind}</title>
    <path d="M16 1.5l12.6 7.2v14.6L16 30.5 3.4 23.3V8.7z" fill=${`hsl(${hue} 70% 48%)`} />
    <text x="16" y="19" text-anchor="middle" font-size=${fs} font-weight="700" fill="#fff" font-family="system-ui, sans-serif">${abbr}</text></svg>`;
}

export function Glyph({ name, size = 16 }) {
  const p = {
    sync: "M4 12a8 8 0 0113.7-5.7L20 4v6h-6l2.3-2.3A5.5 5.5 0 006.5 12zM20 12a8 8 0 01-13.7 5.7L4 20v-6h6l-2.3 2.3A5.5 5.5 0 0017.5 12z",
    refresh: "M17.7 6.3A8 8 0 1020 12h-2.5a5.5 5.5 0 11-1.6-3.9L13 11h7V4z",
    history: "M13 3a9 9 0 00-9 9H1l3.9 3.9L9 12H6a7 7 0 117 7 7 7 0 01-4.9-2l-1.4 1.4A9 9 0 1013 3zm-1 5v5l4.3 2.5.7-1.2-3.5-2.1V8z",
    trash: "M6 7h12l-1 14H7zM9 4h6l1 2H8zM4 6h16v2H4z",
    stop: "M6 6h12v12H6z",
    edit: "M4 17.2V20h2.8l8.3-8.3-2.8-2.8zM19.7 7a1 1 0 000-1.4l-1.3-1.3a1 1 0 00-1.4 0l-1.1 1.1 2.8 2.8z",
    plus: "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z",
    tiles: "M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z",
    table: "M3 5h18v3H3zM3 10.5h18v3H3zM3 16h18v3H3z",
    tree: "M3 4h6v4H3zM15 3h6v4h-6zM15 10h6v4h-6zM15 17h6v4h-6zM9 6h3v13h3v-2h-1.5M12 12h3",
    list: "M4 6h2v2H4zM8 6h12v2H8zM4 11h2v2H4zM8 11h12v2H8zM4 16h2v2H4zM8 16h12v2H8z",
    close: "M6.4 5L5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z",
    moon: "M20 14.5A8.5 8.5 0 119.5 4a7 7 0 0010.5 10.5z",
    sun: "M12 7a5 5 0 110 10 5 5 0 010-10zM11 1h2v3h-2zM11 20h2v3h-2zM1 11h3v2H1zM20 11h3v2h-3zM4.2 2.8l2.1 2.1-1.4 1.4-2.1-2.1zM17.7 16.3l2.1 2.1-1.4 1.4-2.1-2.1zM2.8 19.8l2.1-2.1 1.4 1.4-2.1 2.1zM16.3 6.3l2.1-2.1 1.4 1.4-2.1 2.1z",
    gear: "M12 8.5a3.5 3.5 0 110 7 3.5 3.5 0 010-7zM10.5 2h3l.5 2.6 1.8.8 2.2-1.5 2.1 2.1-1.5 2.2.8 1.8 2.6.5v3l-2.6.5-.8 1.8 1.5 2.2-2.1 2.1-2.2-1.5-1.8.8-.5 2.6h-3l-.5-2.6-1.8-.8-2.2 1.5-2.1-2.1 1.5-2.2-.8-1.8L2 13.5v-3l2.6-.5.8-1.8-1.5-2.2 2.1-2.1 2.2 1.5 1.8-.8z",
    user: "M12 12a4.5 4.5 0 100-9 4.5 4.5 0 000 9zM3 21c0-4 4-6.5 9-6.5s9 2.5 9 6.5z",
    apps: "M4 4h6v6H4zM14 4h6v6h-6zM4 14h6v6H4zM14 14h6v6h-6z",
    logout: "M10 4H4v16h6v-2H6V6h4zM15 7l-1.4 1.4 2.6 2.6H9v2h7.2l-2.6 2.6L15 17l5-5z",
    play: "M7 4l13 8-13 8z",
  }[name];
  return html`<svg class="icon glyph" width=${size} height=${size} viewBox="0 0 24 24" aria-hidden="true"><path d=${p} fill="currentColor" fill-rule="evenodd" /></svg>`;
}
