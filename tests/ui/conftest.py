"""Fixtures for the browser tests: one API server (serving the web UI) over a control-plane
namespace of its own in the shared local cluster, the ``kedge up`` guestbook example
repository registered as the Application ``guestbook``, and Debian's headless Chromium driven
by Playwright. Screenshots go to ``artifacts/ui/`` (kept by CI)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_harness import CHROMIUM, PASSWORD, launch_chromium, start_server  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "ui"


@pytest.fixture(scope="session")
def ui_kube(local_cluster):
    from kedge.kube.client import KubeClient

    client = KubeClient.from_kubeconfig(str(local_cluster.kubeconfig_path))
    yield client
    client.close()


@pytest.fixture(scope="session")
def ui(ui_kube, tmp_path_factory):
    """The running server; users: admin (initial password) and ``viewer`` (role:readonly)."""
    from kedge.auth import hash_password

    ns = f"kedge-ui-{os.getpid() % 10000}"
    ui_kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    ui_kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm", "namespace": ns},
            "data": {"policy.csv": "g, viewer, role:readonly\n"},
        }
    )
    ui_kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "argocd-secret", "namespace": ns},
            "stringData": {"accounts.viewer.password": hash_password(PASSWORD, cost=4)},
        }
    )
    server = start_server(
        ui_kube, ns, tmp_path_factory.mktemp("ui-repo-cache"), extra_cm={"accounts.viewer": "login"}
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def guestbook(ui, ui_kube, tmp_path_factory):
    """The ``kedge up`` example: (app name, repository working copy); the app is not synced."""
    from kedge.up.example import create_repository

    url, work = create_repository(tmp_path_factory.mktemp("ui-example"))
    dest = f"{ui.namespace}-guestbook"
    ui_kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": dest}})
    app = {
        "metadata": {"name": "guestbook", "labels": {"team": "web"}},
        "spec": {
            "project": "default",
            "source": {"repoURL": url, "path": "guestbook", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest},
        },
    }
    with ui.client(ui.token()) as c:
        r = c.post("/api/v1/applications", json=app)
        assert r.status_code == 200, r.text
    return "guestbook", work


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


class Shots:
    """Numbered screenshots under artifacts/ui/<test>/."""

    def __init__(self, page, name: str) -> None:
        self.page = page
        self.dir = ARTIFACTS / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, label: str) -> Path:
        self.n += 1
        path = self.dir / f"{self.n:02d}-{label}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def page(browser, ui, request):
    """A fresh browser context (no cookies) on a 1400x900 viewport; failing requests to other
    hosts are recorded in ``page.external`` (there must be none), page errors in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=ui.url)
    pg = context.new_page()
    pg.errors = []
    pg.external = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("request", lambda r: None if r.url.startswith(ui.url) else pg.external.append(r.url))
    pg.set_default_timeout(15000)
    pg.shots = Shots(pg, request.node.name)
    yield pg
    context.close()
    assert not pg.errors, f"JavaScript errors: {pg.errors}"
    assert not pg.external, f"requests outside Kedge: {pg.external}"
