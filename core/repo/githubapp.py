"""GitHub App credentials (``githubAppID``, ``githubAppInstallationID``, ``githubAppPrivateKey``,
``githubAppEnterpriseBaseUrl``): an installation access token used as the HTTPS password.

The app's private key signs a short-lived JWT (RS256); GitHub's
``POST /app/installations/{id}/access_tokens`` exchanges it for a token valid about an hour.
Tokens are cached in-process until one minute before they expire. Used with the user name
``x-access-token``, as GitHub documents.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from kedge.repo.creds import RepoCredentials
from kedge.repo.errors import RepoAuthError, RepoUnreachableError

DEFAULT_API = "https://api.github.com"
_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_lock = threading.Lock()


def installation_token(creds: RepoCredentials, timeout: float = 30.0) -> str:
    """An installation access token for the app in ``creds`` (cached until near expiry)."""
    api = (creds.github_app_enterprise_base_url or DEFAULT_API).rstrip("/")
    key = (api, creds.github_app_id, creds.github_app_installation_id)
    with _lock:
        cached = _tokens.get(key)
        if cached and cached[1] - 60 > time.time():
            return cached[0]
    import httpx
    import jwt

    if not creds.github_app_id or not creds.github_app_installation_id:
        raise RepoAuthError(
            f"repository {creds.url}: githubAppID and githubAppInstallationID are required with githubAppPrivateKey"
        )
    now = int(time.time())
    try:
        assertion = jwt.encode(
            {"iat": now - 60, "exp": now + 540, "iss": creds.github_app_id},
            creds.github_app_private_key,
            algorithm="RS256",
        )
    except (ValueError, TypeError, jwt.PyJWTError):
        raise RepoAuthError(
            f"repository {creds.url}: githubAppPrivateKey of GitHub App {creds.github_app_id} is not a valid RSA private key"
        ) from None
    url = f"{api}/app/installations/{creds.github_app_installation_id}/access_tokens"
    try:
        resp = httpx.post(
            url,
            headers={
                "Authorization": f"Bearer {assertion}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "kedge-repo-server",
            },
            timeout=timeout,
            verify=not creds.insecure,
        )
    except httpx.HTTPError as exc:
        raise RepoUnreachableError(f"GitHub App token request to {api} failed: {exc}") from None
    if resp.status_code >= 400:
        try:
            msg = resp.json().get("message", "")
        except ValueError:
            msg = ""
        raise RepoAuthError(
            f"GitHub App {creds.github_app_id} (installation {creds.github_app_installation_id}) could not get "
            f"a token from {api}: HTTP {resp.status_code} {msg}".rstrip()
        )
    data = resp.json()
    token = str(data.get("token") or "")
    if not token:
        raise RepoAuthError(f"GitHub App token response from {api} has no token")
    try:
        expires = datetime.fromisoformat(str(data.get("expires_at")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        expires = time.time() + 3000
    with _lock:
        _tokens[key] = (token, expires)
    return token
