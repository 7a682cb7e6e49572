"""SSO: authorization code + PKCE against a real OIDC provider process on loopback, through
real HTTP redirects; groups from the ID token drive RBAC; logout revokes the SSO session."""

import base64

import httpx
import yaml
from conftest import application, unique, wait_for
from oidc_provider import OIDCProvider


def test_sso_login_flow(server, admin):
    provider = OIDCProvider(
        "kedge",
        "oidc-client-secret",
        server.url + "/auth/callback",
        {"sub": "dana-123", "email": "dana@example.com", "groups": ["devs", "ops"]},
    )
    from kedge.kube.client import MERGE_PATCH

    b = server.backend
    sec = b.client.resource_for("v1", "Secret")
    b.client.patch(
        sec,
        b.namespace,
        "argocd-secret",
        {"data": {"oidc.kedge.clientSecret": base64.b64encode(b"oidc-client-secret").decode()}},
        MERGE_PATCH,
    )
    oidc = {
        "name": "Test",
        "issuer": provider.issuer,
        "clientID": "kedge",
        "clientSecret": "$oidc.kedge.clientSecret",
        "requestedScopes": ["openid", "email", "groups"],
    }
    server.set_cm("argocd-cm", {"oidc.config": yaml.safe_dump(oidc)})
    server.set_cm("argocd-rbac-cm", {"policy.sso.csv": "g, devs, role:readonly\n"})
    name = unique("sso")
    assert (
        admin.post(
            "/api/v1/applications", json=application(name, "https://example.com/r.git", "default")
        ).status_code
        == 200
    )
    try:
        assert httpx.get(server.url + "/api/v1/settings").json()["oidcConfig"]["issuer"] == provider.issuer
        with httpx.Client(base_url=server.url, follow_redirects=True, timeout=30) as browser:
            r = browser.get("/auth/login?return_url=/api/v1/session/userinfo")
            assert r.status_code == 200, r.text
            # provider -> /auth/callback -> back to the return URL, with the session cookie set
            hops = [str(h.url.path) for h in r.history]
            assert hops == ["/auth/login", "/authorize", "/auth/callback"]
            assert r.json() == {
                "loggedIn": True,
                "username": "dana-123",
                "iss": provider.issuer,
                "groups": ["devs", "ops"],
            }
            assert provider.token_requests == 1
            wait_for(
                lambda: any(
                    a["metadata"]["name"] == name for a in browser.get("/api/v1/applications").json()["items"]
                )
            )
            r = browser.post(f"/api/v1/applications/{name}/sync", json={})
            assert r.status_code == 403 and "sub: dana-123" in r.json()["message"]
            token = browser.cookies.get("argocd.token")
            assert browser.delete("/api/v1/session").status_code == 200
        with server.client(token) as c:
            assert c.get("/api/v1/applications").status_code == 401
        with httpx.Client(base_url=server.url, timeout=30) as c:
            # a callback without a pending login, and an open redirect attempt
            assert c.get("/auth/callback?code=x&state=forged").status_code == 400
            r = c.get("/auth/login?return_url=https://evil.example.com/")
            assert r.status_code == 303 and r.headers["location"].startswith(provider.issuer + "/authorize?")
            r2 = httpx.get(r.headers["location"], follow_redirects=False)
            callback = r2.headers["location"]
            r3 = c.get(callback.replace(server.url, ""), follow_redirects=False)
            assert r3.status_code == 303 and r3.headers["location"] == "/"
            # a replayed code fails at the provider
            r4 = c.get(callback.replace(server.url, ""), follow_redirects=False)
            assert r4.status_code == 400
            assert c.get("/auth/callback?error=access_denied").status_code == 401
    finally:
        server.set_cm("argocd-cm", {"oidc.config": None})
        server.set_cm("argocd-rbac-cm", {"policy.sso.csv": None})
        provider.stop()
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.get("/auth/login")
        assert r.status_code == 400 and "SSO is not configured" in r.json()["message"]
