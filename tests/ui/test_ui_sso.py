"""SSO from the login page: the "Log in via" button appears once argocd-cm has oidc.config,
and a click goes through the real redirect dance with a provider process on loopback."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import yaml
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from conftest import merge_patch  # noqa: E402
from oidc_provider import OIDCProvider  # noqa: E402
from ui_harness import wait_for  # noqa: E402


def test_sso_login_button(page, ui, guestbook):
    provider = OIDCProvider(
        "kedge-ui",
        "ui-client-secret",
        ui.url + "/auth/callback",
        {"sub": "erin", "email": "erin@example.com", "groups": ["web-team"]},
    )

    def oidc_issuer() -> str:
        with ui.client() as c:
            return (c.get("/api/v1/settings").json().get("oidcConfig") or {}).get("issuer", "")

    try:
        secret = base64.b64encode(b"ui-client-secret").decode()
        merge_patch(ui, "Secret", "argocd-secret", {"oidc.kedge.clientSecret": secret})
        merge_patch(ui, "ConfigMap", "argocd-rbac-cm", {"policy.sso.csv": "g, web-team, role:readonly\n"})
        oidc = {
            "name": "Loopback IdP",
            "issuer": provider.issuer,
            "clientID": "kedge-ui",
            "clientSecret": "$oidc.kedge.clientSecret",
            "requestedScopes": ["openid", "email", "groups"],
        }
        merge_patch(ui, "ConfigMap", "argocd-cm", {"oidc.config": yaml.safe_dump(oidc)})
        wait_for(lambda: oidc_issuer() == provider.issuer, 30, 0.2)

        page.goto("/applications/guestbook")
        button = page.locator("#sso-login")
        expect(button).to_have_text("Log in via Loopback IdP")
        page.shots("sso-button")
        button.click()
        # provider -> /auth/callback -> back where the user started, logged in as erin
        expect(page).to_have_url(f"{ui.url}/applications/guestbook", timeout=15000)
        expect(page.locator("#app-name")).to_have_text("guestbook")
        expect(page.locator("#btn-sync")).to_be_disabled()  # web-team is role:readonly
        page.goto("/user-info")
        expect(page.locator("#userinfo")).to_contain_text("erin")
        expect(page.locator("#userinfo")).to_contain_text("web-team")
        page.shots("sso-user")
    finally:
        page.external[:] = [u for u in page.external if not u.startswith(provider.issuer)]
        merge_patch(ui, "ConfigMap", "argocd-cm", {"oidc.config": None})
        wait_for(lambda: oidc_issuer() == "", 30, 0.2)
        provider.stop()
