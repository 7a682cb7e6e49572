// The login page: local accounts, and an SSO button when the server has OIDC configured.
import { html, useState } from "../html.js";
import { api } from "../api.js";

export function Login({ settings, onLoggedIn }) {
  const [username, setUser] = useState("");
  const [password, setPass] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api("/api/v1/session", { method: "POST", body: { username, password } });
      await onLoggedIn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  // SSO (the server's /auth/login, OIDC with PKCE) when argocd-cm has oidc.config.
  const oidc = settings.oidcConfig;
  return html`<div class="login-page">
    <form class="login-card" onSubmit=${submit} aria-label="Log in">
      <div class="login-logo"><img src="/assets/img/kedge.svg" width="48" height="48" alt="" /><h1>Kedge</h1></div>
      <p class="muted">GitOps continuous delivery</p>
      ${settings.userLoginsDisabled ? html`<p class="muted">Local logins are disabled on this server.</p>` : html`
        <label>Username<input id="username" name="username" autocomplete="username" value=${username} onInput=${(e) => setUser(e.target.value)} required autofocus /></label>
        <label>Password<input id="password" name="password" type="password" autocomplete="current-password" value=${password} onInput=${(e) => setPass(e.target.value)} required /></label>
        ${error ? html`<div class="error-box" role="alert" id="login-error">${error.status === 401 ? "Invalid username or password." : error.message}</div>` : null}
        <button class="btn primary block" type="submit" disabled=${busy}>${busy ? "Signing in…" : "Sign in"}</button>`}
      ${oidc ? html`<a class="btn block" id="sso-login" href=${"/auth/login?return_url=" + encodeURIComponent(new URLSearchParams(location.search).get("return") || "/applications")}>Log in via ${oidc.name || "SSO"}</a>` : null}
    </form></div>`;
}
