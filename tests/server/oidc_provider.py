"""A small OpenID Connect provider for tests, on loopback: discovery, ``/authorize`` (logs in
the configured user at once and redirects back with a code), ``/token`` (client
authentication, PKCE S256 check, RS256-signed ID token) and ``/jwks``. It speaks the real wire
format, so the server's login goes through real HTTP redirects."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


class OIDCProvider:
    def __init__(self, client_id: str, client_secret: str, redirect_uri: str, user: dict) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.user = user
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict] = {}
        self.token_requests = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, status: int, doc: dict) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                u = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(u.query).items()}
                if u.path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif u.path == "/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key()))
                    self._json(200, {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
                elif u.path == "/authorize":
                    if (
                        q.get("client_id") != provider.client_id
                        or q.get("redirect_uri") != provider.redirect_uri
                    ):
                        self._json(400, {"error": "invalid_request"})
                        return
                    if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
                        self._json(400, {"error": "invalid_request", "error_description": "PKCE required"})
                        return
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = q
                    self.send_response(302)
                    self.send_header(
                        "Location",
                        q["redirect_uri"] + "?" + urlencode({"code": code, "state": q.get("state", "")}),
                    )
                    self.end_headers()
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:
                if urlparse(self.path).path != "/token":
                    self._json(404, {"error": "not found"})
                    return
                provider.token_requests += 1
                n = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(n).decode()).items()}
                auth = self.headers.get("Authorization", "")
                expected = (
                    "Basic "
                    + base64.b64encode(f"{provider.client_id}:{provider.client_secret}".encode()).decode()
                )
                if auth != expected and form.get("client_secret") != provider.client_secret:
                    self._json(401, {"error": "invalid_client"})
                    return
                grant = provider.codes.pop(form.get("code", ""), None)
                if grant is None or form.get("redirect_uri") != provider.redirect_uri:
                    self._json(400, {"error": "invalid_grant"})
                    return
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                if base64.urlsafe_b64encode(digest).decode().rstrip("=") != grant["code_challenge"]:
                    self._json(
                        400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
                    )
                    return
                now = int(time.time())
                claims = {
                    "iss": provider.issuer,
                    "aud": provider.client_id,
                    "iat": now,
                    "exp": now + 300,
                    "nonce": grant.get("nonce"),
                    **provider.user,
                }
                id_token = jwt.encode(claims, provider.key, algorithm="RS256", headers={"kid": "k1"})
                self._json(
                    200,
                    {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "id_token": id_token},
                )

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def stop(self) -> None:
        self.httpd.shutdown()
