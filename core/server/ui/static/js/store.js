// The applications store: the full list once (GET), then live changes from the SSE stream.
import { api, watchApps } from "./api.js";

const apps = new Map();
const subs = new Set();
let version = 0;
const FIRST_PAGE = 200;
const PAGE = 2500;
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
    // Page through the list (the API's limit/continue): the first screenful renders at once,
    // the rest streams in behind it (state.partial until the last page).
    try {
      performance.mark("kedge:list-start");
      let cont = "";
      let limit = FIRST_PAGE;
      for (let page = 0; page < 10000; page++) {
        const list = await api("/api/v1/applications", { query: { limit, continue: cont }, timeout: 120000 });
        for (const a of list.items || []) apps.set(a.metadata.name, a);
        cont = list.metadata?.continue || "";
        if (page === 0) performance.mark("kedge:list-first-page");
        state = { ...state, loaded: true, loading: !!cont, partial: !!cont };
        emit();
        if (!cont) break;
        limit = PAGE;
      }
      performance.mark("kedge:list-loaded");
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
