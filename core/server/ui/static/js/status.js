// Reading an Application's status the way Argo CD's UI does.
export const HEALTH_ORDER = ["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"];
export const SYNC_ORDER = ["Synced", "OutOfSync", "Unknown"];

export const syncOf = (a) => a?.status?.sync?.status || "Unknown";
export const healthOf = (a) => a?.status?.health?.status || "Unknown";
export const opOf = (a) => a?.status?.operationState;
export const projectOf = (a) => a?.spec?.project || "default";
export const sourcesOf = (a) => a?.spec?.sources || (a?.spec?.source ? [a.spec.source] : []);
export const repoOf = (a) => sourcesOf(a)[0]?.repoURL || "";
export const destOf = (a) => a?.spec?.destination || {};
export const clusterOf = (a) => destOf(a).name || destOf(a).server || "";
export const namespaceOf = (a) => destOf(a).namespace || "";
export const autoSyncOf = (a) => !!a?.spec?.syncPolicy?.automated;
export const labelsOf = (a) => a?.metadata?.labels || {};
export const rbacObject = (a) => `${projectOf(a)}/${a?.metadata?.name}`;

export function ago(ts) {
  if (!ts) return "";
  const s = Math.max(0, (Date.now() - Date.parse(ts)) / 1000);
  if (s < 60) return `${Math.round(s)}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}
export const fmtTime = (ts) => (ts ? new Date(ts).toLocaleString() : "");
export const shortRev = (r) => (r && /^[0-9a-f]{40}$/.test(r) ? r.slice(0, 7) : r || "");
export const resKey = (r) => `${r.group || ""}/${r.kind}/${r.namespace || ""}/${r.name}`;
