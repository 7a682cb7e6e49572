import json
import time

import pytest

from kedge.auth import AuthError, LocalAuth, LoginRateLimiter, TokenIssuer, hash_password
from kedge.settings import Settings

SECRET_KEY = "k" * 32


def settings(cm=None, secret=None):
    return Settings.from_objects(
        [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-cm"}, "data": cm or {}},
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "argocd-secret"},
                "stringData": secret or {},
            },
        ]
    )


@pytest.fixture(scope="module")
def admin_hash():
    return hash_password("s3cret-admin", cost=4)


def make_auth(current, **kw):
    return LocalAuth(lambda: current[0], TokenIssuer(SECRET_KEY), **kw)


def test_login_and_authenticate_session(admin_hash):
    current = [settings(secret={"admin.password": admin_hash})]
    auth = make_auth(current)
    token, claims = auth.login("admin", "s3cret-admin")
    assert claims.subject == "admin" and claims.kind == "session"
    assert claims.expires_at - claims.issued_at == 24 * 3600
    assert auth.authenticate(token).subject == "admin"
    with pytest.raises(AuthError, match="Invalid username or password"):
        auth.login("admin", "wrong")
    with pytest.raises(AuthError, match="Invalid username or password"):
        auth.login("nobody", "whatever")


def test_session_duration_disabled_accounts_and_logout(admin_hash):
    current = [
        settings(
            cm={"users.session.duration": "1h", "accounts.alice": "login", "accounts.bob": "apiKey"},
            secret={
                "admin.password": admin_hash,
                "accounts.alice.password": admin_hash,
                "accounts.bob.password": admin_hash,
            },
        )
    ]
    auth = make_auth(current)
    token, claims = auth.login("alice", "s3cret-admin")
    assert claims.expires_at - claims.issued_at == 3600
    with pytest.raises(AuthError, match="Invalid username or password"):
        auth.login("bob", "s3cret-admin")  # apiKey only: no login capability
    # hot reload: alice disabled -> her token stops working at once
    current[0] = settings(
        cm={"accounts.alice": "login", "accounts.alice.enabled": "false"},
        secret={"accounts.alice.password": admin_hash},
    )
    with pytest.raises(AuthError, match="disabled"):
        auth.authenticate(token)
    current[0] = settings(cm={"accounts.alice": "login"}, secret={"accounts.alice.password": admin_hash})
    auth.authenticate(token)
    auth.logout(auth.authenticate(token))
    with pytest.raises(AuthError, match="revoked"):
        auth.authenticate(token)


def test_admin_disabled(admin_hash):
    auth = make_auth([settings(cm={"admin.enabled": "false"}, secret={"admin.password": admin_hash})])
    with pytest.raises(AuthError):
        auth.login("admin", "s3cret-admin")


def test_api_tokens_are_revocable():
    issuer = TokenIssuer(SECRET_KEY)
    token, claims = issuer.issue_api_token("ci", expires_in=3600, token_id="tok-1")
    listed = json.dumps([{"id": "tok-1", "iat": claims.issued_at, "exp": claims.expires_at}])
    current = [settings(cm={"accounts.ci": "apiKey"}, secret={"accounts.ci.tokens": listed})]
    auth = LocalAuth(lambda: current[0], issuer)
    assert auth.authenticate(token).subject == "ci"
    current[0] = settings(cm={"accounts.ci": "apiKey"}, secret={"accounts.ci.tokens": "[]"})
    with pytest.raises(AuthError, match="revoked"):
        auth.authenticate(token)


def test_project_role_tokens():
    issuer = TokenIssuer(SECRET_KEY)
    token, claims = issuer.issue_api_token("proj:team-a:deployer", token_id="p-1", project=True)
    roles = {("team-a", "deployer"): [{"id": "p-1", "iat": claims.issued_at}]}
    auth = LocalAuth(lambda: settings(), issuer, project_tokens=lambda p, r: roles.get((p, r)))
    assert auth.authenticate(token).subjects == ("proj:team-a:deployer",)
    roles[("team-a", "deployer")] = []
    with pytest.raises(AuthError, match="revoked"):
        auth.authenticate(token)


def test_expired_and_forged_tokens_fail():
    issuer = TokenIssuer(SECRET_KEY)
    old, _ = issuer._issue("admin", "session", 60, now=time.time() - 3600)
    with pytest.raises(AuthError, match="expired"):
        issuer.verify(old)
    forged, _ = TokenIssuer("x" * 32).issue_session("admin", 60)
    with pytest.raises(AuthError, match="invalid token"):
        issuer.verify(forged)
    with pytest.raises(AuthError, match="invalid token"):
        issuer.verify("not-a-jwt")


def test_failed_logins_are_rate_limited(admin_hash):
    clock = [1000.0]
    limiter = LoginRateLimiter(max_failures=3, window=60, clock=lambda: clock[0])
    auth = make_auth([settings(secret={"admin.password": admin_hash})], limiter=limiter)
    for _ in range(3):
        with pytest.raises(AuthError):
            auth.login("admin", "guess")
    with pytest.raises(AuthError, match="Too many failed login attempts") as err:
        auth.login("admin", "s3cret-admin")
    assert err.value.status == 429
    clock[0] += 61
    auth.login("admin", "s3cret-admin")


def test_rate_limiter_cache_is_bounded():
    limiter = LoginRateLimiter(max_failures=1, window=60, max_entries=10)
    for i in range(100):
        limiter.failed(f"user{i}")
    assert len(limiter._failures) == 10
    assert limiter.retry_after("user99") > 0 and limiter.retry_after("user0") == 0
