"""The Helm chart repository source: ``chart:`` + an HTTP(S) ``repoURL`` + a version or range.

* ``index.yaml`` is fetched with a timeout and a size cap, parsed once and cached for
  ``revision_cache_expiration`` (a hard refresh bypasses it).
* ``targetRevision`` is an exact version or a semver range (``1.2.*``, ``>=1.0 <2``, ``^1``;
  see :mod:`kedge.repo.semver_range`); the highest matching version wins, as in Argo CD.
* The chart ``.tgz`` is downloaded once per (repository, chart, version), checked against the
  index's ``digest`` (sha256) when present, and extracted safely (no absolute paths, ``..``,
  links leaving the chart, device files; byte and file-count caps against tar bombs).
* Basic auth is sent to the repository host only; a chart URL on another host receives the
  credentials only with ``helm.passCredentials: true`` (Helm's ``--pass-credentials``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from kedge.repo import semver_range
from kedge.repo.archive import safe_extract
from kedge.repo.config import RepoServerConfig
from kedge.repo.creds import RepoCredentials
from kedge.repo.errors import (
    RepoAuthError,
    RepoError,
    RepoTimeoutError,
    RepoUnreachableError,
    RevisionNotFoundError,
)
from kedge.repo.locks import file_lock
from kedge.repo.urls import host_of, redact, url_key


@dataclass
class ChartVersion:
    name: str
    version: str
    urls: list[str]
    digest: str = ""


@dataclass
class _Index:
    entries: dict[str, list[ChartVersion]]
    fetched_at: float


class HelmRepos:
    """Helm chart repositories of one cache directory (thread-safe; one per process)."""

    def __init__(self, config: RepoServerConfig) -> None:
        self.config = config
        self.base = Path(config.cache_dir)
        self._index: dict[str, _Index] = {}
        self._lock = threading.Lock()
        self.stats = {"index": 0, "download": 0, "extract": 0}

    # -- HTTP ---------------------------------------------------------------------------------
    def _client(self, creds: RepoCredentials | None, tmp: Path):
        import httpx

        verify: bool | ssl.SSLContext = True
        if creds is not None:
            if creds.insecure:
                verify = False
            elif creds.ca_data:
                verify = ssl.create_default_context(cadata=creds.ca_data)
            if creds.tls_client_cert_data and creds.tls_client_cert_key:
                crt, key = tmp / "client.crt", tmp / "client.key"
                for p, data in ((crt, creds.tls_client_cert_data), (key, creds.tls_client_cert_key)):
                    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "w") as fh:
                        fh.write(data)
                if verify is True:
                    verify = ssl.create_default_context()
                if isinstance(verify, ssl.SSLContext):
                    verify.load_cert_chain(str(crt), str(key))
        proxy = creds.proxy if creds is not None and creds.proxy else None
        return httpx.Client(
            verify=verify,
            proxy=proxy,
            timeout=httpx.Timeout(self.config.http_timeout),
            follow_redirects=True,
            trust_env=True,
        )

    def _get(
        self,
        url: str,
        *,
        repo_url: str,
        creds: RepoCredentials | None,
        send_auth: bool,
        max_bytes: int,
        what: str,
        dest: Path | None = None,
    ) -> bytes:
        """GET ``url`` with a size cap; into ``dest`` if given (returns b"") else in memory."""
        import httpx

        tmp = Path(tempfile.mkdtemp(prefix="kedge-helm-", dir=self._tmp()))
        secrets = creds.secrets() if creds else []
        try:
            auth = None
            headers = {"User-Agent": "kedge-repo-server"}
            if send_auth and creds is not None:
                if creds.bearer_token:
                    headers["Authorization"] = f"Bearer {creds.bearer_token}"
                elif creds.username or creds.password:
                    auth = httpx.BasicAuth(creds.username, creds.password)
            with self._client(creds, tmp) as client:
                try:
                    with client.stream("GET", url, auth=auth, headers=headers) as resp:
                        if resp.status_code in (401, 403):
                            raise RepoAuthError(
                                f"{what} from Helm repository {redact(repo_url, secrets)} failed: HTTP "
                                f"{resp.status_code}; authentication required or credentials rejected, "
                                "check the repository Secret"
                            )
                        if resp.status_code == 404:
                            raise RepoError(
                                f"{what} from Helm repository {redact(repo_url, secrets)} failed: "
                                f"{redact(url, secrets)} not found (HTTP 404)"
                            )
                        if resp.status_code >= 400:
                            raise RepoError(
                                f"{what} from Helm repository {redact(repo_url, secrets)} failed: HTTP {resp.status_code}"
                            )
                        declared = int(resp.headers.get("Content-Length") or 0)
                        if declared > max_bytes:
                            raise RepoError(
                                f"{what} from Helm repository {redact(repo_url, secrets)} refused: "
                                f"{declared} bytes is over the {max_bytes}-byte limit"
                            )
                        size = 0
                        chunks: list[bytes] = []
                        fh = open(dest, "wb") if dest else None  # noqa: SIM115
                        try:
                            for chunk in resp.iter_bytes(65536):
                                size += len(chunk)
                                if size > max_bytes:
                                    raise RepoError(
                                        f"{what} from Helm repository {redact(repo_url, secrets)} refused: "
                                        f"more than {max_bytes} bytes"
                                    )
                                if fh:
                                    fh.write(chunk)
                                else:
                                    chunks.append(chunk)
                        finally:
                            if fh:
                                fh.close()
                        return b"".join(chunks)
                except httpx.TimeoutException:
                    raise RepoTimeoutError(
                        f"{what} from Helm repository {redact(repo_url, secrets)} timed out after "
                        f"{self.config.http_timeout:.0f}s"
                    ) from None
                except httpx.ConnectError as exc:
                    raise RepoUnreachableError(
                        f"{what} from Helm repository {redact(repo_url, secrets)} failed: repository "
                        f"unreachable ({redact(str(exc), secrets)})"
                    ) from None
                except httpx.HTTPError as exc:
                    raise RepoError(
                        f"{what} from Helm repository {redact(repo_url, secrets)} failed: "
                        f"{redact(str(exc), secrets)}"
                    ) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _tmp(self) -> str:
        p = self.base / "tmp"
        p.mkdir(parents=True, exist_ok=True)
        return str(p)

    # -- index --------------------------------------------------------------------------------
    def index(
        self, url: str, creds: RepoCredentials | None, *, refresh: bool = False
    ) -> dict[str, list[ChartVersion]]:
        """Chart name -> versions from the repository's ``index.yaml`` (cached)."""
        key = url_key(url)
        with self._lock:
            cached = self._index.get(key)
        if (
            cached
            and not refresh
            and time.monotonic() - cached.fetched_at < self.config.revision_cache_expiration
        ):
            return cached.entries
        raw = self._get(
            url.rstrip("/") + "/index.yaml",
            repo_url=url,
            creds=creds,
            send_auth=True,
            max_bytes=self.config.helm_index_max_bytes,
            what="fetching index.yaml",
        )
        import yaml

        try:
            doc = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            raise RepoError(f"index.yaml of Helm repository {redact(url)} is invalid YAML: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), dict):
            raise RepoError(f"index.yaml of Helm repository {redact(url)} has no 'entries' mapping")
        entries: dict[str, list[ChartVersion]] = {}
        for name, versions in doc["entries"].items():
            out = []
            for v in versions or []:
                if isinstance(v, dict) and v.get("version") is not None:
                    out.append(
                        ChartVersion(
                            str(name),
                            str(v["version"]),
                            list(v.get("urls") or []),
                            str(v.get("digest") or ""),
                        )
                    )
            entries[str(name)] = out
        self.stats["index"] += 1
        with self._lock:
            self._index[key] = _Index(entries, time.monotonic())
        return entries

    def _entry(self, url: str, chart: str, version: str, creds, refresh: bool = False) -> ChartVersion:
        versions = self.index(url, creds, refresh=refresh).get(chart)
        if not versions:
            raise RevisionNotFoundError(f"chart {chart!r} not found in Helm repository {redact(url)}")
        for v in versions:
            if v.version == version:
                return v
        raise RevisionNotFoundError(
            f"chart {chart!r} has no version {version!r} in Helm repository {redact(url)}"
        )

    def _oci(self, url: str, chart: str, creds):
        from kedge.repo.oci import OciClient

        return OciClient(
            url, chart, creds, timeout=self.config.http_timeout, max_bytes=self.config.helm_chart_max_bytes
        )

    def _oci_versions(self, url: str, chart: str, creds, refresh: bool) -> list[str]:
        key = url_key(url) + "|oci|" + chart
        with self._lock:
            cached = self._index.get(key)
        if (
            cached
            and not refresh
            and time.monotonic() - cached.fetched_at < self.config.revision_cache_expiration
        ):
            return [v.version for v in cached.entries.get(chart, [])]
        client = self._oci(url, chart, creds)
        try:
            tags = client.tags()
        finally:
            client.close()
        self.stats["index"] += 1
        with self._lock:
            self._index[key] = _Index({chart: [ChartVersion(chart, t, []) for t in tags]}, time.monotonic())
        return tags

    def resolve(
        self, url: str, chart: str, revision: str, creds: RepoCredentials | None, *, refresh: bool = False
    ) -> str:
        """The chart version for ``targetRevision`` (exact version or semver range)."""
        from kedge.repo.oci import is_oci

        rev = (revision or "").strip()
        if is_oci(url, creds):
            names = self._oci_versions(url, chart, creds, refresh)
            if not names:
                raise RevisionNotFoundError(f"chart {chart!r} has no versions in OCI registry {redact(url)}")
        else:
            versions = self.index(url, creds, refresh=refresh).get(chart)
            if not versions:
                raise RevisionNotFoundError(f"chart {chart!r} not found in Helm repository {redact(url)}")
            names = [v.version for v in versions]
        if rev and rev in names:
            return rev
        if rev and semver_range.is_version(rev):
            want = semver_range.parse_version(rev)
            for n in names:
                if semver_range.parse_version(n) == want:
                    return n
            raise RevisionNotFoundError(
                f"chart {chart!r} version {rev!r} not found in Helm repository {redact(url)} "
                f"(available: {', '.join(names[:10])}{'...' if len(names) > 10 else ''})"
            )
        constraint = semver_range.parse_constraint(rev or "*")
        if constraint is None:
            raise RevisionNotFoundError(
                f"targetRevision {rev!r} of chart {chart!r} is neither a version nor a semver range"
            )
        best = semver_range.max_version(constraint, names)
        if best is None:
            raise RevisionNotFoundError(
                f"no version of chart {chart!r} in Helm repository {redact(url)} matches {rev!r}"
            )
        return best

    # -- charts -------------------------------------------------------------------------------
    @contextmanager
    def checkout(
        self,
        url: str,
        chart: str,
        version: str,
        creds: RepoCredentials | None,
        *,
        pass_credentials: bool = False,
    ) -> Iterator[Path]:
        """The extraction root of a chart version; the chart itself is ``root / chart``."""
        name = hashlib.sha256(f"{url_key(url)}|{chart}|{version}".encode()).hexdigest()[:24]
        root = self.base / "charts" / name
        meta = root.with_name(name + ".meta")
        if not meta.exists():
            with file_lock(root.with_name(name + ".lock"), 300, f"chart {chart} {version}"):
                if not meta.exists():
                    self._download_and_extract(url, chart, version, creds, root, pass_credentials)
                    meta.write_text(json.dumps({"url": redact(url), "chart": chart, "version": version}))
        yield root

    def _download_and_extract(
        self, url: str, chart: str, version: str, creds, root: Path, pass_credentials: bool
    ) -> None:
        from kedge.repo.oci import is_oci

        if is_oci(url, creds):
            tgz_dir = self.base / "helm" / url_key(url)
            tgz_dir.mkdir(parents=True, exist_ok=True)
            tgz = tgz_dir / f"{chart}-{version}.tgz".replace("/", "_")
            part = tgz.with_suffix(f".part{os.getpid()}")
            client = self._oci(url, chart, creds)
            try:
                client.download_chart(version, part)
                os.replace(part, tgz)
            finally:
                client.close()
                part.unlink(missing_ok=True)
            self.stats["download"] += 1
            self._extract(tgz, url, chart, version, root)
            return
        entry = self._entry(url, chart, version, creds)
        if not entry.urls:
            raise RepoError(f"chart {chart} {version} in Helm repository {redact(url)} has no download URL")
        chart_url = urljoin(url.rstrip("/") + "/", entry.urls[0])
        same_host = host_of(chart_url) == host_of(url)
        tgz_dir = self.base / "helm" / url_key(url)
        tgz_dir.mkdir(parents=True, exist_ok=True)
        tgz = tgz_dir / f"{chart}-{version}.tgz".replace("/", "_")
        part = tgz.with_suffix(f".part{os.getpid()}")
        what = f"downloading chart {chart} {version}"
        try:
            self._get(
                chart_url,
                repo_url=url,
                creds=creds,
                send_auth=same_host or pass_credentials,
                max_bytes=self.config.helm_chart_max_bytes,
                what=what,
                dest=part,
            )
            if entry.digest:
                h = hashlib.sha256(part.read_bytes()).hexdigest()
                if h != entry.digest.lower().removeprefix("sha256:"):
                    raise RepoError(
                        f"chart {chart} {version} from Helm repository {redact(url)}: digest mismatch "
                        f"(index says {entry.digest}, downloaded file is {h})"
                    )
            os.replace(part, tgz)
        finally:
            part.unlink(missing_ok=True)
        self.stats["download"] += 1
        self._extract(tgz, url, chart, version, root)

    def _extract(self, tgz: Path, url: str, chart: str, version: str, root: Path) -> None:
        tmp = root.with_name(root.name + f".tmp{os.getpid()}-{threading.get_ident()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            safe_extract(
                None,
                tmp,
                path=tgz,
                what=f"chart {chart} {version} from Helm repository {redact(url)}",
                max_bytes=self.config.helm_extracted_max_bytes,
                max_files=self.config.helm_extracted_max_files,
            )
            if not (tmp / chart / "Chart.yaml").is_file():
                raise RepoError(
                    f"chart {chart} {version} from Helm repository {redact(url)}: the archive has no "
                    f"{chart}/Chart.yaml"
                )
            shutil.rmtree(root, ignore_errors=True)
            os.replace(tmp, root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.stats["extract"] += 1


_shared: dict[str, HelmRepos] = {}
_shared_lock = threading.Lock()


def shared(config: RepoServerConfig) -> HelmRepos:
    key = str(Path(config.cache_dir).resolve())
    with _shared_lock:
        repos = _shared.get(key)
        if repos is None or repos.config != config:
            repos = _shared[key] = HelmRepos(config)
        return repos
