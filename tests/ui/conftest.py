"""Fixtures for the browser tests: ``kedge up`` itself (local cluster, controller, repo server
and API server serving the web UI, with its guestbook example) in a temporary data
directory, plus a read-only user ``viewer``; and Debian's headless Chromium driven by
Playwright. Screenshots go to ``artifacts/ui/<test>/`` (kept by CI)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_harness import CHROMIUM, PASSWORD, launch_chromium, start_kedge_up, wait_for  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "ui"


def merge_patch(ui, kind: str, name: str, data: dict) -> None:
    """Merge ``data`` into a ConfigMap or Secret of the control-plane namespace."""
    from kedge.kube.client import MERGE_PATCH

    ui.kube.patch(ui.kube.resource_for("v1", kind), ui.namespace, name, {"data": data}, MERGE_PATCH)


@pytest.fixture(scope="session")
def ui(tmp_path_factory):
    """``kedge up`` running; users: admin (the initial password) and ``viewer`` (role:readonly)."""
    import base64

    from kedge.auth import hash_password

    server = start_kedge_up(tmp_path_factory.mktemp("kedge-up"))
    try:
        hashed = base64.b64encode(hash_password(PASSWORD, cost=4).encode()).decode()
        merge_patch(server, "Secret", "argocd-secret", {"accounts.viewer.password": hashed})
        merge_patch(server, "ConfigMap", "argocd-cm", {"accounts.viewer": "login"})
        merge_patch(server, "ConfigMap", "argocd-rbac-cm", {"policy.csv": "g, viewer, role:readonly\n"})

        def viewer_ready() -> bool:
            with server.client() as c:
                r = c.post("/api/v1/session", json={"username": "viewer", "password": PASSWORD})
                if r.status_code != 200:
                    return False
                token = r.json()["token"]
            with server.client(token) as c:
                return (
                    c.get("/api/v1/account/can-i/applications/get/default/guestbook").json()["value"] == "yes"
                )

        wait_for(viewer_ready, 30, 0.3)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def guestbook(ui):
    """kedge up's example: (app name, repository working copy); labelled team=web, not synced."""
    with ui.client(ui.token()) as c:
        wait_for(lambda: c.get("/api/v1/applications/guestbook").status_code == 200, 30, 0.2)
        r = c.patch(
            "/api/v1/applications/guestbook",
            json={
                "name": "guestbook",
                "patch": '{"metadata":{"labels":{"team":"web"}}}',
                "patchType": "merge",
            },
        )
        assert r.status_code == 200, r.text
    return "guestbook", ui.example


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
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.n = 0

    def __call__(self, label: str) -> Path:
        self.n += 1
        path = self.dir / f"{self.n:02d}-{label}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def page(browser, ui, request):
    """A fresh browser context (no cookies) on a 1400x900 viewport; requests to other hosts
    are recorded in ``page.external`` (there must be none), page errors in ``page.errors``."""
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
