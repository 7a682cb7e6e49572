"""RBAC on the API: readonly users, project roles confined to their project, list filtering,
fine-grained resource sub-actions, can-i, and Argo CD's "permission denied" message."""

import json

from conftest import application, unique, wait_for

EX = "https://example.com/repo.git"


def _project(admin, name, roles=()):
    body = {
        "project": {
            "metadata": {"name": name},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"server": "*", "namespace": "*"}],
                "roles": list(roles),
            },
        }
    }
    r = admin.post("/api/v1/projects?upsert=true", json=body)
    assert r.status_code == 200, r.text


def test_readonly_user(server, admin):
    name = unique("ro")
    assert admin.post("/api/v1/applications", json=application(name, EX, "default")).status_code == 200
    with server.as_user("alice") as c:
        wait_for(
            lambda: any(a["metadata"]["name"] == name for a in c.get("/api/v1/applications").json()["items"])
        )
        assert c.get(f"/api/v1/applications/{name}").status_code == 200
        r = c.post(f"/api/v1/applications/{name}/sync", json={})
        assert r.status_code == 403
        msg = r.json()["message"]
        assert msg.startswith(f"permission denied: applications, sync, default/{name}, sub: alice, iat: ")
        assert r.json()["code"] == 7
        assert c.delete(f"/api/v1/applications/{name}").status_code == 403
        assert c.post("/api/v1/applications", json=application(unique("x"), EX, "default")).status_code == 403
        patch = {"patch": json.dumps({"spec": {"source": {"path": "z"}}}), "patchType": "merge"}
        assert c.patch(f"/api/v1/applications/{name}", json=patch).status_code == 403
        assert c.post("/api/v1/repositories", json={"repo": "https://example.com/x.git"}).status_code == 403
        assert c.post("/api/v1/clusters", json={"server": "https://10.0.0.1:6443"}).status_code == 403
        assert c.delete("/api/v1/projects/default").status_code == 403
        assert c.get("/api/v1/account/can-i/applications/sync/default/" + name).json() == {"value": "no"}
        assert c.get("/api/v1/account/can-i/applications/get/default/" + name).json() == {"value": "yes"}
        assert c.get("/api/v1/account/can-i/nonsense/get/x").status_code == 400
        # metrics need applications get on */*: readonly has it
        assert c.get("/metrics").status_code == 200
    # nothing changed
    assert admin.get(f"/api/v1/applications/{name}").json()["spec"]["source"]["path"] == "guestbook"


def test_project_roles_are_confined(server, admin):
    # bob is bound to proj:team-a:dev in argocd-rbac-cm; team-a's role lets dev sync its apps,
    # and (smuggled in by kubectl, bypassing validation) tries to reach team-b too
    _project(admin, "team-a")
    _project(admin, "team-b")
    b = server.backend
    res = b.resource("AppProject")
    proj = b.client.get(res, b.namespace, "team-a")
    proj["spec"]["roles"] = [
        {
            "name": "dev",
            "policies": [
                "p, proj:team-a:dev, applications, get, team-a/*, allow",
                "p, proj:team-a:dev, applications, sync, team-a/*, allow",
                "p, proj:team-a:dev, applications, get, team-b/*, allow",
                "p, proj:team-a:dev, clusters, get, *, allow",
            ],
        }
    ]
    b.client.replace(proj)
    a, bb = unique("a"), unique("b")
    assert (
        admin.post("/api/v1/applications", json=application(a, EX, "default", project="team-a")).status_code
        == 200
    )
    assert (
        admin.post("/api/v1/applications", json=application(bb, EX, "default", project="team-b")).status_code
        == 200
    )
    with server.as_user("bob") as c:

        def names():
            return {x["metadata"]["name"] for x in c.get("/api/v1/applications").json()["items"]}

        wait_for(lambda: a in names())
        assert bb not in names()
        assert c.get(f"/api/v1/applications/{bb}").status_code == 403
        assert c.get(f"/api/v1/applications/{a}").status_code == 200
        assert c.delete(f"/api/v1/applications/{a}").status_code == 403
        # logs are their own resource: the role grants none
        r = c.get(f"/api/v1/applications/{a}/logs")
        assert r.status_code == 403 and r.json()["message"].startswith(
            f"permission denied: logs, get, team-a/{a}"
        )
        r = c.post(f"/api/v1/applications/{a}/sync", json={})
        assert r.status_code == 200, r.text
        assert c.post(f"/api/v1/applications/{bb}/sync", json={}).status_code == 403
        # the smuggled cluster rule was dropped too
        assert c.get("/api/v1/clusters").json()["items"] == []
        # a missing app looks the same as a forbidden one
        r = c.get("/api/v1/applications/does-not-exist")
        assert r.status_code == 403
        # bob may not move his app into team-b
        upd = c.get(f"/api/v1/applications/{a}").json()
        upd["spec"]["project"] = "team-b"
        assert c.put(f"/api/v1/applications/{a}", json=upd).status_code == 403
    # the admin sees a 404 for the missing app
    assert admin.get("/api/v1/applications/does-not-exist").status_code == 404


def test_fine_grained_resource_actions(server, admin):
    # policy: alice may update Deployments of one app, nothing else
    name = unique("fg")
    assert admin.post("/api/v1/applications", json=application(name, EX, "default")).status_code == 200
    server.set_cm(
        "argocd-rbac-cm",
        {"policy.fine.csv": f"p, alice, applications, update/apps/Deployment/*, default/{name}, allow\n"},
    )
    try:
        with server.as_user("alice") as c:
            wait_for(
                lambda: (
                    c.get(
                        f"/api/v1/account/can-i/applications/update%2Fapps%2FDeployment%2Fns%2Fweb/default/{name}"
                    ).json()
                    == {"value": "yes"}
                )
            )
            assert c.get(
                f"/api/v1/account/can-i/applications/update%2Fv1%2FSecret%2Fns%2Fweb/default/{name}"
            ).json() == {"value": "no"}
            # an unknown resource of the app: 404 after the app check, before any write
            q = "?namespace=ns&resourceName=web&version=v1&group=apps&kind=Deployment"
            r = c.post(
                f"/api/v1/applications/{name}/resource{q}",
                json=json.dumps({"metadata": {"labels": {"a": "b"}}}),
            )
            assert r.status_code == 404
    finally:
        server.set_cm("argocd-rbac-cm", {"policy.fine.csv": None})


def test_accounts_visibility(server, admin):
    names = [a["name"] for a in admin.get("/api/v1/account").json()["items"]]
    assert {"admin", "alice", "bob", "carol"} <= set(names)
    with server.as_user("bob") as c:
        assert c.get("/api/v1/account").json()["items"] == []
        assert c.get("/api/v1/account/bob").status_code == 200  # one's own account
        assert c.get("/api/v1/account/alice").status_code == 403


def test_permission_is_checked_before_validation(server):
    with server.as_user("alice") as c:
        bad = application(unique("x"), EX, "default", project="no-such-project")
        r = c.post("/api/v1/applications", json=bad)
        assert (
            r.status_code == 403
            and "no-such-project" in r.json()["message"]
            and "does not exist" not in r.json()["message"]
        )
        r = c.post(
            "/api/v1/projects", json={"project": {"metadata": {"name": "p"}, "spec": {"sourceRepos": "x"}}}
        )
        assert r.status_code == 403


def test_sync_windows(server, admin):
    proj = unique("win")
    body = {
        "project": {
            "metadata": {"name": proj},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"server": "*", "namespace": "*"}],
                "syncWindows": [
                    {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["*"]},
                    {"kind": "allow", "schedule": "0 0 1 1 *", "duration": "1m", "namespaces": ["other"]},
                ],
            },
        }
    }
    assert admin.post("/api/v1/projects", json=body).status_code == 200
    name = unique("w")
    assert (
        admin.post("/api/v1/applications", json=application(name, EX, "default", project=proj)).status_code
        == 200
    )
    wait_for(lambda: server.backend.controller.projects.get(proj) is not None)
    r = admin.get(f"/api/v1/applications/{name}/syncwindows")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["canSync"] is False
    assert [w["kind"] for w in doc["assignedWindows"]] == ["deny"]
    assert [w["kind"] for w in doc["activeWindows"]] == ["deny"]
    r = admin.post(f"/api/v1/applications/{name}/sync", json={})
    assert r.status_code == 400 and "sync window" in r.json()["message"]
    assert len(admin.get(f"/api/v1/projects/{proj}/syncwindows").json()["windows"]) == 2
    with server.as_user("bob") as c:
        assert c.get(f"/api/v1/applications/{name}/syncwindows").status_code == 403
