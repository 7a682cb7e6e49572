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
