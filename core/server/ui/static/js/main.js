// Kedge web UI: the shell (navigation, session, theme) and the routes.
import { html, render, useEffect, useState } from "./html.js";
import { api, onUnauthorized, clearCanI } from "./api.js";
import { navigate, useRoute } from "./router.js";
import { Toasts, Loading, notify } from "./components.js";
import { Glyph } from "./icons.js";
import { store } from "./store.js";
import { Login } from "./views/login.js";
import { AppsList } from "./views/apps.js";
import { AppDetails } from "./views/app.js";
import { Settings, UserInfo } from "./views/settings.js";

const THEME_KEY = "kedge.theme";
function applyTheme(t) {
  document.documentElement.dataset.theme = t;
}
applyTheme(localStorage.getItem(THEME_KEY) || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"));

function Nav({ user, path, onLogout }) {
  const [theme, setTheme] = useState(document.documentElement.dataset.theme);
  const toggle = () => {
    const t = theme === "dark" ? "light" : "dark";
    localStorage.setItem(THEME_KEY, t);
    applyTheme(t);
    setTheme(t);
  };
  const item = (href, icon, label) =>
    html`<a href=${href} class=${"nav-item" + (path.startsWith(href) ? " active" : "")} aria-current=${path.startsWith(href) ? "page" : undefined}><${Glyph} name=${icon} size="20" /><span>${label}</span></a>`;
  return html`<nav class="sidebar" aria-label="Main">
    <a href="/applications" class="logo" aria-label="Kedge home"><img src="/assets/img/kedge.svg" width="28" height="28" alt="" /><span>Kedge</span></a>
    ${item("/applications", "apps", "Applications")}
    ${item("/settings", "gear", "Settings")}
    ${item("/user-info", "user", "User info")}
    <div class="nav-fill" />
    <button class="nav-item" onClick=${toggle} aria-label="Toggle dark mode"><${Glyph} name=${theme === "dark" ? "sun" : "moon"} size="20" /><span>${theme === "dark" ? "Light" : "Dark"} mode</span></button>
    <button class="nav-item" id="logout" onClick=${onLogout}><${Glyph} name="logout" size="20" /><span>Log out${user?.username ? " " + user.username : ""}</span></button>
  </nav>`;
}

function App() {
  const route = useRoute();
  const [session, setSession] = useState(null); // {user, settings}
  const [bootError, setBootError] = useState(null);

  const loadSession = async () => {
    try {
      const [settings, user] = await Promise.all([
        api("/api/v1/settings"),
        api("/api/v1/session/userinfo").catch((e) => (e.status === 401 ? { loggedIn: false } : Promise.reject(e))),
      ]);
      setSession({ settings, user });
      setBootError(null);
    } catch (e) {
      setBootError(e);
    }
  };
  useEffect(() => { loadSession(); }, []);
  useEffect(() => onUnauthorized(() => {
    setSession((s) => (s ? { ...s, user: { loggedIn: false } } : s));
  }), []);

  if (bootError) return html`<div class="center-page"><div class="error-box" role="alert">${bootError.message}</div><button class="btn" onClick=${loadSession}>Retry</button></div>`;
  if (!session) return html`<${Loading} what="Kedge" />`;
  const { user, settings } = session;
  if (!user.loggedIn || route.path === "/login") {
    if (user.loggedIn) { navigate(route.query.get("return") || "/applications", { replace: true }); return null; }
    if (route.path !== "/login") {
      navigate("/login?return=" + encodeURIComponent(route.path + location.search), { replace: true });
      return null;
    }
    return html`<${Login} settings=${settings} onLoggedIn=${async () => { clearCanI(); await loadSession(); }} /><${Toasts} />`;
  }
  if (route.path === "/" || route.path === "") { navigate("/applications", { replace: true }); return null; }

  const logout = async () => {
    try { await api("/api/v1/session", { method: "DELETE" }); } catch (e) { notify(e.message, "error"); }
    store.reset();
    clearCanI();
    setSession({ settings, user: { loggedIn: false } });
    navigate("/login", { replace: true });
  };
  let page;
  const m = route.path.match(/^\/applications\/([^/]+)\/?$/);
  if (m) page = html`<${AppDetails} name=${decodeURIComponent(m[1])} query=${route.query} user=${user} />`;
  else if (route.path.startsWith("/applications")) page = html`<${AppsList} query=${route.query} />`;
  else if (route.path.startsWith("/settings")) page = html`<${Settings} path=${route.path} />`;
  else if (route.path.startsWith("/user-info")) page = html`<${UserInfo} user=${user} settings=${settings} />`;
  else page = html`<div class="page"><h1>Not found</h1><p>No page at ${route.path}. <a href="/applications">Applications</a></p></div>`;
  return html`<div class="shell"><${Nav} user=${user} path=${route.path} onLogout=${logout} /><main id="main">${page}</main></div><${Toasts} />`;
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
