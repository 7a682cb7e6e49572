"""Browser tests of the UI's other behaviour: RBAC-disabled buttons, URL filters, the table
view and keyboard use, the application editor's inline errors, the event stream's reconnect
notice, settings pages, dark mode and a phone-sized screen."""

from __future__ import annotations

from playwright.sync_api import expect
from ui_harness import PASSWORD, login


def test_readonly_user_sees_disabled_actions(page, ui, guestbook):
    name, _ = guestbook
    login(page, "viewer", PASSWORD)
    expect(page.locator("#new-app")).to_be_disabled()
    expect(page.locator("#new-app")).to_have_attribute("title", "You may not create applications */* (RBAC)")
    page.goto(f"/applications/{name}")
    for button in ("#btn-sync", "#btn-delete", "#btn-edit"):
        expect(page.locator(button)).to_be_disabled()
        expect(page.locator(button)).to_have_attribute(
            "title",
            "You may not "
            + {"#btn-sync": "sync", "#btn-delete": "delete", "#btn-edit": "update"}[button]
            + f" applications default/{name} (RBAC)",
        )
    expect(page.locator("#btn-refresh")).to_be_enabled()
    page.shots("readonly")
    page.click("#logout")
    expect(page.locator("#username")).to_be_visible()


def test_filters_live_in_the_url(page, ui, guestbook):
    name, _ = guestbook
    login(page, "admin", ui.admin_password)
    page.goto("/applications?view=table&labels=team%3Dweb")
    row = page.locator(f'.tr[data-app="{name}"]')
    expect(row).to_be_visible()
    page.goto("/applications?labels=team%3Dnobody")
    expect(page.get_by_text("No applications match the filters")).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator(f'.tile[data-app="{name}"]')).to_be_visible()
    page.fill("#search", "no-such-app")
    expect(page).to_have_url(f"{ui.url}/applications?search=no-such-app")
    page.fill("#search", "guest")
    page.check('input[data-filter="proj"][value="default"]')
    expect(page).to_have_url(f"{ui.url}/applications?search=guest&proj=default")
    page.go_back()
    expect(page.locator('input[data-filter="proj"][value="default"]')).not_to_be_checked()
    page.goto("/applications?search=guest")
    # keyboard: the tile is a link; Enter opens the application
    page.locator(f'.tile[data-app="{name}"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#app-name")).to_have_text(name)


def test_editor_shows_errors_next_to_their_cause(page, ui, guestbook):
    _, work = guestbook
    login(page, "admin", ui.admin_password)
    page.click("#new-app")
    page.fill('[data-field="metadata.name"]', "Bad_Name")
    page.fill('[data-field="spec.source.repoURL"]', "file:///nonexistent/none.git")
    page.fill('[data-field="spec.source.path"]', "guestbook")
    page.fill('[data-field="spec.destination.namespace"]', "default")
    page.click("#save-app")
    err = page.locator("label.has-error .field-error")
    expect(err).to_be_visible()
    expect(page.locator("label.has-error [data-field]")).to_have_attribute("data-field", "metadata.name")
    page.shots("name-error")

    # the YAML editor: a syntax error names its line; a server error is shown under the editor
    page.click("#yaml-tab")
    text = page.input_value("#yaml-text")
    page.fill("#yaml-text", text.replace("kind: Application", "kind: Application\n  bad: [indent"))
    page.click("#save-app")
    expect(page.locator("#yaml-error")).to_contain_text("line ")
    page.fill(
        "#yaml-text",
        text.replace("Bad_Name", "ui-made").replace("project: default", "project: no-such-project"),
    )
    page.click("#save-app")
    expect(page.locator("#app-error")).to_contain_text("no-such-project")
    page.shots("yaml-error")

    # fixed: created, then deleted without cascade
    page.fill("#yaml-text", text.replace("Bad_Name", "ui-made"))
    page.click("#save-app")
    expect(page.locator("#app-name")).to_have_text("ui-made")
    # the repository does not exist: the app's condition says so
    expect(page.locator(".conditions")).to_contain_text("ComparisonError", timeout=60000)
    page.shots("condition")

    # edit it: the form saves with PUT, the page shows the new source path
    page.click("#btn-edit")
    expect(page.locator('[data-field="metadata.name"]')).to_be_disabled()
    page.fill('[data-field="spec.source.path"]', "elsewhere")
    page.click("#save-app")
    expect(page.locator(".toast.success", has_text="Saved")).to_be_visible()
    expect(page.locator(".cards")).to_contain_text("elsewhere @ HEAD")
    page.click("#btn-delete")
    expect(page.locator("#delete-submit")).to_be_disabled()
    page.fill("#delete-confirm", "ui-made")
    page.check('input[name="cascade"] >> nth=2')
    page.click("#delete-submit")
    expect(page).to_have_url(f"{ui.url}/applications")
    with ui.client(ui.token()) as c:
        for _ in range(100):
            if c.get("/api/v1/applications/ui-made").status_code == 404:
                break
            page.wait_for_timeout(100)
        assert c.get("/api/v1/applications/ui-made").status_code == 404


def test_lost_stream_reconnects_and_says_so(page, ui, guestbook):
    name, _ = guestbook
    page.route("**/api/v1/stream/applications**", lambda route: route.abort())
    login(page, "admin", ui.admin_password)
    expect(page.locator(f'.tile[data-app="{name}"]')).to_be_visible()
    notice = page.locator("#reconnecting")
    expect(notice).to_be_visible(timeout=10000)
    expect(notice).to_contain_text("reconnecting")
    page.shots("reconnecting")
    page.unroute("**/api/v1/stream/applications**")
    expect(notice).to_be_hidden(timeout=20000)


def test_settings_pages(page, ui, guestbook):
    login(page, "admin", ui.admin_password)
    page.click("text=Settings")
    page.click("text=Clusters")
    expect(page.locator("#clusters")).to_contain_text("https://kubernetes.default.svc")
    page.goto("/settings/projects")
    page.get_by_role("button", name="New project").click()
    page.fill('input[name="name"]', "ui-team")
    page.fill('input[name="description"]', "made in the browser")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#projects")).to_contain_text("made in the browser")
    page.goto("/settings/accounts")
    expect(page.locator("#accounts")).to_contain_text("viewer")
    viewer_token = page.locator("#accounts tr", has_text="viewer").get_by_role(
        "button", name="Generate token"
    )
    expect(viewer_token).to_be_disabled()
    expect(viewer_token).to_have_attribute("title", "The account has no apiKey capability")
    page.shots("accounts")
    page.goto("/settings/repositories")
    page.get_by_role("button", name="Connect repository").click()
    page.fill('input[name="repo"]', "not a url")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator(".inline-form .error-box")).to_be_visible()
    page.shots("repository-error")
    # a real one (the example's bare repository), then deleted again
    repo_url = (ui.example.parent / "guestbook.git").resolve().as_uri()
    page.fill('input[name="repo"]', repo_url)
    page.get_by_role("button", name="Connect", exact=True).click()
    row = page.locator("#repos tr", has_text=repo_url)
    expect(row).to_be_visible()
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    page.goto("/user-info")
    expect(page.locator("#userinfo")).to_contain_text("admin")


def test_dark_mode_and_small_screen(page, ui, guestbook):
    name, _ = guestbook
    login(page, "admin", ui.admin_password)
    page.get_by_role("button", name="Toggle dark mode").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.goto(f"/applications/{name}")
    expect(page.locator('.node[data-kind="Service"]')).to_be_visible()
    # keyboard: arrows move between tree nodes, Enter opens the resource panel
    page.locator(".node.root").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator('.node[data-kind="Deployment"]')).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator('.node[data-kind="Service"]')).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".node.root")).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#resource-panel h2")).to_have_text("guestbook-ui")
    expect(page).to_have_url(f"{ui.url}/applications/{name}?resource=%2FService%2Fdefault%2Fguestbook-ui")
    page.keyboard.press("Escape")
    expect(page.locator("#resource-panel")).to_be_hidden()
    page.shots("dark")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#btn-sync")).to_be_visible()
    page.shots("phone")
