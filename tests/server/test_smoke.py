from conftest import application, unique


def test_version_and_login(server, admin):
    import httpx

    r = httpx.get(server.url + "/api/version")
    assert r.status_code == 200 and r.json()["Version"].startswith("v")
    r = admin.get("/api/v1/session/userinfo")
    assert r.json() == {"loggedIn": True, "username": "admin", "iss": "kedge", "groups": []}
    name = unique("smoke")
    r = admin.post("/api/v1/applications", json=application(name, "https://example.com/repo.git", "default"))
    assert r.status_code == 200, r.text
    r = admin.get(f"/api/v1/applications/{name}")
    assert r.status_code == 200, r.text
    assert r.json()["metadata"]["name"] == name


def test_unreachable_repository_is_a_clear_error(server, admin):
    name = unique("unreach")
    app = application(name, "https://127.0.0.1:9/nothing.git", "default")
    assert admin.post("/api/v1/applications", json=app).status_code == 200
    r = admin.get(f"/api/v1/applications/{name}/manifests")
    assert 400 <= r.status_code < 500, r.text
    assert "127.0.0.1:9" in r.json()["message"]
    r = admin.get(f"/api/v1/applications/{name}/revisions/HEAD/metadata")
    assert 400 <= r.status_code < 500, r.text
