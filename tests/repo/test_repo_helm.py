"""Helm chart repository source against a real HTTP chart repository on loopback."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from kedge.repo.creds import CredentialStore, RepoCredentials
from kedge.repo.errors import RepoAuthError, RepoError, RevisionNotFoundError
from kedge.repo.helmrepo import HelmRepos
from kedge.repo.server import RepoServer

USER, PASSWORD = "chartuser", "chart-Pa55"

TEMPLATE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Version }}\n"
    "  namespace: {{ .Release.Namespace }}\ndata:\n  color: {{ .Values.color | quote }}\n"
)


def chart_tgz(name: str, version: str, extra: list[tarfile.TarInfo] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        files = {
            f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n",
            f"{name}/values.yaml": "color: red\n",
            f"{name}/templates/cm.yaml": TEMPLATE,
        }
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tf.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return buf.getvalue()


class ChartRepo:
    """A static chart repository (index.yaml + .tgz files) with optional basic auth."""

    def __init__(self, root: Path, auth: bool = True, ssl_context=None) -> None:
        self.root = root
        self.auth = auth
        self.seen_auth: list[tuple[str, str]] = []
        repo = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                repo.seen_auth.append((self.path, self.headers.get("Authorization", "")))
                want = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if repo.auth and self.headers.get("Authorization") != want:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="charts"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                f = repo.root / self.path.lstrip("/")
                if not f.is_file():
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = f.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{self.port}"
        self.entries: dict[str, list[dict]] = {}

    def add(self, name: str, version: str, data: bytes | None = None, url: str | None = None, digest=True):
        data = data if data is not None else chart_tgz(name, version)
        fname = f"{name}-{version}.tgz"
        (self.root / fname).write_bytes(data)
        entry = {"name": name, "version": version, "urls": [url or fname], "apiVersion": "v2"}
        if digest:
            entry["digest"] = hashlib.sha256(data).hexdigest()
        self.entries.setdefault(name, []).append(entry)
        (self.root / "index.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "entries": self.entries}))

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chart_repo(tmp_path):
    (tmp_path / "charts").mkdir()
    r = ChartRepo(tmp_path / "charts")
    for v in ("1.0.0", "1.2.0", "1.2.3", "1.3.0-rc.1", "2.0.0"):
        r.add("demo", v)
    yield r
    r.stop()


def creds(url):
    return RepoCredentials(url=url, type="helm", username=USER, password=PASSWORD)


def test_resolve_versions_and_ranges(chart_repo, repo_config):
    h = HelmRepos(repo_config)
    c = creds(chart_repo.url)
    assert h.resolve(chart_repo.url, "demo", "1.2.0", c) == "1.2.0"
    assert h.resolve(chart_repo.url, "demo", "1.2.*", c) == "1.2.3"
    assert h.resolve(chart_repo.url, "demo", ">=1.0.0 <2.0.0", c) == "1.2.3"
    assert h.resolve(chart_repo.url, "demo", "~1.2", c) == "1.2.3"
    assert h.resolve(chart_repo.url, "demo", "^1.0", c) == "1.2.3"
    assert h.resolve(chart_repo.url, "demo", "*", c) == "2.0.0"
    assert h.resolve(chart_repo.url, "demo", ">=1.3.0-0 <2.0.0-0", c) == "1.3.0-rc.1"
    # Masterminds semantics: each comparison without a pre-release excludes pre-releases
    with pytest.raises(RevisionNotFoundError):
        h.resolve(chart_repo.url, "demo", ">=1.3.0-0 <2.0.0", c)
    assert h.stats["index"] == 1  # index cached
    with pytest.raises(RevisionNotFoundError) as e:
        h.resolve(chart_repo.url, "demo", "9.9.9", c)
    assert "9.9.9" in str(e.value) and "demo" in str(e.value)
    with pytest.raises(RevisionNotFoundError):
        h.resolve(chart_repo.url, "nochart", "1.0.0", c)


def test_wrong_credentials(chart_repo, repo_config):
    h = HelmRepos(repo_config)
    bad = RepoCredentials(url=chart_repo.url, username=USER, password="not-the-Password")
    with pytest.raises(RepoAuthError) as e:
        h.resolve(chart_repo.url, "demo", "1.0.0", bad)
    assert chart_repo.url in str(e.value) and "not-the-Password" not in str(e.value)


def test_render_chart_through_server(chart_repo, repo_config):
    store = CredentialStore(
        repositories=[{"url": chart_repo.url, "type": "helm", "username": USER, "password": PASSWORD}]
    )
    server = RepoServer(repo_config, credentials=store)
    app = {
        "metadata": {"name": "web", "namespace": "argocd"},
        "spec": {
            "source": {
                "repoURL": chart_repo.url,
                "chart": "demo",
                "targetRevision": "1.2.*",
                "helm": {"values": "color: blue\n"},
            },
            "destination": {"namespace": "prod"},
        },
    }
    resp = server.generate_manifests(app)
    assert resp.revision == "1.2.3" and resp.source_type == "helm"
    obj = resp.manifests[0]
    assert obj["metadata"]["name"] == "web-1.2.3" and obj["data"]["color"] == "blue"
    assert obj["metadata"]["namespace"] == "prod"
    # a second app with another name renders again (Helm output depends on the release name)
    other = {**app, "metadata": {"name": "api", "namespace": "argocd"}}
    assert server.generate_manifests(other).manifests[0]["metadata"]["name"] == "api-1.2.3"
    assert server.stats["renders"] == 2
    server.generate_manifests(app)
    assert server.stats["renders"] == 2


def test_digest_mismatch_refused(chart_repo, repo_config):
    chart_repo.add("tampered", "1.0.0")
    (chart_repo.root / "tampered-1.0.0.tgz").write_bytes(chart_tgz("tampered", "1.0.1"))
    h = HelmRepos(repo_config)
    with pytest.raises(RepoError) as e:
        with h.checkout(chart_repo.url, "tampered", "1.0.0", creds(chart_repo.url)):
            pass
    assert "digest mismatch" in str(e.value)


@pytest.mark.parametrize(
    "member,expected",
    [
        (("../evil.txt", tarfile.REGTYPE, ""), "'..'"),
        (("/etc/evil", tarfile.REGTYPE, ""), "absolute"),
        (("bad/link", tarfile.SYMTYPE, "/etc/passwd"), "outside"),
        (("bad/link2", tarfile.SYMTYPE, "../../../etc"), "outside"),
    ],
)
def test_unsafe_chart_archives(chart_repo, repo_config, member, expected):
    name, kind, target = member
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    info.size = 3 if kind == tarfile.REGTYPE else 0
    chart_repo.add("evil", "1.0.0", chart_tgz("evil", "1.0.0", [info]))
    h = HelmRepos(repo_config)
    with pytest.raises(RepoError) as e:
        with h.checkout(chart_repo.url, "evil", "1.0.0", creds(chart_repo.url)):
            pass
    assert expected in str(e.value) and "evil" in str(e.value)


def test_tar_bomb_refused(chart_repo, repo_config):
    info = tarfile.TarInfo("bomb/big.bin")
    info.size = 2 * 2**20
    chart_repo.add("bomb", "1.0.0", chart_tgz("bomb", "1.0.0", [info]))
    repo_config.helm_extracted_max_bytes = 2**20
    h = HelmRepos(repo_config)
    with pytest.raises(RepoError) as e:
        with h.checkout(chart_repo.url, "bomb", "1.0.0", creds(chart_repo.url)):
            pass
    assert "bomb" in str(e.value) and "more than" in str(e.value)
    assert not list((repo_config.cache_dir / "charts").glob("*/bomb"))


def test_pass_credentials_only_to_repo_host(tmp_path, chart_repo, repo_config):
    (tmp_path / "other").mkdir()
    other = ChartRepo(tmp_path / "other", auth=False)  # another host:port serves the tgz
    try:
        data = chart_tgz("far", "1.0.0")
        (other.root / "far-1.0.0.tgz").write_bytes(data)
        chart_repo.add("far", "1.0.0", data, url=f"{other.url}/far-1.0.0.tgz")
        h = HelmRepos(repo_config)
        with h.checkout(chart_repo.url, "far", "1.0.0", creds(chart_repo.url)) as root:
            assert (root / "far" / "Chart.yaml").is_file()
        assert other.seen_auth and all(a == "" for _, a in other.seen_auth)
        # with passCredentials the other host receives them
        repo_config2 = type(repo_config)(cache_dir=repo_config.cache_dir / "2")
        h2 = HelmRepos(repo_config2)
        other.seen_auth.clear()
        with h2.checkout(chart_repo.url, "far", "1.0.0", creds(chart_repo.url), pass_credentials=True):
            pass
        assert other.seen_auth and all(a.startswith("Basic ") for _, a in other.seen_auth)
    finally:
        other.stop()


def test_chart_cached_per_version(chart_repo, repo_config):
    h = HelmRepos(repo_config)
    for _ in range(3):
        with h.checkout(chart_repo.url, "demo", "1.0.0", creds(chart_repo.url)) as root:
            assert (root / "demo" / "templates" / "cm.yaml").is_file()
    assert h.stats["download"] == 1 and h.stats["extract"] == 1


def test_https_chart_repo_with_ca_and_client_cert(tmp_path, repo_config):
    from gitservers import make_tls, server_ssl_context

    tls = make_tls(tmp_path)
    (tmp_path / "tls-charts").mkdir()
    repo = ChartRepo(tmp_path / "tls-charts", ssl_context=server_ssl_context(tls))
    try:
        repo.add("secure", "0.1.0")
        good = RepoCredentials(
            url=repo.url,
            username=USER,
            password=PASSWORD,
            ca_data=tls["ca"],
            tls_client_cert_data=tls["client_cert"],
            tls_client_cert_key=tls["client_key"],
        )
        h = HelmRepos(repo_config)
        assert h.resolve(repo.url, "secure", "0.1.*", good) == "0.1.0"
        with h.checkout(repo.url, "secure", "0.1.0", good) as root:
            assert (root / "secure" / "Chart.yaml").is_file()
        untrusted = RepoCredentials(url=repo.url, username=USER, password=PASSWORD)
        with pytest.raises(RepoError) as e:
            HelmRepos(repo_config).resolve(repo.url, "secure", "0.1.0", untrusted, refresh=True)
        assert repo.url in str(e.value) and PASSWORD not in str(e.value)
    finally:
        repo.stop()
