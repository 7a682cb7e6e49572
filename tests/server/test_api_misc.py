"""Metrics, the status badge, settings, version, and bad input in general."""

from conftest import application, unique, wait_for

EX = "https://example.com/repo.git"


def test_metrics(server, admin):
    name = unique("met")
    assert admin.post("/api/v1/applications", json=application(name, EX, "default")).status_code == 200
    wait_for(lambda: f'name="{name}"' in admin.get("/metrics").text)
    text = admin.get("/metrics").text
    line = next(li for li in text.splitlines() if li.startswith("kedge_app_info{") and f'name="{name}"' in li)
    assert 'project="default"' in line and "sync_status=" in line and "health_status=" in line
    assert "# TYPE kedge_app_sync_total counter" in text
    assert "# TYPE kedge_app_reconcile histogram" in text
    with server.as_user("bob") as c:
        assert c.get("/metrics").status_code == 403


def test_badge(server, admin):
    import httpx

    name = unique("badge")
    assert admin.post("/api/v1/applications", json=application(name, EX, "default")).status_code == 200
    wait_for(lambda: server.backend.controller.apps.get(name) is not None)
    r = httpx.get(server.url + f"/api/badge?name={name}&showAppName=true")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg") and name in r.text
    r = httpx.get(server.url + "/api/badge?name=does-not-exist")
    assert "Not Found" in r.text
    r = httpx.get(server.url + "/api/badge?name=%3Cscript%3E")
    assert "<script>" not in r.text
    server.set_cm("argocd-cm", {"statusbadge.enabled": "false"})
    try:
        r = httpx.get(server.url + f"/api/badge?name={name}&showAppName=true")
        assert "Unknown" in r.text and name not in r.text
    finally:
        server.set_cm("argocd-cm", {"statusbadge.enabled": "true"})


def test_settings_and_errors(server, admin):
    import httpx

    s = httpx.get(server.url + "/api/v1/settings").json()
    assert s["statusBadgeEnabled"] is True and s["controllerNamespace"] == server.namespace
    assert "secret" not in str(s).lower()
    r = admin.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json()["message"].startswith("no such endpoint")
    r = admin.put("/api/version")
    assert r.status_code == 405
    r = admin.get("/api/v1/applications/UPPER")
    assert r.status_code == 400 and "invalid application name" in r.json()["message"]
    r = admin.post(
        "/api/v1/projects", json={"project": {"metadata": {"name": "p"}, "spec": {"sourceRepos": "notalist"}}}
    )
    assert r.status_code == 400
    r = admin.post(
        "/api/v1/projects",
        json={
            "project": {
                "metadata": {"name": unique("p")},
                "spec": {
                    "roles": [
                        {"name": "r", "policies": ["p, proj:other:r, applications, get, other/*, allow"]}
                    ]
                },
            }
        },
    )
    assert r.status_code == 400 and "proj:" in r.json()["message"]


def test_applicationsets(server, admin):
    name = unique("set")
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": name},
        "spec": {
            "generators": [{"list": {"elements": [{"env": "dev"}]}}],
            "template": {
                "metadata": {"name": "{{env}}-web"},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": EX, "path": "web", "targetRevision": "HEAD"},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": "{{env}}"},
                },
            },
        },
    }
    r = admin.post("/api/v1/applicationsets", json=doc)
    assert r.status_code == 200, r.text
    assert admin.get(f"/api/v1/applicationsets/{name}").json()["spec"]["generators"][0]["list"][
        "elements"
    ] == [{"env": "dev"}]
    assert name in [a["metadata"]["name"] for a in admin.get("/api/v1/applicationsets").json()["items"]]
    bad = {**doc, "spec": {**doc["spec"], "generators": "nope"}}
    assert admin.post("/api/v1/applicationsets?upsert=true", json=bad).status_code == 400
    changed = {**doc, "spec": {**doc["spec"], "generators": [{"list": {"elements": [{"env": "prod"}]}}]}}
    assert admin.post("/api/v1/applicationsets", json=changed).status_code == 400
    assert admin.post("/api/v1/applicationsets?upsert=true", json=changed).status_code == 200
    with server.as_user("alice") as c:
        assert c.get(f"/api/v1/applicationsets/{name}").status_code == 200
        assert c.delete(f"/api/v1/applicationsets/{name}").status_code == 403
    with server.as_user("bob") as c:
        assert c.get(f"/api/v1/applicationsets/{name}").status_code == 403
        assert name not in [a["metadata"]["name"] for a in c.get("/api/v1/applicationsets").json()["items"]]
    assert admin.delete(f"/api/v1/applicationsets/{name}").status_code == 200
    assert admin.get(f"/api/v1/applicationsets/{name}").status_code == 404
