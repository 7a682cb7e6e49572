"""Helm charts in OCI registries (``repoURL: oci://registry/path`` or ``registry/path`` with
``enableOCI: "true"`` on the repository Secret, plus ``chart:``).

Speaks the OCI distribution API directly: tags from ``/v2/<name>/tags/list`` (Helm stores
``+`` in versions as ``_``), the manifest's Helm chart layer
(``application/vnd.cncf.helm.chart.content.v1.tar+gzip``) from ``/v2/<name>/blobs/<digest>``,
checked against its digest. Registry auth: HTTP basic, or the bearer token flow announced by
``WWW-Authenticate: Bearer realm=...`` (credentials go only to the registry and its token
realm). HTTPS unless the repository Secret sets ``insecureOCIForceHttp: "true"``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from kedge.repo.creds import RepoCredentials
from kedge.repo.errors import (
    RepoAuthError,
    RepoError,
    RepoTimeoutError,
    RepoUnreachableError,
    RevisionNotFoundError,
)
from kedge.repo.urls import redact

HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"
)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


def is_oci(url: str, creds: RepoCredentials | None) -> bool:
    return url.startswith("oci://") or ("://" not in url and bool(creds and creds.enable_oci))


def reference(url: str, chart: str) -> tuple[str, str]:
    """``(registry host[:port], repository name)`` for a repoURL and chart."""
    rest = url.removeprefix("oci://").strip("/")
    host, _, path = rest.partition("/")
    name = f"{path}/{chart}" if path else chart
    return host, name.strip("/")


class OciClient:
    """One registry repository (``host/name``): tags and chart blobs, with auth and size caps."""

    def __init__(
        self, url: str, chart: str, creds: RepoCredentials | None, *, timeout: float, max_bytes: int
    ):
        import httpx

        self.url = url
        self.chart = chart
        self.creds = creds
        self.host, self.name = reference(url, chart)
        scheme = "http" if creds is not None and getattr(creds, "insecure_oci_force_http", False) else "https"
        self.base = f"{scheme}://{self.host}"
        self.max_bytes = max_bytes
        self._token: str | None = None
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), verify=not (creds and creds.insecure), follow_redirects=False
        )

    def close(self) -> None:
        self._client.close()

    def _what(self) -> str:
        return f"OCI repository {redact(self.url)}/{self.chart}"

    def _auth_headers(self) -> dict[str, str]:
        if self._token:
            return {"Authorization": f"Bearer {self._token}"}
        return {}

    def _basic(self):
        import httpx

        if self.creds is not None and (self.creds.username or self.creds.password):
            return httpx.BasicAuth(self.creds.username, self.creds.password)
        return None

    def _request(self, path: str, accept: str = "", stream_to: Path | None = None) -> Any:
        import httpx

        url = path if path.startswith("http") else self.base + path
        headers = {"Accept": accept} if accept else {}
        try:
            for attempt in range(2):
                resp = self._client.get(url, headers={**headers, **self._auth_headers()}, auth=None)
                # blobs are often redirected to storage: follow without our credentials
                hops = 0
                while resp.is_redirect and hops < 5:
                    resp = self._client.get(resp.headers["Location"], headers=headers)
                    hops += 1
                if resp.status_code == 401 and attempt == 0:
                    self._authenticate(resp.headers.get("WWW-Authenticate", ""))
                    if self._token is None:  # basic auth
                        resp = self._client.get(url, headers=headers, auth=self._basic())
                        if resp.status_code != 401:
                            break
                        raise RepoAuthError(
                            f"{self._what()}: authentication failed; check the repository Secret"
                        )
                    continue
                break
        except httpx.TimeoutException:
            raise RepoTimeoutError(f"{self._what()}: registry timed out") from None
        except httpx.HTTPError as exc:
            raise RepoUnreachableError(f"{self._what()}: registry unreachable ({exc})") from None
        if resp.status_code in (401, 403):
            raise RepoAuthError(f"{self._what()}: HTTP {resp.status_code}; check the repository Secret")
        if resp.status_code == 404:
            raise RevisionNotFoundError(f"{self._what()}: not found in the registry ({path.split('?')[0]})")
        if resp.status_code >= 400:
            raise RepoError(f"{self._what()}: registry answered HTTP {resp.status_code}")
        if len(resp.content) > self.max_bytes:
            raise RepoError(f"{self._what()}: response over {self.max_bytes} bytes refused")
        return resp

    def _authenticate(self, challenge: str) -> None:
        """Handle ``WWW-Authenticate``: fetch a bearer token, or fall back to basic auth."""
        if not challenge.lower().startswith("bearer"):
            self._token = None
            return
        params = dict(_CHALLENGE.findall(challenge))
        realm = params.pop("realm", "")
        if not realm:
            raise RepoAuthError(f"{self._what()}: registry sent a bearer challenge without a realm")
        resp = self._client.get(realm, params=params, auth=self._basic())
        if resp.status_code >= 400:
            raise RepoAuthError(f"{self._what()}: token request failed with HTTP {resp.status_code}")
        data = resp.json()
        self._token = data.get("token") or data.get("access_token")
        if not self._token:
            raise RepoAuthError(f"{self._what()}: token service answered no token")

    def tags(self) -> list[str]:
        """Chart versions (tags with ``_`` turned back into ``+``)."""
        out: list[str] = []
        path: str | None = f"/v2/{self.name}/tags/list?n=1000"
        pages = 0
        while path and pages < 100:
            resp = self._request(path)
            out += [t.replace("_", "+") for t in (resp.json().get("tags") or [])]
            link = resp.headers.get("Link", "")
            m = re.match(r"<([^>]+)>", link)
            path = m.group(1) if m else None
            pages += 1
        return out

    def download_chart(self, version: str, dest: Path) -> None:
        """Write the chart layer of ``version`` to ``dest`` after checking its digest."""
        manifest = self._request(
            f"/v2/{self.name}/manifests/{version.replace('+', '_')}", MANIFEST_TYPES
        ).json()
        layers = [layer for layer in manifest.get("layers") or [] if layer.get("mediaType") == HELM_LAYER]
        if not layers:
            raise RepoError(f"{self._what()}:{version} is not a Helm chart (no {HELM_LAYER} layer)")
        layer = layers[0]
        if int(layer.get("size") or 0) > self.max_bytes:
            raise RepoError(f"{self._what()}:{version}: chart of {layer['size']} bytes is over the limit")
        digest = str(layer.get("digest") or "")
        data = self._request(f"/v2/{self.name}/blobs/{digest}").content
        algo, _, want = digest.partition(":")
        if algo != "sha256" or hashlib.sha256(data).hexdigest() != want:
            raise RepoError(f"{self._what()}:{version}: chart digest mismatch (manifest says {digest})")
        dest.write_bytes(data)
