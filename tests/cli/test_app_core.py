"""``kedge app ...`` in core mode: real kedge subprocesses against the local cluster, with an
in-process controller executing the syncs."""

from __future__ import annotations

import json

import yaml
from conftest import app_create, unique, wait_for


def _reconciled(read, name):
    return wait_for(
        lambda: (a := read("Application", name)).get("status", {}).get("sync", {}).get("revision") and a
    )


def test_create_get_diff_sync_history(
    kedge_cli, read, cli_kube, cli_controller, guestbook_repo, kube_namespace
):
    name = unique("gb")
    kedge_cli(*app_create(name, guestbook_repo.url, kube_namespace))
    a = _reconciled(read, name)
    assert a["spec"]["source"] == {"repoURL": guestbook_repo.url, "path": "guestbook"}
    assert a["status"]["sync"]["status"] == "OutOfSync"

    as_json = json.loads(kedge_cli("app", "get", name, "-o", "json").stdout)
    assert as_json["metadata"]["name"] == name and as_json["status"]["sync"]["status"] == "OutOfSync"
    as_yaml = yaml.safe_load(kedge_cli("app", "list", "-o", "yaml").stdout)
    assert name in [a["metadata"]["name"] for a in as_yaml]
    listed = kedge_cli("app", "list").stdout
    header = listed.splitlines()[0].split()
    assert header[:6] == ["NAME", "CLUSTER", "NAMESPACE", "PROJECT", "STATUS", "HEALTH"]
    assert any(line.split()[0].endswith("/" + name) and "OutOfSync" in line for line in listed.splitlines())

    text = kedge_cli("app", "get", name).stdout
    lines = text.splitlines()
    assert lines[0].startswith("Name:") and lines[0].endswith("/" + name)
    for label in (
        "Project:",
        "Server:",
        "Namespace:",
        "Source:",
        "- Repo:",
        "SyncWindow:",
        "Sync Policy:",
        "Sync Status:",
        "Health Status:",
    ):
        assert any(line.startswith(label) for line in lines), (label, text)
    assert "Sync Policy:        Manual" in text
    start = next(i for i, line in enumerate(lines) if line.startswith("GROUP"))
    assert lines[start].split() == [
        "GROUP",
        "KIND",
        "NAMESPACE",
        "NAME",
        "STATUS",
        "HEALTH",
        "HOOK",
        "MESSAGE",
    ]
    assert ["apps", "Deployment", kube_namespace, "guestbook-ui", "OutOfSync", "Missing"] in [
        line.split() for line in lines[start + 1 :]
    ]

    diff = kedge_cli("app", "diff", name, check=False)
    assert diff.returncode == 1, diff.stderr
    assert f"===== apps/Deployment {kube_namespace}/guestbook-ui ======" in diff.stdout
    assert "+  replicas: 1" in diff.stdout
    assert kedge_cli("app", "diff", name, "--exit-code=false", check=False).returncode == 0

    out = kedge_cli("app", "sync", name, "--timeout", "60")
    assert "Phase:              Succeeded" in out.stdout
    assert "deployment.apps/guestbook-ui created" in out.stdout
    # not a terminal: the progress is one timestamped line per resource change
    progress = out.stdout.split("\nName:")[0].splitlines()
    assert progress[0].split()[:4] == ["TIMESTAMP", "GROUP", "KIND", "NAMESPACE"]
    assert any(
        line.split()[1:5] == ["apps", "Deployment", kube_namespace, "guestbook-ui"] for line in progress
    )
    wait_for(lambda: kedge_cli("app", "diff", name, check=False).returncode == 0)

    hist = kedge_cli("app", "history", name).stdout.splitlines()
    assert hist[0] == f"SOURCE  {guestbook_repo.url}"
    assert hist[1].split() == ["ID", "DATE", "REVISION"]
    assert hist[2].split()[0] == "0" and f"({guestbook_repo.head()[:7]})" in hist[2]

    cli_kube.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stray", "namespace": kube_namespace}}
    )
    orphaned = [r.split() for r in kedge_cli("app", "resources", name, "--orphaned").stdout.splitlines()]
    assert ["", "ConfigMap", kube_namespace, "stray", "Yes"] in [
        [""] + r[:4] if len(r) == 4 else r for r in orphaned
    ]
    assert not any("guestbook-ui" in r for r in orphaned)
    res = kedge_cli("app", "resources", name).stdout.splitlines()
    assert res[0].split() == ["GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED"]
    assert ["apps", "Deployment", kube_namespace, "guestbook-ui", "No"] in [r.split() for r in res]

    git = list(yaml.safe_load_all(kedge_cli("app", "manifests", name).stdout))
    assert {d["kind"] for d in git} == {"Deployment", "Service"}
    live = list(yaml.safe_load_all(kedge_cli("app", "manifests", name, "--source", "live").stdout))
    assert {d["metadata"].get("uid") is not None for d in live} == {True}

    assert "refreshed: Synced" in kedge_cli("app", "refresh", name, "--hard").stdout
    wait = kedge_cli("app", "wait", name, "--sync", "--health", "--timeout", "60")
    assert "Health Status:      Healthy" in wait.stdout

    acts = kedge_cli(
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
    ).stdout.splitlines()
    assert acts[0].split() == ["GROUP", "KIND", "NAME", "ACTION", "DISABLED"]
    assert ["apps", "Deployment", "guestbook-ui", "restart", "false"] in [a.split() for a in acts]
    kedge_cli(
        "app",
        "actions",
        "run",
        name,
        "restart",
        "--kind",
        "Deployment",
        "--group",
        "apps",
        "--resource-name",
        "guestbook-ui",
    )
    deploy = next(
        d
        for d in yaml.safe_load_all(kedge_cli("app", "manifests", name, "--source", "live").stdout)
        if d["kind"] == "Deployment"
    )
    assert "kubectl.kubernetes.io/restartedAt" in deploy["spec"]["template"]["metadata"]["annotations"]
    out = kedge_cli(
        "app",
        "actions",
        "run",
        name,
        "no-such-action",
        "--kind",
        "Deployment",
        "--group",
        "apps",
        "--resource-name",
        "guestbook-ui",
        check=False,
    )
    assert out.returncode == 1 and "no-such-action" in out.stderr


def test_set_unset_patch_and_delete(kedge_cli, read, cli_controller, guestbook_repo, kube_namespace):
    name = unique("set")
    kedge_cli(
        *app_create(name, guestbook_repo.url, kube_namespace),
        "--sync-policy",
        "automated",
        "--auto-prune",
        "--self-heal",
        "--sync-option",
        "CreateNamespace=true",
        "--helm-set",
        "replicas=2",
        "-l",
        "team=a",
    )
    spec = read("Application", name)["spec"]
    assert spec["syncPolicy"] == {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": ["CreateNamespace=true"],
    }
    assert spec["source"]["helm"]["parameters"] == [{"name": "replicas", "value": "2"}]
    assert name in kedge_cli("app", "list", "-l", "team=a").stdout
    assert name not in kedge_cli("app", "list", "-l", "team=b").stdout

    kedge_cli("app", "set", name, "--revision", "main", "--sync-policy", "none", "--helm-set", "x=y")
    spec = read("Application", name)["spec"]
    assert spec["source"]["targetRevision"] == "main"
    assert "automated" not in spec["syncPolicy"]
    assert [p["name"] for p in spec["source"]["helm"]["parameters"]] == ["replicas", "x"]

    kedge_cli("app", "unset", name, "-p", "replicas", "-p", "x")
    assert "helm" not in read("Application", name)["spec"]["source"]

    kedge_cli(
        "app", "patch", name, "--patch", '[{"op": "replace", "path": "/spec/source/path", "value": "other"}]'
    )
    assert read("Application", name)["spec"]["source"]["path"] == "other"
    kedge_cli(
        "app", "patch", name, "--type", "merge", "--patch", '{"spec": {"source": {"path": "guestbook"}}}'
    )
    assert read("Application", name)["spec"]["source"]["path"] == "guestbook"

    # a second create with a different spec needs --upsert, the same spec is fine
    args = app_create(name, guestbook_repo.url, kube_namespace, path="elsewhere")
    out = kedge_cli(*args, check=False)
    assert out.returncode != 0 and "use upsert flag" in out.stderr
    kedge_cli(*args, "--upsert")
    assert read("Application", name)["spec"]["source"]["path"] == "elsewhere"

    kedge_cli("app", "delete", name, "-y", "--no-cascade", "--wait")
    out = kedge_cli("app", "get", name, check=False)
    assert out.returncode == 1 and out.stderr.startswith("Error: ") and "not found" in out.stderr


def test_create_from_file_and_bad_input(kedge_cli, read, tmp_path, guestbook_repo, kube_namespace):
    name = unique("file")
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name},
        "spec": {
            "project": "default",
            "source": {"repoURL": guestbook_repo.url, "path": "guestbook", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": kube_namespace},
        },
    }
    f = tmp_path / "app.yaml"
    f.write_text(yaml.safe_dump(doc))
    assert f"application '{name}' created" in kedge_cli("app", "create", "-f", str(f)).stdout
    assert read("Application", name)["spec"]["source"]["targetRevision"] == "HEAD"

    doc["spec"]["syncPolicy"] = {"retry": {"limit": "five"}}
    doc["metadata"]["name"] = unique("bad")
    f.write_text(yaml.safe_dump(doc))
    out = kedge_cli("app", "create", "-f", str(f), check=False)
    assert out.returncode != 0 and "spec.syncPolicy.retry.limit" in out.stderr
    assert kedge_cli("app", "get", doc["metadata"]["name"], check=False).returncode == 1

    # two documents, the second invalid: nothing is created
    good = {**doc, "metadata": {"name": unique("good")}, "spec": {**doc["spec"], "syncPolicy": {}}}
    f.write_text(yaml.safe_dump_all([good, doc]))
    out = kedge_cli("app", "create", "-f", str(f), check=False)
    assert out.returncode != 0 and "spec.syncPolicy.retry.limit" in out.stderr
    assert kedge_cli("app", "get", good["metadata"]["name"], check=False).returncode == 1

    f.write_text("kind: [unclosed")
    out = kedge_cli("app", "create", "-f", str(f), check=False)
    assert out.returncode == 1 and "not valid YAML" in out.stderr

    out = kedge_cli("app", "sync", name, "--resource", "Deployment", check=False)
    assert out.returncode == 1 and "GROUP:KIND:NAME" in out.stderr

    out = kedge_cli("app", "diff", "no-such-app", check=False)
    assert out.returncode == 2 and out.stderr.startswith("Error: ") and "not found" in out.stderr

    out = kedge_cli("app", "list", extra_env={"KUBECONFIG": str(tmp_path / "missing")}, check=False)
    assert out.returncode == 1 and "kubeconfig" in out.stderr

    out = kedge_cli("app", "list", extra_env={"KEDGE_NAMESPACE": "no-such-ns"})
    assert out.stdout.splitlines()[1:] == []


def test_diff_local_and_rollback(
    kedge_cli, read, cli_controller, cli_kube, guestbook_repo, kube_namespace, tmp_path
):
    name = unique("rb")
    kedge_cli(*app_create(name, guestbook_repo.url, kube_namespace))
    _reconciled(read, name)
    # selective sync by label: only the Service carries tier=frontend
    kedge_cli("app", "sync", name, "--label", "tier=frontend", "--timeout", "60")
    done = read("Application", name)["status"]["operationState"]["syncResult"]["resources"]
    assert [(r["kind"], r["name"]) for r in done] == [("Service", "guestbook-ui")]
    out = kedge_cli("app", "sync", name, "--label", "tier=none", check=False)
    assert out.returncode == 1 and "no resources of application" in out.stderr
    kedge_cli("app", "sync", name, "--timeout", "60")
    first = guestbook_repo.head()
    scaled = {**GUESTBOOK(), "spec": {**GUESTBOOK()["spec"], "replicas": 3}}
    second = guestbook_repo.commit({"guestbook/deploy.yaml": yaml.safe_dump(scaled)}, "scale")

    local = tmp_path / "local"
    local.mkdir()
    (local / "deploy.yaml").write_text(yaml.safe_dump({**scaled, "spec": {**scaled["spec"], "replicas": 5}}))
    out = kedge_cli("app", "diff", name, "--local", str(local), check=False)
    assert out.returncode == 1 and "+  replicas: 5" in out.stdout and "-  replicas: 1" in out.stdout

    kedge_cli("app", "sync", name, "--revision", second, "--timeout", "60")
    out = kedge_cli("app", "rollback", name, "0", "--timeout", "60")
    assert "Phase:              Succeeded" in out.stdout
    a = read("Application", name)
    assert a["status"]["operationState"]["syncResult"]["revision"] == first
    assert a["status"]["history"][-1]["revision"] == first
    assert a["status"]["history"][-2]["revision"] == second

    out = kedge_cli("app", "rollback", name, "42", check=False)
    assert out.returncode == 1 and "does not have deployment with id 42" in out.stderr
    out = kedge_cli("app", "terminate-op", name, check=False)
    assert out.returncode == 1 and "No operation is in progress" in out.stderr

    # cascade delete (the default): the finalizer removes the app's resources, then the app
    kedge_cli("app", "delete", name, "-y", "--wait")
    deployments = cli_kube.resource_for("apps/v1", "Deployment")
    wait_for(lambda: cli_kube.get(deployments, kube_namespace, "guestbook-ui") is None)


def GUESTBOOK():
    from conftest import GUESTBOOK_DEPLOYMENT

    return json.loads(json.dumps(GUESTBOOK_DEPLOYMENT))


def test_sync_window_blocks_and_is_shown(kedge_cli, guestbook_repo, kube_namespace):
    proj = unique("win")
    kedge_cli("proj", "create", proj, "-s", "*", "-d", "*,*")
    kedge_cli(
        "proj",
        "windows",
        "add",
        proj,
        "-k",
        "deny",
        "--schedule",
        "* * * * *",
        "--duration",
        "1h",
        "--applications",
        "*",
    )
    name = unique("w")
    kedge_cli(*app_create(name, guestbook_repo.url, kube_namespace, "--project", proj))
    assert "SyncWindow:         Sync Denied" in kedge_cli("app", "get", name).stdout
    assert "Active" in kedge_cli("proj", "windows", "list", proj).stdout
    out = kedge_cli("app", "sync", name, check=False)
    assert out.returncode == 1 and "blocked by sync window" in out.stderr
    kedge_cli("proj", "windows", "delete", proj, "0")
    assert "SyncWindow:         Sync Allowed" in kedge_cli("app", "get", name).stdout
    kedge_cli("app", "delete", name, "-y", "--no-cascade")
