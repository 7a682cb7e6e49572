"""The web UI in a real browser: log in, see the example app, open its tree, open a diff,
sync it, watch it become Healthy, deploy a new commit, roll back. Screenshots of each step in
artifacts/ui/test_guestbook_story/."""

from __future__ import annotations

import subprocess

from playwright.sync_api import expect
from ui_harness import wait_for

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Lovelace",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Lovelace",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def commit_replicas(work, replicas: int) -> str:
    import os

    import yaml

    f = work / "guestbook" / "guestbook-ui-deployment.yaml"
    doc = yaml.safe_load(f.read_text())
    doc["spec"]["replicas"] = replicas
    f.write_text(yaml.safe_dump(doc, sort_keys=False))
    env = {**os.environ, **GIT_ENV}
    subprocess.run(
        ["git", "commit", "-qam", f"Scale the guestbook to {replicas}"], cwd=work, env=env, check=True
    )
    subprocess.run(["git", "push", "-q", "origin", "HEAD:main"], cwd=work, env=env, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_guestbook_story(page, ui, guestbook):
    name, work = guestbook
    shot = page.shots
    first_rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True, check=True
    ).stdout.strip()

    # log in: a wrong password is reported next to the form, then the right one works
    page.goto("/applications")
    page.wait_for_selector("#username")
    page.fill("#username", "admin")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("Invalid username or password")
    shot("login-error")
    page.fill("#password", ui.admin_password)
    page.click("button[type=submit]")

    # the example app in the list, with counters
    tile = page.locator(f'.tile[data-app="{name}"]')
    expect(tile).to_be_visible()
    # other tests of the session may have added apps to the shared server: count them too
    with ui.client(ui.token()) as c:
        total = len(c.get("/api/v1/applications").json().get("items") or [])
    expect(page.locator("#app-count")).to_have_text(str(total))
    expect(tile).to_contain_text("OutOfSync")
    shot("applications")

    # its resource tree
    tile.click()
    expect(page).to_have_url(f"{ui.url}/applications/{name}")
    deployment = page.locator('.node[data-kind="Deployment"]')
    expect(deployment).to_be_visible()
    expect(page.locator('.node[data-kind="Service"]')).to_be_visible()
    expect(page.locator("#sync-revision-meta")).to_contain_text("guestbook example")
    shot("tree")

    # a diff of the Deployment: not in the cluster yet, so every desired line is new
    deployment.click()
    page.click('[data-tab="diff"]')
    expect(page.locator("#diff-summary")).to_contain_text("changed line")
    expect(page.locator("#diff-table td.add").first).to_be_visible()
    expect(page.locator("#diff-table")).to_contain_text("image: gcr.io/heptio-images/ks-guestbook-demo:0.2")
    shot("diff")
    page.click('[aria-label="Close panel"]')

    # sync it and watch it become Healthy (live updates over the event stream)
    page.click("#btn-sync")
    expect(page.locator("#sync-prune")).to_be_visible()
    shot("sync-dialog")
    page.click("#sync-submit")
    expect(page.locator("#app-health")).to_contain_text("Healthy", timeout=40000)
    expect(page.locator("#app-sync")).to_contain_text("Synced")
    expect(page.locator('.node[data-kind="Pod"]').first).to_be_visible(timeout=15000)
    expect(page.locator('.node[data-kind="ReplicaSet"]').first).to_be_visible()
    shot("healthy")

    # the Deployment's diff once synced; fields left out of the comparison (status, server
    # fields) are only shown on request, greyed out
    deployment.click()
    page.click('[data-tab="diff"]')
    expect(page.locator("#diff-table")).to_be_visible()
    expect(page.locator("#diff-table td.ignored")).to_have_count(0)
    page.get_by_label("Show fields left out of the comparison (greyed)").check()
    expect(page.locator("#diff-table td.ignored", has_text="status:").first).to_be_visible()
    shot("diff-ignored")

    # the Deployment's events and a Lua action (restart) from its panel
    page.click('[data-tab="events"]')
    expect(page.locator("#resource-panel .table, #resource-panel .muted").first).to_be_visible()
    page.click('[data-tab="actions"]')
    expect(page.locator('[data-action="scale"]')).to_be_enabled()
    expect(page.locator('[data-action="resume"]')).to_be_disabled()  # not paused
    page.click('[data-action="restart"]')
    expect(page.locator(".toast.success", has_text="Action restart ran")).to_be_visible()
    shot("actions")

    # the scale action with its parameter: seven Pods are grouped into one node until expanded
    page.fill('[data-param="scale.replicas"]', "7")
    page.click('[data-action="scale"]')
    expect(page.locator(".toast.success", has_text="Action scale ran")).to_be_visible()
    page.click('[aria-label="Close panel"]')
    group = page.locator('.node.group[data-kind="Pod"]')
    expect(group).to_contain_text("7 Pods", timeout=20000)
    shot("grouped")
    group.click()
    expect(group).to_have_count(0)
    expect(page.locator('.node[data-kind="Pod"]').nth(6)).to_be_visible()
    page.click("#view-list")
    expect(page.locator("#resource-list tbody tr", has_text="Pod").nth(6)).to_be_visible()
    expect(page.locator("#resource-list tbody tr", has_text="Deployment")).to_have_count(1)
    page.click("#view-tree")

    # a new commit: a hard refresh shows it, sync deploys it
    second_rev = commit_replicas(work, 2)
    page.click("#btn-hard-refresh")
    expect(page.locator("#app-sync")).to_contain_text("OutOfSync", timeout=20000)
    expect(page.locator("#sync-revision-meta")).to_contain_text("Scale the guestbook to 2")
    expect(page.locator("#sync-revision-meta")).to_contain_text("Ada Lovelace")
    page.click("#btn-sync")
    page.click("#sync-submit")
    expect(page.locator("#app-sync")).to_contain_text("Synced", timeout=40000)
    expect(page.locator("#app-health")).to_contain_text("Healthy", timeout=40000)

    # roll back to the first deployment from the history
    page.click("#view-history")
    rows = page.locator("#history tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#history")).to_contain_text(second_rev[:7])
    shot("history")
    page.once("dialog", lambda d: d.accept())
    page.locator("#history tbody tr").last.get_by_role("button", name="Rollback").click()
    expect(page.locator(".toast.success", has_text="Rolling back to deployment")).to_be_visible()
    with ui.client(ui.token()) as c:

        def rolled_back() -> bool:
            st = c.get(f"/api/v1/applications/{name}").json()["status"]
            return len(st.get("history") or []) == 3 and st["operationState"]["phase"] == "Succeeded"

        wait_for(rolled_back, 40, 0.2)
    expect(page.locator("#app-op")).to_contain_text("Succeeded")
    page.click("#view-history")
    expect(rows).to_have_count(3, timeout=20000)
    expect(rows.first).to_contain_text(first_rev[:7])
    page.click("#view-operation")
    expect(page.locator("#operation")).to_contain_text("Deployment")
    shot("rolled-back")
    with ui.client(ui.token()) as c:
        app = c.get(f"/api/v1/applications/{name}").json()
    assert app["status"]["history"][-1]["revision"] == first_rev
    assert app["status"]["operationState"]["phase"] == "Succeeded"
