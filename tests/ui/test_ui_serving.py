"""Serving the UI from the API server: index.html for client-side routes, assets with the
right types, and the API's own 404/405 answers unchanged (no browser needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "core" / "server" / "ui" / "static"


@pytest.mark.parametrize(
    "path", ["/", "/applications", "/applications/guestbook", "/settings/clusters", "/login"]
)
def test_client_routes_get_index(ui, path):
    with ui.client() as c:
        r = c.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<div id="app">' in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert "'sha256-" in csp  # the inline import map, and nothing else inline


def test_assets_are_served_with_types(ui):
    with ui.client() as c:
        js = c.get("/assets/js/main.js")
        css = c.get("/assets/css/kedge.css")
        vendor = c.get("/assets/vendor/preact.js")
        missing = c.get("/assets/js/nope.js")
        head = c.head("/applications")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert vendor.status_code == 200
    assert missing.status_code == 404
    assert head.status_code == 200


def test_api_answers_are_unchanged(ui):
    with ui.client() as c:
        nope = c.get("/api/v1/no-such-thing")
        wrong_method = c.post("/api/version")
        unauth = c.get("/api/v1/applications")
        health = c.get("/healthz")
        post_ui = c.post("/applications")
    assert nope.status_code == 404 and nope.json()["message"].startswith("no such endpoint")
    assert wrong_method.status_code == 405
    assert unauth.status_code == 401
    assert health.text == "ok"
    assert post_ui.status_code in (404, 405)
    assert "html" not in post_ui.headers.get("content-type", "")


def test_no_external_urls_in_assets():
    """Every asset is served by Kedge: no http(s) URLs to other hosts (placeholders aside)."""
    import re

    for f in list(STATIC.rglob("*.js")) + list(STATIC.rglob("*.css")) + list(STATIC.rglob("*.html")):
        if "vendor" in f.parts:
            continue
        text = f.read_text(encoding="utf-8")
        urls = [u for u in re.findall(r"https?://[^\s\"'`)]+", text) if "kubernetes.default.svc" not in u]
        urls = [
            u for u in urls if not u.startswith(("https://github.com/", "https://10.", "http://www.w3.org"))
        ]
        assert not urls, f"{f}: {urls}"


def test_vendored_libraries_have_licences():
    vendor = STATIC / "vendor"
    for lib in ("preact", "htm", "js-yaml"):
        assert (vendor / f"{lib}.LICENSE.txt").read_text().strip(), lib
