"""Applications over the API: create/validate, get, list filters and pages, update, patch,
delete, sync and rollback requests, terminate, and the views of a reconciled app (manifests,
managed resources with Secret values masked, resource tree, one live resource, actions, events)."""

import base64
import json

import yaml
from conftest import application, unique, wait_for

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1"}]},
        },
    },
}
SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "creds"},
    "data": {"token": base64.b64encode(b"s3cr3t-value").decode()},
}
EX = "https://example.com/repo.git"


def test_create_validates(server, admin):
    name = unique("v")
    bad = application(name, EX, "default")
    bad["spec"]["source"]["targetRevison"] = "main"
    r = admin.post("/api/v1/applications", json=bad)
    assert (
        r.status_code == 400
        and 'spec.source.targetRevison: unknown field (did you mean "targetRevision"?)' in r.json()["message"]
    )
    bad = application(name, EX, "default")
    bad["spec"]["syncPolicy"] = {"retry": {"limit": "five"}}
    r = admin.post("/api/v1/applications", json=bad)
    assert r.status_code == 400 and "spec.syncPolicy.retry.limit" in r.json()["message"]
    r = admin.post("/api/v1/applications", json=application("Bad_Name", EX, "default"))
    assert r.status_code == 400 and "invalid application name" in r.json()["message"]
    r = admin.post("/api/v1/applications", json=application(name, EX, "default", project="nope"))
    assert (
        r.status_code == 400
        and r.json()["message"] == "application references project nope which does not exist"
    )
    r = admin.post("/api/v1/applications", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["message"]
    r = admin.post("/api/v1/applications", json={**application(name, EX, "default"), "surprise": 1})
    assert r.status_code == 400 and "surprise" in r.json()["message"]
    r = admin.post(
        "/api/v1/applications", content=b"x" * (5 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    dest = application(name, EX, "default")
    dest["spec"]["destination"] = {"server": "https://nowhere.example.com", "namespace": "x"}
    r = admin.post("/api/v1/applications", json=dest)
    assert r.status_code == 400 and "has not been configured" in r.json()["message"]
    # nothing was written by any of these
    assert admin.get(f"/api/v1/applications/{name}").status_code == 404


def test_crud_and_upsert(server, admin):
    name = unique("crud")
    doc = application(name, EX, "default")
    doc["metadata"]["labels"] = {"team": "a"}
    created = admin.post("/api/v1/applications", json=doc).json()
    assert created["metadata"]["namespace"] == server.namespace and created["kind"] == "Application"
    # same spec again: fine; a different one needs upsert
    assert admin.post("/api/v1/applications", json=doc).status_code == 200
    changed = application(name, EX, "other-ns")
    r = admin.post("/api/v1/applications", json=changed)
    assert r.status_code == 400 and "use upsert flag" in r.json()["message"]
    r = admin.post("/api/v1/applications?upsert=true", json=changed)
    assert r.status_code == 200 and r.json()["spec"]["destination"]["namespace"] == "other-ns"
    # update
    upd = admin.get(f"/api/v1/applications/{name}").json()
    upd["spec"]["source"]["targetRevision"] = "v1"
    r = admin.put(f"/api/v1/applications/{name}", json=upd)
    assert r.status_code == 200 and r.json()["spec"]["source"]["targetRevision"] == "v1"
    r = admin.put(f"/api/v1/applications/{name}", json={**upd, "metadata": {"name": "other"}})
    assert r.status_code == 400
    # spec update
    spec = r2 = admin.put(
        f"/api/v1/applications/{name}/spec",
        json={**upd["spec"], "source": {**upd["spec"]["source"], "path": "p2"}},
    )
    assert r2.status_code == 200 and spec.json()["source"]["path"] == "p2"
    # JSON patch and merge patch
    patch = [{"op": "replace", "path": "/spec/source/path", "value": "p3"}]
    r = admin.patch(f"/api/v1/applications/{name}", json={"patch": json.dumps(patch), "patchType": "json"})
    assert r.status_code == 200 and r.json()["spec"]["source"]["path"] == "p3"
    r = admin.patch(
        f"/api/v1/applications/{name}",
        json={"patch": json.dumps({"metadata": {"labels": {"team": None, "x": "y"}}}), "patchType": "merge"},
    )
    assert r.status_code == 200 and r.json()["metadata"]["labels"] == {"x": "y"}
    r = admin.patch(f"/api/v1/applications/{name}", json={"patch": "[{", "patchType": "json"})
    assert r.status_code == 400
    r = admin.patch(
        f"/api/v1/applications/{name}", json={"patch": json.dumps([{"op": "remove", "path": "/spec/nope"}])}
    )
    assert r.status_code == 400 and "cannot apply" in r.json()["message"]
    r = admin.patch(
        f"/api/v1/applications/{name}",
        json={"patch": json.dumps({"spec": {"syncPolicy": {"retry": {"limit": "x"}}}}), "patchType": "merge"},
    )
    assert r.status_code == 400
    # delete: cascade adds the resources finalizer; non-cascade removes it
    r = admin.delete(f"/api/v1/applications/{name}?cascade=false")
    assert r.status_code == 200
    assert admin.get(f"/api/v1/applications/{name}").status_code == 404
    assert admin.delete(f"/api/v1/applications/{name}").status_code == 404


def test_list_filters_and_pages(server, admin):
    prefix = unique("ls")
    for i in range(5):
        doc = application(f"{prefix}-{i}", EX if i % 2 else "https://example.com/other.git", "default")
        doc["metadata"]["labels"] = {"idx": str(i), "parity": "odd" if i % 2 else "even"}
        assert admin.post("/api/v1/applications", json=doc).status_code == 200

    def names(query):
        r = admin.get("/api/v1/applications" + query)
        assert r.status_code == 200, r.text
        return [a["metadata"]["name"] for a in r.json()["items"] if a["metadata"]["name"].startswith(prefix)]

    wait_for(lambda: len(names(f"?search={prefix}")) == 5)
    assert names("?selector=parity%3Dodd") == [f"{prefix}-1", f"{prefix}-3"]
    assert names("?selector=idx%20in%20(0,4),parity!%3Dodd") == [f"{prefix}-0", f"{prefix}-4"]
    assert names(f"?name={prefix}-2") == [f"{prefix}-2"]
    assert names("?repo=https://EXAMPLE.com/repo") == [f"{prefix}-1", f"{prefix}-3"]
    assert names(f"?search={prefix}&projects=nope") == []
    assert len(names(f"?search={prefix}&projects=default")) == 5
    r = admin.get("/api/v1/applications?selector=a%20in%20(")
    assert r.status_code == 400 and "selector" in r.json()["message"]
    # pages of 2
    seen, token = [], ""
    while True:
        r = admin.get(
            f"/api/v1/applications?search={prefix}&limit=2" + (f"&continue={token}" if token else "")
        ).json()
        assert len(r["items"]) <= 2
        seen += [a["metadata"]["name"] for a in r["items"]]
        token = r["metadata"].get("continue", "")
        if not token:
            break
    assert seen == [f"{prefix}-{i}" for i in range(5)]
    assert admin.get("/api/v1/applications?limit=abc").status_code == 400
    assert admin.get("/api/v1/applications?appNamespace=elsewhere").status_code == 400


def test_sync_rollback_terminate_requests(server, admin):
    name = unique("op")
    doc = application(name, EX, "default")
    doc["spec"]["syncPolicy"] = {"syncOptions": ["Validate=false"]}
    assert admin.post("/api/v1/applications", json=doc).status_code == 200
    assert admin.post("/api/v1/applications/nope-app/sync", json={}).status_code == 404
    r = admin.post(
        f"/api/v1/applications/{name}/sync",
        json={
            "prune": True,
            "resources": [{"kind": "Deployment", "name": "web", "group": "apps"}],
            "syncOptions": {"items": ["CreateNamespace=true"]},
            "strategy": {"hook": {}},
        },
    )
    assert r.status_code == 200, r.text
    op = r.json()["operation"]
    assert op["initiatedBy"] == {"username": "admin"}
    assert op["sync"]["prune"] is True and op["sync"]["syncOptions"] == ["CreateNamespace=true"]
    assert op["sync"]["resources"][0] == {
        "group": "apps",
        "kind": "Deployment",
        "namespace": "",
        "name": "web",
    }
    assert op["sync"]["revision"] == "HEAD"
    r = admin.post(f"/api/v1/applications/{name}/sync", json={"bogus": True})
    assert r.status_code == 400 and "bogus" in r.json()["message"]
    r = admin.post(f"/api/v1/applications/{name}/sync", json={"revision": "v2"})
    assert r.status_code in (200, 400)
    b = server.backend
    res = b.resource("Application")
    wait_for(lambda: not (b.client.get(res, b.namespace, name) or {}).get("operation"), 30)
    r = admin.post(f"/api/v1/applications/{name}/rollback", json={"id": "7"})
    assert r.status_code == 400 and "does not have deployment with id 7" in r.json()["message"]
    r = admin.post(f"/api/v1/applications/{name}/rollback", json={"id": "x"})
    assert r.status_code == 400
    wait_for(lambda: admin.delete(f"/api/v1/applications/{name}/operation").status_code == 400, 30)
    r = admin.delete(f"/api/v1/applications/{name}/operation")
    assert "No operation is in progress" in r.json()["message"]
    # rollback is refused while auto-sync is on (the engine's rule, answered as 400)
    patch = {"patch": json.dumps({"spec": {"syncPolicy": {"automated": {}}}}), "patchType": "merge"}
    assert admin.patch(f"/api/v1/applications/{name}", json=patch).status_code == 200
    r = admin.post(f"/api/v1/applications/{name}/rollback", json={"id": 1})
    assert r.status_code == 400 and "auto-sync is enabled" in r.json()["message"]
    r = admin.post(f"/api/v1/applications/{name}/sync", json={"revision": "other-branch"})
    assert r.status_code == 400 and "auto-sync currently set to HEAD" in r.json()["message"]


def test_reconciled_app_views(server, admin, work_repo, kube_namespace):
    work_repo.commit(
        {"guestbook/deploy.yaml": yaml.safe_dump(DEPLOY), "guestbook/secret.yaml": yaml.safe_dump(SECRET)},
        "init",
    )
    name = unique("live")
    assert (
        admin.post("/api/v1/applications", json=application(name, work_repo.url, kube_namespace)).status_code
        == 200
    )
    wait_for(
        lambda: (
            (admin.get(f"/api/v1/applications/{name}").json().get("status") or {})
            .get("sync", {})
            .get("status")
            == "OutOfSync"
        ),
        60,
    )
    # manifests: Secret data masked
    m = admin.get(f"/api/v1/applications/{name}/manifests")
    assert m.status_code == 200, m.text
    docs = [json.loads(x) for x in m.json()["manifests"]]
    assert {d["kind"] for d in docs} == {"Deployment", "Secret"}
    assert "s3cr3t" not in m.text and SECRET["data"]["token"] not in m.text
    # deploy the objects ourselves (the sync engine is another part), tracked for the app
    from kedge.kube.tracking import app_instance_name  # noqa: F401

    b = server.backend
    for d in docs:
        d["metadata"]["namespace"] = kube_namespace
        group = d["apiVersion"].rsplit("/", 1)[0] if "/" in d["apiVersion"] else ""
        d["metadata"].setdefault("annotations", {})["argocd.argoproj.io/tracking-id"] = (
            f"{name}:{group}/{d['kind']}:{kube_namespace}/{d['metadata']['name']}"
        )
        if d["kind"] == "Secret":
            d["data"] = {"token": base64.b64encode(b"live-s3cr3t").decode()}
        b.client.apply(d)
    wait_for(
        lambda: any(
            n["kind"] == "ReplicaSet"
            for n in admin.get(f"/api/v1/applications/{name}/resource-tree").json()["nodes"]
        ),
        60,
    )
    tree = admin.get(f"/api/v1/applications/{name}/resource-tree").json()
    kinds = {n["kind"] for n in tree["nodes"]}
    assert {"Deployment", "Secret", "ReplicaSet"} <= kinds
    mr = wait_for(
        lambda: (
            (r := admin.get(f"/api/v1/applications/{name}/managed-resources").json())["items"]
            and all(i["liveState"] != "null" for i in r["items"])
            and r
        ),
        60,
    )
    text = json.dumps(mr)
    assert "s3cr3t" not in text and "bGl2ZS1zM2NyM3Q" not in text and SECRET["data"]["token"] not in text
    sec = next(i for i in mr["items"] if i["kind"] == "Secret")
    live, target = json.loads(sec["liveState"]), json.loads(sec["targetState"])
    assert set(live["data"]["token"]) == {"+"} and live["data"]["token"] != target["data"]["token"]
    # one live resource
    q = f"?namespace={kube_namespace}&resourceName=creds&version=v1&kind=Secret"
    r = admin.get(f"/api/v1/applications/{name}/resource{q}")
    assert r.status_code == 200 and "s3cr3t" not in r.text
    assert json.loads(r.json()["manifest"])["data"]["token"].startswith("++++")
    q = f"?namespace={kube_namespace}&resourceName=web&version=v1&group=apps&kind=Deployment"
    r = admin.get(f"/api/v1/applications/{name}/resource{q}")
    assert r.status_code == 200 and json.loads(r.json()["manifest"])["spec"]["replicas"] == 1
    r = admin.get(
        f"/api/v1/applications/{name}/resource?namespace=kube-system&resourceName=coredns&version=v1&group=apps&kind=Deployment"
    )
    assert r.status_code == 404
    r = admin.get(f"/api/v1/applications/{name}/resource?namespace=x&version=v1&kind=Secret")
    assert r.status_code == 400
    # patch it
    r = admin.post(
        f"/api/v1/applications/{name}/resource{q}&patchType=application/merge-patch%2Bjson",
        json=json.dumps({"metadata": {"labels": {"patched": "yes"}}}),
    )
    assert r.status_code == 200, r.text
    assert json.loads(r.json()["manifest"])["metadata"]["labels"]["patched"] == "yes"
    # actions
    acts = admin.get(f"/api/v1/applications/{name}/resource/actions{q}")
    assert acts.status_code == 200, acts.text
    assert "restart" in {a["name"] for a in acts.json()["actions"]}
    r = admin.post(f"/api/v1/applications/{name}/resource/actions{q}", json="restart")
    assert r.status_code == 200, r.text
    live = json.loads(admin.get(f"/api/v1/applications/{name}/resource{q}").json()["manifest"])
    assert "kubectl.kubernetes.io/restartedAt" in live["spec"]["template"]["metadata"]["annotations"]
    r = admin.post(f"/api/v1/applications/{name}/resource/actions{q}", json={"action": "no-such-action"})
    assert r.status_code == 400 and "not available" in r.json()["message"]
    # events of the app and of a resource
    assert admin.get(f"/api/v1/applications/{name}/events").status_code == 200
    r = admin.get(f"/api/v1/applications/{name}/events?resourceNamespace={kube_namespace}&resourceName=web")
    assert r.status_code == 200 and isinstance(r.json()["items"], list)
    # pod logs (the simulated containers write nothing): the pods are found through the tree
    wait_for(
        lambda: any(
            n["kind"] == "Pod"
            for n in admin.get(f"/api/v1/applications/{name}/resource-tree").json()["nodes"]
        ),
        60,
    )
    r = admin.get(f"/api/v1/applications/{name}/logs?kind=Deployment&resourceName=web&tailLines=10")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert json.loads(r.text.strip().splitlines()[-1]) == {"result": {"last": True}}
    assert admin.get(f"/api/v1/applications/{name}/logs?podName=nope").status_code == 404
    assert admin.get(f"/api/v1/applications/{name}/logs?follow=true").status_code == 400
    # branches and tags of the repository
    from urllib.parse import quote

    refs = admin.get("/api/v1/repositories/" + quote(work_repo.url, safe="") + "/refs")
    assert refs.status_code == 200, refs.text
    assert "main" in refs.json()["branches"]
    # revision metadata
    head = work_repo.head()
    r = admin.get(f"/api/v1/applications/{name}/revisions/{head}/metadata")
    assert r.status_code == 200, r.text
    assert r.json()["message"].strip() == "init"
    # delete the resource
    r = admin.delete(
        f"/api/v1/applications/{name}/resource?namespace={kube_namespace}&resourceName=creds&version=v1&kind=Secret"
    )
    assert r.status_code == 200
    assert b.client.get(b.client.resource_for("v1", "Secret"), kube_namespace, "creds") is None
