// The API client: fetch with the session cookie, readable errors, can-i cache, SSE with reconnect.

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

const listeners = new Set();
/** Called with no argument when the server says the session is gone (401). */
export function onUnauthorized(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => u.append(k, x));
    else u.append(k, String(v));
  }
  const s = u.toString();
  return s ? "?" + s : "";
}

/** Call the API. Throws ApiError with the server's message on any non-2xx answer. */
export async function api(path, { method = "GET", body, query, signal, timeout = 60000, raw = false } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeout);
  if (signal) signal.addEventListener("abort", () => ctl.abort());
  let resp;
  try {
    resp = await fetch(path + qs(query), {
      method,
      credentials: "same-origin",
      headers: body !== undefined ? { "Content-Type": "application/json" } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: ctl.signal,
    });
  } catch (e) {
    clearTimeout(timer);
    if (signal && signal.aborted) throw e;
    throw new ApiError(0, ctl.signal.aborted ? `${method} ${path}: no answer within ${timeout / 1000}s` : `cannot reach the Kedge server (${e.message})`);
  }
  clearTimeout(timer);
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) {
    const msg = (data && (data.message || data.error)) || text || resp.statusText || `HTTP ${resp.status}`;
    if (resp.status === 401 && path !== "/api/v1/session") listeners.forEach((fn) => fn());
    throw new ApiError(resp.status, msg, data);
  }
  return raw ? text : data;
}

export const appPath = (name, sub = "") => `/api/v1/applications/${encodeURIComponent(name)}${sub}`;

// -- can-i ------------------------------------------------------------------------------------
const canCache = new Map();
/** Resolves to true/false: may the current user do ACTION on RESOURCE OBJECT? Cached per session. */
export function canI(resource, action, object) {
  const key = `${resource} ${action} ${object}`;
  if (!canCache.has(key)) {
    const p = api(`/api/v1/account/can-i/${encodeURIComponent(resource)}/${encodeURIComponent(action)}/${object.split("/").map(encodeURIComponent).join("/")}`)
      .then((r) => r.value === "yes")
      .catch(() => { canCache.delete(key); return false; });
    canCache.set(key, p);
  }
  return canCache.get(key);
}
export function clearCanI() { canCache.clear(); }

// -- server-sent events ---------------------------------------------------------------------------
/**
 * Watch /api/v1/stream/applications. onEvent(type, app) per change; onState("live"|"reconnecting").
 * Reconnects by itself with a bounded backoff (1 s doubling to 15 s). Returns a stop function.
 */
export function watchApps(query, onEvent, onState) {
  let es = null;
  let stopped = false;
  let delay = 1000;
  let retryTimer = null;
  const open = () => {
    if (stopped) return;
    es = new EventSource("/api/v1/stream/applications" + qs(query));
    es.onopen = () => { delay = 1000; onState && onState("live"); };
    es.onmessage = (m) => {
      let d;
      try { d = JSON.parse(m.data); } catch { return; }
      const r = d && d.result;
      if (r && r.application) onEvent(r.type, r.application);
    };
    es.onerror = () => {
      if (stopped) return;
      es.close();
      onState && onState("reconnecting");
      retryTimer = setTimeout(async () => {
        try {
          const u = await api("/api/v1/session/userinfo", { timeout: 10000 });
          if (!u.loggedIn) { listeners.forEach((fn) => fn()); return; }
        } catch (e) {
          if (e.status === 401) return;
        }
        open();
      }, delay);
      delay = Math.min(delay * 2, 15000);
    };
  };
  open();
  return () => { stopped = true; clearTimeout(retryTimer); if (es) es.close(); };
}
