"""A sync and a rollback through the API, run by the in-process sync engine; the sync counter
metric follows."""

import yaml
from conftest import application, unique, wait_for

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"color": "blue"}}


def _phase(admin, name):
    st = (admin.get(f"/api/v1/applications/{name}").json().get("status") or {}).get("operationState") or {}
    return st.get("phase")


def test_sync_and_rollback(server, admin, work_repo, kube_namespace):
    first = work_repo.commit({"guestbook/cm.yaml": yaml.safe_dump(CM)}, "blue")
    name = unique("sync")
    assert (
        admin.post("/api/v1/applications", json=application(name, work_repo.url, kube_namespace)).status_code
        == 200
    )
    wait_for(
        lambda: (
            (admin.get(f"/api/v1/applications/{name}").json().get("status") or {})
            .get("sync", {})
            .get("revision")
            == first
        ),
        30,
    )
    r = admin.post(f"/api/v1/applications/{name}/sync", json={"prune": True})
    assert r.status_code == 200, r.text
    wait_for(lambda: _phase(admin, name) == "Succeeded", 60)
    b = server.backend
    cms = b.client.resource_for("v1", "ConfigMap")
    assert b.client.get(cms, kube_namespace, "settings")["data"] == {"color": "blue"}
    second = work_repo.commit(
        {"guestbook/cm.yaml": yaml.safe_dump({**CM, "data": {"color": "green"}})}, "green"
    )
    wait_for(
        lambda: (
            (admin.get(f"/api/v1/applications/{name}?refresh=hard").json().get("status") or {})
            .get("sync", {})
            .get("revision")
            == second
        ),
        30,
    )
    assert admin.post(f"/api/v1/applications/{name}/sync", json={}).status_code == 200
    wait_for(lambda: b.client.get(cms, kube_namespace, "settings")["data"] == {"color": "green"}, 60)
    wait_for(
        lambda: (
            _phase(admin, name) == "Succeeded"
            and len(admin.get(f"/api/v1/applications/{name}").json()["status"].get("history") or []) == 2
        ),
        60,
    )
    history = admin.get(f"/api/v1/applications/{name}").json()["status"]["history"]
    assert [h["revision"] for h in history] == [first, second]
    r = admin.post(f"/api/v1/applications/{name}/rollback", json={"id": history[0]["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["operation"]["sync"]["revision"] == first
    wait_for(lambda: b.client.get(cms, kube_namespace, "settings")["data"] == {"color": "blue"}, 60)

    # the metric counted the finished syncs
    def synced_count():
        for line in admin.get("/metrics").text.splitlines():
            if (
                line.startswith("kedge_app_sync_total{")
                and f'name="{name}"' in line
                and 'phase="Succeeded"' in line
            ):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    wait_for(lambda: synced_count() >= 3, 30)
