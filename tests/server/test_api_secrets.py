"""Repositories, credential templates and clusters: credentials are write-only."""

import json
import logging

CANARY = {
    "password": "pw-CANARY-1",
    "sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nCANARY-2\n-----END OPENSSH PRIVATE KEY-----\n",
    "tlsClientCertKey": "CANARY-3",
}


def _no_canary(text):
    for marker in ("CANARY", "cluster-token-SECRET", "client-key-SECRET"):
        assert marker not in text, text


def test_repositories_never_return_secrets(server, admin, caplog):
    caplog.set_level(logging.DEBUG)
    url = "https://git.example.com/org/app.git"
    r = admin.post("/api/v1/repositories", json={"repo": url, "username": "me", **CANARY, "insecure": True})
    assert r.status_code == 200, r.text
    _no_canary(r.text)
    assert r.json()["username"] == "me" and r.json()["insecure"] is True
    listed = admin.get("/api/v1/repositories")
    _no_canary(listed.text)
    assert url in [x["repo"] for x in listed.json()["items"]]
    from urllib.parse import quote

    got = admin.get("/api/v1/repositories/" + quote(url, safe=""))
    assert got.status_code == 200, got.text
    _no_canary(got.text)
    # the credentials are really stored (the repo server uses them)
    repo = server.backend.settings.current.credentials_for(url)
    assert repo is not None and repo.password == CANARY["password"]
    # adding again with different fields needs upsert; upsert keeps the stored password
    r = admin.post("/api/v1/repositories", json={"repo": url, "username": "me2"})
    assert r.status_code == 400
    r = admin.post("/api/v1/repositories?upsert=true", json={"repo": url, "username": "me2"})
    assert r.status_code == 200
    assert server.backend.settings.current.credentials_for(url).password == CANARY["password"]
    with server.as_user("alice") as c:
        _no_canary(c.get("/api/v1/repositories").text)
    # credential templates
    r = admin.post("/api/v1/repocreds", json={"url": "https://git.example.com/org", **CANARY})
    assert r.status_code == 200, r.text
    _no_canary(r.text)
    _no_canary(admin.get("/api/v1/repocreds").text)
    assert (
        admin.delete("/api/v1/repocreds/" + quote("https://git.example.com/org", safe="")).status_code == 200
    )
    assert admin.delete("/api/v1/repositories/" + quote(url, safe="")).status_code == 200
    assert admin.get("/api/v1/repositories/" + quote(url, safe="")).status_code == 404
    r = admin.post("/api/v1/repositories", json={"repo": "https://x", "password": 5})
    assert r.status_code == 400
    _no_canary(caplog.text)  # nor in any log line


def test_clusters_never_return_credentials(server, admin, caplog):
    caplog.set_level(logging.DEBUG)
    body = {
        "server": "https://10.1.2.3:6443",
        "name": "prod",
        "config": {
            "bearerToken": "cluster-token-SECRET",
            "tlsClientConfig": {"insecure": False, "caData": "Q0E=", "keyData": "client-key-SECRET"},
        },
        "namespaces": ["a", "b"],
    }
    r = admin.post("/api/v1/clusters", json=body)
    assert r.status_code == 200, r.text
    _no_canary(r.text)
    assert r.json()["namespaces"] == ["a", "b"] and r.json()["config"]["tlsClientConfig"]["caData"] == "Q0E="
    listed = admin.get("/api/v1/clusters")
    _no_canary(listed.text)
    servers = {c["server"]: c for c in listed.json()["items"]}
    assert servers["https://kubernetes.default.svc"]["name"] == "in-cluster"
    assert "https://10.1.2.3:6443" in servers
    from urllib.parse import quote

    got = admin.get("/api/v1/clusters/" + quote("https://10.1.2.3:6443", safe=""))
    assert got.status_code == 200 and got.json()["name"] == "prod"
    _no_canary(got.text)
    assert admin.get("/api/v1/clusters/prod?id.type=name").json()["server"] == "https://10.1.2.3:6443"
    stored = server.backend.settings.current.find_cluster(server="https://10.1.2.3:6443")
    assert stored.config["bearerToken"] == "cluster-token-SECRET"
    r = admin.post("/api/v1/clusters", json={**body, "name": "prod2"})
    assert r.status_code == 400
    r = admin.post(
        "/api/v1/clusters?upsert=true",
        json={k: v for k, v in body.items() if k != "config"} | {"name": "prod2"},
    )
    assert r.status_code == 200, r.text
    assert (
        server.backend.settings.current.find_cluster(server="https://10.1.2.3:6443").config["bearerToken"]
        == "cluster-token-SECRET"
    )
    assert admin.delete("/api/v1/clusters/" + quote("https://10.1.2.3:6443", safe="")).status_code == 200
    assert (
        admin.delete("/api/v1/clusters/" + quote("https://kubernetes.default.svc", safe="")).status_code
        == 400
    )
    r = admin.post("/api/v1/clusters", json={"server": "not a url"})
    assert r.status_code == 400
    assert json.dumps(admin.get("/api/v1/clusters").json()).count("10.1.2.3") == 0
    _no_canary(caplog.text)
