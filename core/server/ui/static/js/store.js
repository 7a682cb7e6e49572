// The applications store: the list (first screenful at once, the rest behind it), then live
// changes from the SSE stream.
import { api, watchApps } from "./api.js";

const apps = new Map();
const subs = new Set();
let version = 0;
const FIRST_PAGE = 200;
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
    // Two requests at once: the first screenful (limit=200) is drawn as soon as it arrives,
    // while the whole list (one answer, no pagination round trips) loads behind it.
    try {
      performance.mark("kedge:list-start");
      const whole = api("/api/v1/applications", { timeout: 120000 });
      const first = api("/api/v1/applications", { query: { limit: FIRST_PAGE }, timeout: 60000 });
      let done = false;
      first.then((list) => {
        if (done || !list.metadata?.continue) return;
        for (const a of list.items || []) apps.set(a.metadata.name, a);
        performance.mark("kedge:list-first-page");
        state = { ...state, loaded: true, loading: true, partial: true };
        emit();
      }, () => {});
      const list = await whole;
      done = true;
      apps.clear();
      for (const a of list.items || []) apps.set(a.metadata.name, a);
      if (!performance.getEntriesByName("kedge:list-first-page").length) performance.mark("kedge:list-first-page");
      performance.mark("kedge:list-loaded");
      state = { ...state, loaded: true, loading: false, partial: false };
      emit();
    } catch (e) {
      state = { ...state, loading: false, partial: false, error: e };
      emit();
      return;
    }
    // Open the stream once the first screen is painted: its snapshot repeats the list, and
    // parsing it must not compete with the first render.
    await new Promise((r) => setTimeout(r, 300));
    if (!stop && state.loaded) {
      stop = watchApps({}, (type, app) => {
        const name = app.metadata.name;
        if (type === "DELETED") { apps.delete(name); schedule(); return; }
        const old = apps.get(name);
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
