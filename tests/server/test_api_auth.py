"""Authentication: 401 on every endpoint but the open ones, sessions, cookies, logout, API
tokens (revocation, expiry), project role tokens, login rate limiting, anonymous access."""

import re
import time

import httpx
import pytest
from conftest import PASSWORD, unique, wait_for

OPEN = {
    ("POST", "/api/v1/session"),
    ("POST", "/api/webhook"),
    ("GET", "/api/badge"),
    ("GET", "/healthz"),
    ("GET", "/api/version"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/v1/settings"),
    ("GET", "/auth/login"),
    ("GET", "/auth/callback"),
}


def all_operations():
    from kedge.server.app import load_routes

    for r in load_routes():
        path = re.sub(r"{[^}]+}", "x", r.path)
        yield r.method, path, r.public


def test_every_endpoint_needs_authentication(server):
    ops = list(all_operations())
    assert len(ops) > 50
    public = {(m, re.sub(r"x", "x", p)) for m, p, pub in ops if pub}
    with httpx.Client(base_url=server.url, timeout=30) as c:
        for method, path, is_public in ops:
            if is_public:
                continue
            r = c.request(method, path, json={} if method in ("POST", "PUT", "PATCH") else None)
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            assert r.json()["message"] == "no session information"
            # a forged token does no better
            r = c.request(method, path, headers={"Authorization": "Bearer abc.def.ghi"})
            assert r.status_code == 401, (method, path, r.status_code)
    declared_open = {(m, p) for m, p, pub in ops if pub}
    assert declared_open == {(m, re.sub(r"{[^}]+}", "x", p)) for m, p in OPEN}, public


def test_login_cookie_and_logout(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.post("/api/v1/session", json={"username": "alice", "password": PASSWORD})
        assert r.status_code == 200
        token = r.json()["token"]
        assert c.cookies.get("argocd.token") == token
        assert "httponly" in r.headers["set-cookie"].lower()
        # the cookie alone authenticates
        assert c.get("/api/v1/session/userinfo").json()["username"] == "alice"
        assert c.delete("/api/v1/session").status_code == 200
    # the token is revoked
    with server.client(token) as c:
        r = c.get("/api/v1/applications")
        assert r.status_code == 401 and "revoked" in r.json()["message"]


def test_bad_logins(server):
    with server.client() as c:
        r = c.post("/api/v1/session", json={"username": "alice", "password": "nope"})
        assert r.status_code == 401 and r.json()["message"] == "Invalid username or password"
        r = c.post("/api/v1/session", json={"username": "ghost", "password": "nope"})
        assert r.status_code == 401 and r.json()["message"] == "Invalid username or password"
        # carol has only the apiKey capability
        r = c.post("/api/v1/session", json={"username": "carol", "password": PASSWORD})
        assert r.status_code == 401
        r = c.post("/api/v1/session", json={"username": "alice"})
        assert r.status_code == 400
        r = c.post("/api/v1/session", json={"username": "alice", "password": "x", "extra": 1})
        assert r.status_code == 400 and "extra" in r.json()["message"]


def test_login_is_rate_limited(server):
    # bob's failures; alice (above) is unaffected
    with server.client() as c:
        codes = [
            c.post("/api/v1/session", json={"username": "bob", "password": "wrong"}).status_code
            for _ in range(6)
        ]
        assert codes[:5] == [401] * 5 and codes[5] == 429
        r = c.post("/api/v1/session", json={"username": "bob", "password": PASSWORD})
        assert r.status_code == 429 and "Too many failed login attempts" in r.json()["message"]
        assert r.headers.get("retry-after")
    server.backend.auth.limiter.succeeded("bob")
    assert server.login("bob")


def test_api_tokens_revocation_and_expiry(server, admin):
    # carol (apiKey only) gets a token from the admin
    r = admin.post("/api/v1/account/carol/token", json={"id": "ci", "expiresIn": "3600"})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    with server.client(token) as c:
        assert c.get("/api/v1/session/userinfo").json()["username"] == "carol"
        assert c.get("/api/v1/clusters").status_code == 200
    r = admin.post("/api/v1/account/carol/token", json={"id": "ci"})
    assert r.status_code == 400 and "already has token" in r.json()["message"]
    acct = admin.get("/api/v1/account/carol").json()
    assert [t["id"] for t in acct["tokens"]] == ["ci"]
    assert admin.delete("/api/v1/account/carol/token/ci").status_code == 200
    with server.client(token) as c:
        r = c.get("/api/v1/clusters")
        assert r.status_code == 401 and "revoked" in r.json()["message"]
    # an expired token (signed with the server's key, but expired) fails
    expired, _ = server.backend.auth.issuer.issue_api_token("carol", 1, token_id="old")
    time.sleep(0.01)
    import jwt

    payload = jwt.decode(expired, options={"verify_signature": False})
    payload["exp"] = int(time.time()) - 60
    forged = jwt.encode(payload, server.backend._secret_key, algorithm="HS256")
    with server.client(forged) as c:
        r = c.get("/api/v1/clusters")
        assert r.status_code == 401 and "expired" in r.json()["message"]
    # bob cannot create tokens (no apiKey capability, and not his account)
    with server.as_user("bob") as c:
        assert c.post("/api/v1/account/carol/token", json={}).status_code == 403
        r = c.post("/api/v1/account/bob/token", json={})
        assert r.status_code == 400 and "apiKey" in r.json()["message"]


def test_password_change_invalidates_sessions(server, admin):
    old = server.login("alice", PASSWORD)
    with server.client(old) as c:
        r = c.put(
            "/api/v1/account/password", json={"currentPassword": "wrong", "newPassword": "N3w-password!"}
        )
        assert r.status_code == 401
        r = c.put("/api/v1/account/password", json={"currentPassword": PASSWORD, "newPassword": "short"})
        assert r.status_code == 400 and "password pattern" in r.json()["message"]
        time.sleep(2.1)  # the password mtime (whole seconds) must be later than the session's iat + 1
        r = c.put(
            "/api/v1/account/password", json={"currentPassword": PASSWORD, "newPassword": "N3w-password!"}
        )
        assert r.status_code == 200, r.text
    with server.client(old) as c:
        r = c.get("/api/v1/applications")
        assert r.status_code == 401, r.text
    new = server.login("alice", "N3w-password!")
    # the admin sets it back (its own current password authorises it)
    r = admin.put(
        "/api/v1/account/password",
        json={"name": "alice", "currentPassword": server.admin_password, "newPassword": PASSWORD},
    )
    assert r.status_code == 200, r.text
    server._tokens.pop("alice", None)
    assert new


def test_anonymous_only_when_enabled(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        assert c.get("/api/v1/applications").status_code == 401
        server.set_cm("argocd-cm", {"users.anonymous.enabled": "true"})
        try:
            r = c.get("/api/v1/applications")
            assert r.status_code == 200
            # anonymous has no role: it sees nothing (policy.default is empty)
            assert r.json()["items"] == []
            assert c.get("/api/v1/session/userinfo").json() == {"loggedIn": False}
        finally:
            server.set_cm("argocd-cm", {"users.anonymous.enabled": None})
        assert c.get("/api/v1/applications").status_code == 401


def test_project_role_token(server, admin):
    proj = unique("proj")
    body = {
        "project": {
            "metadata": {"name": proj},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"server": "*", "namespace": "*"}],
                "roles": [
                    {"name": "ci", "policies": [f"p, proj:{proj}:ci, applications, get, {proj}/*, allow"]}
                ],
            },
        }
    }
    assert admin.post("/api/v1/projects", json=body).status_code == 200
    r = admin.post(f"/api/v1/projects/{proj}/roles/ci/token", json={"id": "t1"})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    with server.client(token) as c:
        wait_for(lambda: c.get("/api/v1/applications").status_code == 200)
        assert c.get("/api/v1/session/userinfo").json()["username"] == f"proj:{proj}:ci"
        # a role token cannot mint more tokens
        assert c.post(f"/api/v1/projects/{proj}/roles/ci/token", json={}).status_code == 403
    assert admin.post(f"/api/v1/projects/{proj}/roles/nope/token", json={}).status_code == 404
    assert admin.delete(f"/api/v1/projects/{proj}/roles/ci/token/0?id=t1").status_code == 200
    with server.client(token) as c:
        wait_for(lambda: c.get("/api/v1/applications").status_code == 401)


@pytest.mark.parametrize(
    "path", ["/healthz", "/api/version", "/api/openapi.json", "/swagger.json", "/api/v1/settings"]
)
def test_open_endpoints(server, path):
    r = httpx.get(server.url + path)
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"


def test_cookie_writes_need_same_origin(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        assert c.post("/api/v1/session", json={"username": "alice", "password": PASSWORD}).status_code == 200
        host = server.url.split("://", 1)[1]
        body = {"project": {"metadata": {"name": "csrf-probe"}, "spec": {}}}
        r = c.post("/api/v1/projects", json=body, headers={"Origin": "https://evil.example.com"})
        assert r.status_code == 403 and "cross-origin" in r.json()["message"]
        # same origin: RBAC decides (alice is read-only)
        r = c.post("/api/v1/projects", json=body, headers={"Origin": f"http://{host}"})
        assert r.status_code == 403 and r.json()["message"].startswith("permission denied")
        # reads are not affected
        assert c.get("/api/v1/projects", headers={"Origin": "https://evil.example.com"}).status_code == 200
    # a bearer token is not a browser credential: no origin check
    with server.client(server.login("admin")) as c:
        r = c.get("/api/v1/session/userinfo", headers={"Origin": "https://elsewhere.example.com"})
        assert r.status_code == 200
