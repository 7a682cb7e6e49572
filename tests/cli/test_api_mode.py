"""The CLI in API mode: ``kedge login`` against a real Kedge API server (started in-process on a
free loopback port, with its own controller and control-plane namespace), then the same
commands over HTTP with the saved bearer token."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import threading

import pytest
import yaml
from conftest import app_create, unique, wait_for
from gitservers import free_port


@pytest.fixture(scope="module")
def api_server(cli_kube, tmp_path_factory):
    import uvicorn

    from kedge.server import build_backend, create_app

    ns = f"cli-api-{os.getpid() % 10000}"
    backend = build_backend(
        client=cli_kube,
        namespace=ns,
        repo_cache_dir=tmp_path_factory.mktemp("api-repo"),
        insecure=True,
        processors=4,
    )
    backend.start()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(backend), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    server.install_signal_handlers = lambda: None
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=20)
    yield f"127.0.0.1:{port}", backend.extras["initial_password"], ns
    server.should_exit = True
    thread.join(timeout=10)
    backend.stop()


def test_login_then_commands_over_http(kedge_cli, api_server, cli_kube, guestbook_repo, kube_namespace):
    address, password, ns = api_server
    out = kedge_cli("login", address, "--plaintext", "--username", "admin", "--password", password)
    assert "'admin:login' logged in successfully" in out.stdout
    cfg_path = kedge_cli.env["KEDGE_CONFIG"]
    assert stat.S_IMODE(os.stat(cfg_path).st_mode) == 0o600
    cfg = yaml.safe_load(open(cfg_path))
    assert cfg["current-context"] == address and cfg["users"][0]["auth-token"]
    # core mode would look in KEDGE_NAMESPACE; API mode talks to the server's namespace
    env = {"KEDGE_NAMESPACE": "not-used-in-api-mode"}
    info = kedge_cli("account", "get-user-info", extra_env=env).stdout
    assert "Logged In: true" in info and "Username: admin" in info
    assert (
        kedge_cli("account", "can-i", "sync", "applications", "default/*", extra_env=env).stdout.strip()
        == "yes"
    )

    name = unique("api")
    kedge_cli(
        *app_create(name, guestbook_repo.url, kube_namespace),
        extra_env=env,
    )
    a = wait_for(
        lambda: (
            json.loads(kedge_cli("app", "get", name, "-o", "json", extra_env=env).stdout)
            .get("status", {})
            .get("sync", {})
            .get("revision")
        )
    )
    assert a == guestbook_repo.head()
    assert f"{ns}/{name}" in kedge_cli("app", "list", extra_env=env).stdout
    got = kedge_cli("app", "get", name, extra_env=env).stdout
    assert f"Name:               {ns}/{name}" in got and "SyncWindow:         Sync Allowed" in got
    diff = kedge_cli("app", "diff", name, check=False, extra_env=env)
    assert diff.returncode == 1 and f"===== apps/Deployment {kube_namespace}/guestbook-ui" in diff.stdout
    out = kedge_cli("app", "sync", name, "--timeout", "60", extra_env=env)
    assert "Phase:              Succeeded" in out.stdout
    wait_for(lambda: kedge_cli("app", "diff", name, check=False, extra_env=env).returncode == 0)
    assert (
        "Restart"
        in kedge_cli(
            "app",
            "actions",
            "list",
            name,
            "--kind",
            "Deployment",
            "--group",
            "apps",
            "--resource-name",
            "guestbook-ui",
            extra_env=env,
        ).stdout.title()
    )

    kedge_cli(
        "repo",
        "add",
        "https://git.example/api.git",
        "--username",
        "u",
        "--password",
        "api-secret",
        extra_env=env,
    )
    out = kedge_cli("repo", "list", "-o", "json", extra_env=env).stdout
    assert "https://git.example/api.git" in out and "api-secret" not in out
    proj = unique("apiproj")
    kedge_cli("proj", "create", proj, "-s", "*", "-d", "*,*", extra_env=env)
    kedge_cli("proj", "role", "create", proj, "ci", extra_env=env)
    token = kedge_cli("proj", "role", "create-token", proj, "ci", "-t", extra_env=env).stdout.strip()
    assert token.count(".") == 2
    assert proj in kedge_cli("proj", "list", extra_env=env).stdout
    kedge_cli("app", "delete", name, "-y", extra_env=env)

    # an API token for an apiKey account, used with --auth-token (no login context needed)
    cli_kube.patch(
        cli_kube.resource_for("v1", "ConfigMap"), ns, "argocd-cm", {"data": {"accounts.ci": "apiKey"}}
    )
    token = wait_for(
        lambda: (
            (r := kedge_cli("account", "generate-token", "-a", "ci", check=False)).returncode == 0
            and r.stdout.strip()
        ),
        timeout=20,
    )
    rows = [r.split() for r in kedge_cli("account", "list", extra_env=env).stdout.splitlines()]
    assert ["ci", "true", "apiKey"] in rows
    out = kedge_cli(
        "app",
        "list",
        "--server",
        address,
        "--plaintext",
        "--auth-token",
        token,
        extra_env={"KEDGE_CONFIG": "/nonexistent/config"},
        check=False,
    )
    assert out.returncode == 0, out.stderr

    assert "Logged out" in kedge_cli("logout").stdout
    assert kedge_cli("context").stdout.splitlines()[1].split() == ["*", address, address]
    out = kedge_cli("app", "list", check=False)
    assert out.returncode == 1 and "log in again" in out.stderr

    out = kedge_cli(
        "login", address, "--plaintext", "--username", "admin", "--password", "wrong", check=False
    )
    assert out.returncode == 1 and "Invalid username or password" in out.stderr
    out = kedge_cli("login", address, "--username", "admin", "--password", password, check=False)
    assert out.returncode == 1 and "add --plaintext" in out.stderr
    kedge_cli("context", address, "--delete")
    assert kedge_cli("context").stdout.splitlines()[1:] == []
