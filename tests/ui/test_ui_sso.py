"""SSO from the login page: the "Log in via" button appears once argocd-cm has oidc.config,
and a click goes through the real redirect dance with a provider process on loopback."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import yaml
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from oidc_provider import OIDCProvider  # noqa: E402


def test_sso_login_button(page, ui, guestbook):
    from kedge.kube.client import MERGE_PATCH

    provider = OIDCProvider(
        "kedge-ui",
        "ui-client-secret",
        ui.url + "/auth/callback",
        {"sub": "erin", "email": "erin@example.com", "groups": ["web-team"]},
    )
    b = ui.backend
    try:
        secret = base64.b64encode(b"ui-client-secret").decode()
        b.client.patch(
            b.client.resource_for("v1", "Secret"),
            b.namespace,
            "argocd-secret",
            {"data": {"oidc.kedge.clientSecret": secret}},
            MERGE_PATCH,
        )
        oidc = {
            "name": "Loopback IdP",
            "issuer": provider.issuer,
            "clientID": "kedge-ui",
            "clientSecret": "$oidc.kedge.clientSecret",
            "requestedScopes": ["openid", "email", "groups"],
        }
        cm = b.client.resource_for("v1", "ConfigMap")
        b.client.patch(
            cm, b.namespace, "argocd-cm", {"data": {"oidc.config": yaml.safe_dump(oidc)}}, MERGE_PATCH
        )
        b.client.patch(
            cm,
            b.namespace,
            "argocd-rbac-cm",
            {"data": {"policy.sso.csv": "g, web-team, role:readonly\n"}},
            MERGE_PATCH,
        )
        b.refresh_settings()

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
        b.client.patch(
            b.client.resource_for("v1", "ConfigMap"),
            b.namespace,
            "argocd-cm",
            {"data": {"oidc.config": None}},
            MERGE_PATCH,
        )
        b.refresh_settings()
        provider.stop()
