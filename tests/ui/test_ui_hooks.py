"""The last operation's per-resource results with hooks and waves: a PreSync hook Job and a
Service in wave 1 are committed to the example, synced from the UI, and shown in order."""

from __future__ import annotations

import os
import subprocess

import yaml
from playwright.sync_api import expect
from ui_harness import login, wait_for

HOOK = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {
        "name": "db-migrate",
        "annotations": {
            "argocd.argoproj.io/hook": "PreSync",
            "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
        },
    },
    "spec": {
        "backoffLimit": 0,
        "template": {
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "migrate", "image": "busybox:1.36", "command": ["true"]}],
            }
        },
    },
}


def test_operation_shows_hooks_and_waves(page, ui, guestbook):
    name, work = guestbook
    (work / "guestbook" / "db-migrate-hook.yaml").write_text(yaml.safe_dump(HOOK, sort_keys=False))
    svc_file = work / "guestbook" / "guestbook-ui-svc.yaml"
    svc = yaml.safe_load(svc_file.read_text())
    svc["metadata"].setdefault("annotations", {})["argocd.argoproj.io/sync-wave"] = "1"
    svc_file.write_text(yaml.safe_dump(svc, sort_keys=False))
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bo", "GIT_AUTHOR_EMAIL": "bo@example.com"}
    env |= {"GIT_COMMITTER_NAME": "Bo", "GIT_COMMITTER_EMAIL": "bo@example.com"}
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    subprocess.run(["git", "commit", "-qm", "Migrate the database first"], cwd=work, env=env, check=True)
    subprocess.run(["git", "push", "-q", "origin", "HEAD:main"], cwd=work, env=env, check=True)

    login(page, "admin", ui.admin_password)
    page.goto(f"/applications/{name}")
    page.click("#btn-hard-refresh")
    expect(page.locator("#sync-revision-meta")).to_contain_text("Migrate the database first", timeout=20000)
    page.click("#btn-sync")
    page.click("#sync-submit")
    with ui.client(ui.token()) as c:

        def synced() -> bool:
            op = c.get(f"/api/v1/applications/{name}").json()["status"].get("operationState") or {}
            return op.get("phase") == "Succeeded" and "db-migrate" in str(op.get("syncResult"))

        wait_for(synced, 60, 0.3)
    page.click("#view-operation")
    table = page.locator("#operation table")
    hook = table.locator("tr", has_text="db-migrate")
    expect(hook).to_contain_text("PreSync")
    expect(hook).to_contain_text("PreSync: Succeeded")
    expect(table.locator("tr", has_text="Service").locator("td").nth(1)).to_have_text("1")  # wave
    expect(table.locator("tr", has_text="Deployment").locator("td").nth(1)).to_have_text("0")
    expect(table.locator("tbody tr").first).to_contain_text("db-migrate")  # the hook ran first
    page.shots("hooks-and-waves")


def test_sync_dialog_options_reach_the_operation(page, ui, guestbook):
    name, _ = guestbook
    login(page, "admin", ui.admin_password)
    page.goto(f"/applications/{name}")
    page.click("#btn-sync")
    page.check("#sync-dry-run")
    page.check("#sync-prune")
    page.check("#sync-ssa")
    page.check("#sync-apply-oos")
    page.get_by_role("button", name="none").click()
    expect(page.locator("#sync-submit")).to_be_disabled()  # nothing selected
    page.locator(".sync-resources label", has_text="Service").locator("input").check()
    page.shots("sync-options")
    page.click("#sync-submit")
    with ui.client(ui.token()) as c:

        def dry_run_done():
            op = c.get(f"/api/v1/applications/{name}").json()["status"].get("operationState") or {}
            sync = (op.get("operation") or {}).get("sync") or {}
            return op if sync.get("dryRun") and op.get("phase") in ("Succeeded", "Failed", "Error") else None

        op = wait_for(dry_run_done, 40, 0.2)
    sync = op["operation"]["sync"]
    assert sync["prune"] is True
    assert set(sync["syncOptions"]) == {"ServerSideApply=true", "ApplyOutOfSyncOnly=true"}
    assert [r["kind"] for r in sync["resources"]] == ["Service"]
    page.click("#view-operation")
    options = page.locator("#operation dl")
    expect(options).to_contain_text("dry run")
    expect(options).to_contain_text("ServerSideApply=true")
