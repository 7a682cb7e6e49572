// The applications store: the full list once (GET), then live changes from the SSE stream.
import { api, watchApps } from "./api.js";

const apps = new Map();
const subs = new Set();
let version = 0;
let state = { loaded: false, loading: false, error: null, stream: "idle" };
let stop = null;
let pending = false;

function emit() {
  version++;
  subs.forEach((fn) => fn(version));
}
// Coalesce bursts of stream events into one re-render per animation frame.
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; emit(); });
}

export const store = {
  get state() { return state; },
  get version() { return version; },
  all() { return apps; },
  get(name) { return apps.get(name); },
  subscribe(fn) { subs.add(fn); return () => subs.delete(fn); },
  put(app) { apps.set(app.metadata.name, app); schedule(); },
  /** Load the list (if not loaded) and keep it current. */
  async start() {
    if (state.loaded || state.loading) return;
    state = { ...state, loading: true, error: null };
    emit();
    try {
      const list = await api("/api/v1/applications", { timeout: 120000 });
      for (const a of list.items || []) apps.set(a.metadata.name, a);
      state = { ...state, loaded: true, loading: false };
    } catch (e) {
      state = { ...state, loading: false, error: e };
      emit();
      return;
    }
    emit();
    if (!stop) {
      const seen = new Set();
      stop = watchApps({}, (type, app) => {
        const name = app.metadata.name;
        if (type === "DELETED") { apps.delete(name); schedule(); return; }
        const old = apps.get(name);
        seen.add(name);
        if (old && old.metadata.resourceVersion === app.metadata.resourceVersion) return;
        apps.set(name, app);
        schedule();
      }, (s) => { state = { ...state, stream: s }; emit(); });
    }
  },
  reset() {
    if (stop) stop();
    stop = null;
    apps.clear();
    state = { loaded: false, loading: false, error: null, stream: "idle" };
    emit();
  },
};
