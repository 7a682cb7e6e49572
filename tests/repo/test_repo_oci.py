"""Helm charts from an OCI registry: Debian's docker-registry (distribution 2.8) on loopback,
with htpasswd basic auth; charts pushed through the registry's HTTP API."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import bcrypt
import httpx
import pytest
from gitservers import free_port, wait_port
from test_repo_helm import chart_tgz

from kedge.repo.creds import CredentialStore, RepoCredentials
from kedge.repo.errors import RepoAuthError, RevisionNotFoundError
from kedge.repo.helmrepo import HelmRepos
from kedge.repo.server import RepoServer

USER, PASSWORD = "ociuser", "oci-Pa55word"
REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    if not Path(REGISTRY).exists():
        pytest.fail(
            "docker-registry missing: apt-get install -y docker-registry (scripts/test.sh installs it)"
        )
    d = tmp_path_factory.mktemp("registry")
    (d / "htpasswd").write_text(
        f"{USER}:{bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
    )
    port = free_port()
    (d / "config.yml").write_text(
        f"""version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: {d / "data"}
http:
  addr: 127.0.0.1:{port}
auth:
  htpasswd:
    realm: kedge-test
    path: {d / "htpasswd"}
"""
    )
    proc = subprocess.Popen(
        [REGISTRY, "serve", str(d / "config.yml")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_port(port)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def push_chart(host: str, name: str, version: str, data: bytes) -> None:
    """Push a Helm chart the way `helm push` does: config blob, chart layer, OCI manifest."""
    auth = (USER, PASSWORD)
    base = f"http://{host}/v2/{name}"
    config = json.dumps({"name": name.rsplit("/", 1)[-1], "version": version, "apiVersion": "v2"}).encode()

    def blob(content: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(content).hexdigest()
        r = httpx.post(f"{base}/blobs/uploads/", auth=auth)
        assert r.status_code == 202, r.text
        loc = r.headers["Location"]
        loc = loc if loc.startswith("http") else f"http://{host}{loc}"
        loc += ("&" if "?" in loc else "?") + "digest=" + digest
        r = httpx.put(loc, content=content, auth=auth, headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 201, r.text
        return digest

    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.cncf.helm.config.v1+json",
            "digest": blob(config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                "digest": blob(data),
                "size": len(data),
            }
        ],
    }
    r = httpx.put(
        f"{base}/manifests/{version.replace('+', '_')}",
        content=json.dumps(manifest),
        auth=auth,
        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert r.status_code == 201, r.text


def test_oci_chart_resolve_download_render(registry, repo_config):
    for v in ("0.1.0", "0.2.0", "0.2.1", "1.0.0"):
        push_chart(registry, "charts/ocidemo", v, chart_tgz("ocidemo", v))
    url = f"oci://{registry}/charts"
    creds = RepoCredentials(url=url, username=USER, password=PASSWORD, insecure_oci_force_http=True)
    h = HelmRepos(repo_config)
    assert h.resolve(url, "ocidemo", "0.2.*", creds) == "0.2.1"
    assert h.resolve(url, "ocidemo", "1.0.0", creds) == "1.0.0"
    with pytest.raises(RevisionNotFoundError):
        h.resolve(url, "ocidemo", "9.*", creds)
    with h.checkout(url, "ocidemo", "0.2.1", creds) as root:
        assert "version: 0.2.1" in (root / "ocidemo" / "Chart.yaml").read_text()
    with pytest.raises(RepoAuthError) as e:
        HelmRepos(type(repo_config)(cache_dir=repo_config.cache_dir / "x")).resolve(
            url,
            "ocidemo",
            "0.2.*",
            RepoCredentials(url=url, username=USER, password="bad-Password", insecure_oci_force_http=True),
        )
    assert "bad-Password" not in str(e.value)

    # through the server, with Argo CD's scheme-less repoURL + enableOCI on the repository Secret
    plain = f"{registry}/charts"
    store = CredentialStore(
        repositories=[
            {
                "url": plain,
                "type": "helm",
                "enableOCI": "true",
                "insecureOCIForceHttp": "true",
                "username": USER,
                "password": PASSWORD,
            }
        ]
    )
    server = RepoServer(repo_config, credentials=store)
    resp = server.generate_manifests(
        {
            "metadata": {"name": "oci-app"},
            "spec": {
                "source": {"repoURL": plain, "chart": "ocidemo", "targetRevision": ">=0.1.0 <1.0.0"},
                "destination": {"namespace": "ns1"},
            },
        }
    )
    assert resp.revision == "0.2.1" and resp.manifests[0]["metadata"]["name"] == "oci-app-0.2.1"
