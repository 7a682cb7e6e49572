// A tiny history router: navigate(url), useRoute() -> {path, query}, and URL-backed state.
import { useEffect, useState } from "./html.js";

const subs = new Set();
const current = () => ({ path: location.pathname, query: new URLSearchParams(location.search) });

export function navigate(url, { replace = false } = {}) {
  if (url === location.pathname + location.search) return;
  history[replace ? "replaceState" : "pushState"](null, "", url);
  subs.forEach((fn) => fn());
}
window.addEventListener("popstate", () => subs.forEach((fn) => fn()));
// Same-origin links navigate without a page load (modifier keys still open new tabs).
document.addEventListener("click", (e) => {
  const a = e.target.closest && e.target.closest("a[href]");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute("href");
  if (!href.startsWith("/") || href.startsWith("/api/") || href.startsWith("/auth/") || a.target || a.hasAttribute("download")) return;
  e.preventDefault();
  navigate(href);
});

export function useRoute() {
  const [r, set] = useState(current);
  useEffect(() => {
    const fn = () => set(current());
    subs.add(fn);
    return () => subs.delete(fn);
  }, []);
  return r;
}

/** Replace some query parameters of the current URL (null or "" removes one). */
export function setQuery(changes, { replace = true } = {}) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) q.delete(k);
    else q.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  const s = q.toString();
  navigate(location.pathname + (s ? "?" + s : ""), { replace });
}
export const listParam = (q, k) => (q.get(k) ? q.get(k).split(",").filter(Boolean) : []);
