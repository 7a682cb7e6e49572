"""``kedge proj|repo|repocreds|cluster|account|admin`` in core mode against the local cluster."""

from __future__ import annotations

import base64
import json

import yaml
from conftest import unique


def _secret(cli_kube, ns, selector):
    items, _ = cli_kube.list(cli_kube.resource_for("v1", "Secret"), ns, label_selector=selector)
    return items


def _decoded(secret):
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


def test_projects_roles_tokens_windows(kedge_cli, read, control_plane, cli_kube):
    ns, _ = control_plane
    p = unique("team")
    kedge_cli(
        "proj",
        "create",
        p,
        "-d",
        "https://kubernetes.default.svc,team-*",
        "-s",
        "https://git.example/a.git",
        "--description",
        "Team A",
    )
    kedge_cli("proj", "add-source", p, "https://git.example/b.git")
    kedge_cli("proj", "add-destination", p, "in-cluster", "extra", "--name")
    listed = kedge_cli("proj", "list").stdout.splitlines()
    assert listed[0].split()[:4] == ["NAME", "DESCRIPTION", "DESTINATIONS", "SOURCES"]
    row = next(line for line in listed if line.startswith(p + " "))
    assert "Team A" in row and "2 destinations" in row and "2 repos" in row
    got = kedge_cli("proj", "get", p).stdout
    assert "Repositories:                 https://git.example/a.git, https://git.example/b.git" in got
    spec = read("AppProject", p)["spec"]
    assert spec["destinations"][1] == {"name": "in-cluster", "namespace": "extra"}

    kedge_cli("proj", "role", "create", p, "ci", "--description", "CI bot")
    assert ["ci", "CI", "bot"] in [
        r.split() for r in kedge_cli("proj", "role", "list", p).stdout.splitlines()
    ]
    token = kedge_cli("proj", "role", "create-token", p, "ci", "-e", "1h", "-t").stdout.strip()
    secret = _decoded(cli_kube.get(cli_kube.resource_for("v1", "Secret"), ns, "argocd-secret"))
    from kedge.auth import TokenIssuer

    claims = TokenIssuer(secret["server.secretkey"]).verify(token)
    assert claims.subject == f"proj:{p}:ci" and claims.expires_at - claims.issued_at == 3600
    roles = read("AppProject", p)["spec"]["roles"]
    assert roles[0]["jwtTokens"][0]["iat"] == claims.issued_at
    tokens = [t.split() for t in kedge_cli("proj", "role", "list-tokens", p, "ci").stdout.splitlines()]
    assert tokens[0] == ["ID", "ISSUED", "AT", "EXPIRES", "AT"] and tokens[1][0] == claims.token_id
    kedge_cli("proj", "role", "delete-token", p, "ci", str(claims.issued_at))
    roles = read("AppProject", p)["spec"]["roles"]
    assert not roles[0].get("jwtTokens")
    kedge_cli("proj", "role", "add-policy", p, "ci", "-a", "sync", "-o", "*")
    policies = read("AppProject", p)["spec"]["roles"][0]["policies"]
    assert policies == [f"p, proj:{p}:ci, applications, sync, {p}/*, allow"]
    kedge_cli("proj", "role", "delete", p, "ci")
    assert not read("AppProject", p)["spec"].get("roles")
    kedge_cli("proj", "remove-source", p, "https://git.example/b.git")
    kedge_cli("proj", "remove-destination", p, "in-cluster", "extra")
    spec = read("AppProject", p)["spec"]
    assert spec["sourceRepos"] == ["https://git.example/a.git"] and len(spec["destinations"]) == 1

    kedge_cli(
        "proj",
        "windows",
        "add",
        p,
        "-k",
        "deny",
        "--schedule",
        "0 22 * * *",
        "--duration",
        "1h",
        "--applications",
        "*",
        "--manual-sync",
    )
    rows = [r.split() for r in kedge_cli("proj", "windows", "list", p).stdout.splitlines()]
    assert rows[0][:5] == ["ID", "STATUS", "KIND", "SCHEDULE", "DURATION"]
    assert rows[1][0] == "0" and rows[1][1] in ("Active", "Inactive") and rows[1][2] == "deny"
    out = kedge_cli(
        "proj", "windows", "add", p, "-k", "allow", "--schedule", "not cron", "--duration", "1h", check=False
    )
    assert out.returncode == 1 and "schedule" in out.stderr

    out = kedge_cli("proj", "create", p, "-d", "nocomma", check=False)
    assert out.returncode == 1 and "SERVER,NAMESPACE" in out.stderr
    kedge_cli("proj", "delete", p)
    assert kedge_cli("proj", "get", p, check=False).returncode == 1


def test_repositories_never_print_secrets(kedge_cli, control_plane, cli_kube, tmp_path):
    ns, _ = control_plane
    url = f"https://git.example/{unique('r')}.git"
    kedge_cli("repo", "add", url, "--username", "bot", "--password", "s3cr3t-pw")
    key = tmp_path / "id"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
    ssh_url = f"git@git.example:{unique('s')}.git"
    kedge_cli("repo", "add", ssh_url, "--ssh-private-key-path", str(key))
    secrets = {
        _decoded(s)["url"]: s for s in _secret(cli_kube, ns, "argocd.argoproj.io/secret-type=repository")
    }
    assert _decoded(secrets[url])["password"] == "s3cr3t-pw"
    assert "OPENSSH PRIVATE KEY" in _decoded(secrets[ssh_url])["sshPrivateKey"]
    for fmt in ("table", "json", "yaml", "wide"):
        out = kedge_cli("repo", "list", "-o", fmt).stdout
        assert url in out and ssh_url in out
        assert "s3cr3t-pw" not in out and "PRIVATE KEY" not in out
    out = kedge_cli("repo", "add", url, "--username", "bot", "--password", "other", check=False)
    assert out.returncode == 1 and "upsert" in out.stderr
    kedge_cli("repo", "add", url, "--username", "bot", "--password", "other", "--upsert")
    after = {
        _decoded(s)["url"]: s for s in _secret(cli_kube, ns, "argocd.argoproj.io/secret-type=repository")
    }
    assert _decoded(after[url])["password"] == "other"
    assert after[url]["metadata"]["name"] == secrets[url]["metadata"]["name"]
    kedge_cli("repo", "rm", url, ssh_url)
    assert url not in kedge_cli("repo", "list").stdout
    assert kedge_cli("repo", "rm", url, check=False).returncode == 1

    prefix = f"https://git.example/{unique('org')}"
    kedge_cli("repocreds", "add", prefix, "--username", "u", "--password", "tmpl-pw")
    out = kedge_cli("repocreds", "list").stdout
    assert prefix in out and "tmpl-pw" not in out
    assert _secret(cli_kube, ns, "argocd.argoproj.io/secret-type=repo-creds")
    kedge_cli("repocreds", "rm", prefix)
    assert prefix not in kedge_cli("repocreds", "list").stdout


def test_cluster_add_from_kubeconfig_context(kedge_cli, control_plane, cli_kube, local_cluster):
    ns, _ = control_plane
    name = unique("lc")
    kedge_cli("cluster", "add", "kedge-local", "--name", name, "--upsert")
    secret = next(
        s
        for s in _secret(cli_kube, ns, "argocd.argoproj.io/secret-type=cluster")
        if _decoded(s)["name"] == name
    )
    data = _decoded(secret)
    assert data["server"] == local_cluster.url
    assert json.loads(data["config"])["bearerToken"] == local_cluster.token
    out = kedge_cli("cluster", "list", "-o", "json").stdout
    assert local_cluster.token not in out
    rows = [r.split() for r in kedge_cli("cluster", "list").stdout.splitlines()]
    assert rows[0] == ["SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT"]
    assert [local_cluster.url, name, "Unknown"] in [r[:3] for r in rows]
    assert any(r[:2] == ["https://kubernetes.default.svc", "in-cluster"] for r in rows)
    out = kedge_cli("cluster", "add", "no-such-context", check=False)
    assert out.returncode == 1 and "no-such-context" in out.stderr
    kedge_cli("cluster", "rm", name, "-y")
    assert name not in kedge_cli("cluster", "list").stdout


def test_accounts_passwords_tokens(kedge_cli, control_plane, cli_kube):
    ns, password = control_plane
    assert kedge_cli("admin", "initial-password").stdout.splitlines()[0] == password
    cm = cli_kube.resource_for("v1", "ConfigMap")
    cli_kube.patch(cm, ns, "argocd-cm", {"data": {"accounts.robot": "apiKey"}})
    rows = [r.split() for r in kedge_cli("account", "list").stdout.splitlines()]
    assert rows[0] == ["NAME", "ENABLED", "CAPABILITIES"]
    assert ["admin", "true", "login"] in rows and ["robot", "true", "apiKey"] in rows
    token = kedge_cli("account", "generate-token", "--account", "robot", "--id", "t1").stdout.strip()
    secret = _decoded(cli_kube.get(cli_kube.resource_for("v1", "Secret"), ns, "argocd-secret"))
    assert json.loads(secret["accounts.robot.tokens"])[0]["id"] == "t1"
    from kedge.auth import TokenIssuer

    assert TokenIssuer(secret["server.secretkey"]).verify(token).subject == "robot"
    out = kedge_cli("account", "generate-token", "--account", "admin", check=False)
    assert out.returncode == 1 and "apiKey" in out.stderr

    out = kedge_cli(
        "account",
        "update-password",
        "--account",
        "admin",
        "--current-password",
        "wrong",
        "--new-password",
        "n3w-password",
        check=False,
    )
    assert out.returncode == 1 and "does not match" in out.stderr
    kedge_cli(
        "account",
        "update-password",
        "--account",
        "admin",
        "--current-password",
        password,
        "--new-password",
        "n3w-password",
    )
    from kedge.auth import verify_password

    secret = _decoded(cli_kube.get(cli_kube.resource_for("v1", "Secret"), ns, "argocd-secret"))
    assert verify_password("n3w-password", secret["admin.password"])
    kedge_cli(
        "account",
        "update-password",
        "--account",
        "admin",
        "--current-password",
        "n3w-password",
        "--new-password",
        password,
    )


def test_export_import_round_trip(kedge_cli, control_plane, cli_kube, tmp_path, kube_namespace):
    ns, _ = control_plane
    app = unique("exp")
    kedge_cli(
        "app",
        "create",
        app,
        "--repo",
        "https://git.example/x.git",
        "--path",
        "p",
        "--dest-server",
        "https://kubernetes.default.svc",
        "--dest-namespace",
        kube_namespace,
    )
    proj = unique("expproj")
    kedge_cli("proj", "create", proj, "-s", "*")
    kedge_cli(
        "repo", "add", "https://git.example/exported.git", "--username", "u", "--password", "pw", "--upsert"
    )
    appset = unique("set")
    cli_kube.create(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ApplicationSet",
            "metadata": {"name": appset, "namespace": ns},
            "spec": {
                "generators": [{"list": {"elements": [{"env": "dev"}]}}],
                "template": {
                    "metadata": {"name": "{{env}}-app"},
                    "spec": {
                        "project": "default",
                        "source": {"repoURL": "https://git.example/x.git", "path": "{{env}}"},
                        "destination": {"server": "https://kubernetes.default.svc", "namespace": "{{env}}"},
                    },
                },
            },
        }
    )
    first = kedge_cli("admin", "export").stdout
    docs = list(yaml.safe_load_all(first))
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert (
        ("Application", app) in kinds
        and ("AppProject", proj) in kinds
        and ("ApplicationSet", appset) in kinds
    )
    assert ("Secret", "argocd-secret") in kinds and ("ConfigMap", "argocd-cm") in kinds
    assert all("resourceVersion" not in d["metadata"] and "status" not in d for d in docs)
    export = tmp_path / "export.yaml"
    export.write_text(first)

    kedge_cli("app", "delete", app, "-y", "--no-cascade", "--wait")
    kedge_cli("proj", "delete", proj)
    cli_kube.delete(cli_kube.resource_for("argoproj.io/v1alpha1", "ApplicationSet"), ns, appset)
    dry = kedge_cli("admin", "import", str(export), "--dry-run").stdout
    assert f"(dry run) Application/{app} created" in dry
    assert kedge_cli("app", "get", app, check=False).returncode == 1
    out = kedge_cli("admin", "import", str(export)).stdout
    assert f"Application/{app} created" in out and f"AppProject/{proj} created" in out
    assert f"ApplicationSet/{appset} created" in out
    assert kedge_cli("admin", "export").stdout == first  # lossless round trip

    extra = unique("extra")
    kedge_cli(
        "app",
        "create",
        extra,
        "--repo",
        "https://git.example/x.git",
        "--path",
        "p",
        "--dest-server",
        "https://kubernetes.default.svc",
        "--dest-namespace",
        kube_namespace,
    )
    out = kedge_cli("admin", "import", str(export), "--prune").stdout
    assert f"Application/{extra} pruned" in out
    assert kedge_cli("app", "get", extra, check=False).returncode == 1

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\nspec: {project: 5}\n"
    )
    out = kedge_cli("admin", "import", str(bad), check=False)
    assert out.returncode == 1 and "nothing imported" in out.stderr


def test_completion_and_context(kedge_cli, kube_namespace):
    assert "_KEDGE_COMPLETE" in kedge_cli("completion", "bash").stdout
    name = unique("compl")
    kedge_cli(
        "app",
        "create",
        name,
        "--repo",
        "https://git.example/x.git",
        "--path",
        "p",
        "--dest-server",
        "https://kubernetes.default.svc",
        "--dest-namespace",
        kube_namespace,
    )
    words = f"kedge app get {name[:6]}"
    out = kedge_cli(extra_env={"_KEDGE_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": "3"})
    assert f"plain,{name}" in out.stdout.splitlines()
    kedge_cli("app", "delete", name, "-y", "--no-cascade")
    assert "compdef" in kedge_cli("completion", "zsh").stdout
    assert "complete" in kedge_cli("completion", "fish").stdout
    assert kedge_cli("context").stdout.split() == ["CURRENT", "NAME", "SERVER"]
    out = kedge_cli("context", "nope", check=False)
    assert out.returncode == 1 and "does not exist" in out.stderr
    out = kedge_cli(
        "login", "127.0.0.1:1", "--plaintext", "--username", "admin", "--password", "x", check=False
    )
    assert out.returncode == 1 and "cannot reach the API server" in out.stderr
