"""GitHub App credentials against a loopback server speaking GitHub's token API wire format."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gitservers import GitHTTPServer

from kedge.repo.creds import RepoCredentials
from kedge.repo.errors import RepoAuthError
from kedge.repo.git import GitRepos

APP_ID, INSTALLATION = "4242", "99"


class FakeGitHubAPI:
    """``POST /app/installations/{id}/access_tokens``: checks the RS256 JWT, answers a token."""

    def __init__(self, public_key, token: str) -> None:
        api = self
        self.calls = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                api.calls += 1
                auth = self.headers.get("Authorization", "")
                status, body = 401, {"message": "A JSON web token could not be decoded"}
                try:
                    claims = jwt.decode(auth.removeprefix("Bearer "), public_key, algorithms=["RS256"])
                    if (
                        claims["iss"] == APP_ID
                        and self.path == f"/api/v3/app/installations/{INSTALLATION}/access_tokens"
                    ):
                        status, body = 201, {"token": token, "expires_at": "2099-01-01T00:00:00Z"}
                    else:
                        status, body = 404, {"message": "Not Found"}
                except jwt.PyJWTError:
                    pass
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v3"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_github_app_installation_token(work_repo, git_root, repo_config):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    token = "ghs_installationTOKEN123"
    api = FakeGitHubAPI(key.public_key(), token)
    srv = GitHTTPServer(git_root / "srv", "x-access-token", token)
    try:
        r = work_repo()
        c1 = r.commit({"a.yaml": "a: app\n"})
        url = srv.url(r.name)
        creds = RepoCredentials(
            url=url,
            github_app_id=APP_ID,
            github_app_installation_id=INSTALLATION,
            github_app_private_key=pem,
            github_app_enterprise_base_url=api.url,
        )
        repos = GitRepos(repo_config)
        assert repos.resolve(url, "main", creds) == c1
        with repos.checkout(url, c1, creds) as root:
            assert (root / "a.yaml").read_text() == "a: app\n"
        assert api.calls == 1  # token cached
        wrong = RepoCredentials(
            url=url,
            github_app_id="1",
            github_app_installation_id=INSTALLATION,
            github_app_private_key=pem,
            github_app_enterprise_base_url=api.url,
        )
        with pytest.raises(RepoAuthError) as e:
            repos.resolve(url, "main", wrong, refresh=True)
        assert "GitHub App 1" in str(e.value) and "PRIVATE KEY" not in str(e.value)
    finally:
        srv.stop()
        api.stop()
