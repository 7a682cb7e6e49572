"""Settings from a config directory: objects, references, defaults, credentials, hot reload, CLI."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from kedge.settings import DirectoryWatcher, Settings, SettingsError, SettingsManager, load_dir


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def write(dir: Path, name: str, text: str) -> Path:
    p = dir / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text))
    return p


ARGOCD = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
data:
  url: https://argocd.example.com
  timeout.reconciliation: 3m
  timeout.hard.reconciliation: 1h
  application.instanceLabelKey: mycompany.com/appname
  application.resourceTrackingMethod: annotation+label
  installationID: prod-eu
  statusbadge.enabled: "true"
  users.anonymous.enabled: "false"
  admin.enabled: "false"
  accounts.alice: apiKey, login
  accounts.bob: login
  accounts.bob.enabled: "false"
  helm.valuesFileSchemes: https, s3
  oidc.config: |
    name: Okta
    issuer: https://dev-123456.oktapreview.com
    clientID: aaaabbbbccccddddeee
    clientSecret: $oidc.okta.clientSecret
    extra:
      fromOther: $sso-creds:token
  resource.exclusions: |
    - apiGroups: [repositories.stash.appscode.com]
      kinds: [Snapshot]
      clusters: ["*.local"]
  resource.compareoptions: |
    ignoreAggregatedRoles: true
  resource.customizations: |
    apps/Deployment:
      health.lua: |
        return {status = "Healthy"}
    example.com/*:
      health.lua: |
        return {status = "Progressing"}
      ignoreDifferences: |
        jsonPointers: [/spec/x]
  resource.customizations.health.cert-manager.io_Certificate: |
    return {status = "Degraded"}
  resource.customizations.useOpenLibs.cert-manager.io_Certificate: "true"
  resource.customizations.ignoreDifferences.admissionregistration.k8s.io_MutatingWebhookConfiguration: |
    jsonPointers:
    - /webhooks/0/clientConfig/caBundle
  resource.customizations.actions.apps_Deployment: |
    discovery.lua: return {}
  my.unknown.key: "kept"
---
apiVersion: v1
kind: Secret
metadata:
  name: argocd-secret
type: Opaque
data:
  admin.password: {admin}
  server.secretkey: {key}
stringData:
  oidc.okta.clientSecret: okta-secret
  accounts.alice.password: alice-hash
---
apiVersion: v1
kind: Secret
metadata:
  name: sso-creds
  labels:
    app.kubernetes.io/part-of: argocd
stringData:
  token: from-sso-creds
""".replace("{admin}", b64("$2a$10$hash")).replace("{key}", b64("signing-key"))

RBAC_AND_PARAMS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-rbac-cm}
data:
  policy.default: role:readonly
  policy.csv: |
    p, role:org-admin, applications, *, */*, allow
    g, my-org:team-alpha, role:org-admin
  policy.overlay-b.csv: |
    g, my-org:team-b, role:admin
  policy.overlay-a.csv: |
    g, my-org:team-a, role:admin
  scopes: '[groups, email]'
---
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cmd-params-cm}
data:
  controller.status.processors: "50"
  redis.server: 127.0.0.1:6380
"""

REPOS = (
    """
apiVersion: v1
kind: Secret
metadata:
  name: private-repo
  labels: {argocd.argoproj.io/secret-type: repository}
stringData:
  type: git
  url: https://github.com/argoproj/private-repo
  project: team-a
---
apiVersion: v1
kind: Secret
metadata:
  name: own-creds-repo
  labels: {argocd.argoproj.io/secret-type: repository}
stringData:
  url: https://github.com/argoproj/own.git
  username: own-user
  password: own-pass
---
apiVersion: v1
kind: Secret
metadata:
  name: org-creds
  labels: {argocd.argoproj.io/secret-type: repo-creds}
stringData:
  url: https://github.com/argoproj
  username: org-user
  password: org-pass
---
apiVersion: v1
kind: Secret
metadata:
  name: all-github-creds
  labels: {argocd.argoproj.io/secret-type: repo-creds}
stringData:
  url: https://github.com
  username: gh-user
  password: gh-pass
---
apiVersion: v1
kind: Secret
metadata:
  name: helm-repo
  labels: {argocd.argoproj.io/secret-type: repository}
data:
  type: {helm}
  url: {url}
  name: {name}
---
apiVersion: v1
kind: Secret
metadata:
  name: prod-cluster
  labels: {argocd.argoproj.io/secret-type: cluster}
stringData:
  name: prod
  server: https://prod.example.com:6443
  namespaces: a, b
  config: '{"bearerToken": "tok", "tlsClientConfig": {"insecure": false, "caData": "Q0E="}}'
""".replace("{helm}", b64("helm"))
    .replace("{url}", b64("https://charts.example.com"))
    .replace("{name}", b64("charts"))
)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    write(tmp_path, "argocd.yaml", ARGOCD)
    write(tmp_path, "rbac/params.yml", RBAC_AND_PARAMS)
    write(tmp_path, "repos.yaml", REPOS)
    return tmp_path


def test_directory_of_multi_document_files_loads(config_dir: Path):
    s = load_dir(config_dir)
    assert s.errors == []
    assert {o.name for o in s.objects} >= {"argocd-cm", "argocd-secret", "argocd-rbac-cm", "private-repo"}
    assert s.warnings == ['argocd-cm: unknown key "my.unknown.key" (kept, not used by Kedge)']
    assert s.get("my.unknown.key") == "kept"


def test_typed_accessors(config_dir: Path):
    s = load_dir(config_dir)
    assert s.url == "https://argocd.example.com"
    assert s.reconciliation_timeout == 180.0
    assert s.reconciliation_jitter == 60.0
    assert s.hard_reconciliation_timeout == 3600.0
    assert s.instance_label_key == "mycompany.com/appname"
    assert s.resource_tracking_method == "annotation+label"
    assert s.installation_id == "prod-eu"
    assert s.statusbadge_enabled is True
    assert s.users_anonymous_enabled is False
    assert s.admin_enabled is False
    assert s.helm_values_file_schemes == ["https", "s3"]
    assert s.server_secret_key == "signing-key"
    assert s.resource_exclusions == [
        {"apiGroups": ["repositories.stash.appscode.com"], "kinds": ["Snapshot"], "clusters": ["*.local"]}
    ]
    assert s.resource_compare_options["ignoreAggregatedRoles"] is True
    assert s.resource_compare_options["ignoreResourceStatusField"] == "all"
    assert s.controller_status_processors == 50
    assert s.controller_operation_processors == 10
    assert s.reposerver_parallelism_limit == 0
    assert s.redis_server == "127.0.0.1:6380"


def test_defaults_match_argo_cd():
    s = Settings.from_objects([])
    assert s.reconciliation_timeout == 120.0
    assert s.reconciliation_jitter == 60.0
    assert s.hard_reconciliation_timeout == 0.0
    assert s.resource_tracking_method == "annotation"
    assert s.instance_label_key == "app.kubernetes.io/instance"
    assert s.installation_id is None
    assert s.admin_enabled is True
    assert s.users_anonymous_enabled is False
    assert s.statusbadge_enabled is False
    assert s.helm_values_file_schemes == ["http", "https"]
    assert s.controller_status_processors == 20
    assert s.controller_operation_processors == 10
    assert s.redis_server is None
    assert s.rbac().scopes == ["groups"]
    assert s.rbac().match_mode == "glob"
    assert list(s.accounts()) == ["admin"]


def test_secret_references_are_resolved(config_dir: Path):
    s = load_dir(config_dir)
    oidc = s.oidc_config()
    assert oidc["clientSecret"] == "okta-secret"
    assert oidc["extra"]["fromOther"] == "from-sso-creds"
    assert s.resolve("$server.secretkey") == "signing-key"
    assert s.resolve("plain") == "plain"


def test_unresolvable_references_stay_and_warn():
    s = Settings.from_objects(
        [
            {
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cm"},
                "data": {"oidc.config": "clientSecret: $missing\nother: $unlabelled:key\n"},
            },
            {"kind": "Secret", "metadata": {"name": "unlabelled"}, "stringData": {"key": "v"}},
        ]
    )
    assert s.oidc_config() == {"clientSecret": "$missing", "other": "$unlabelled:key"}
    assert "reference '$missing': key 'missing' not found in Secret 'argocd-secret'" in s.warnings
    assert (
        "reference '$unlabelled:key': Secret 'unlabelled' lacks label app.kubernetes.io/part-of: argocd"
        in s.warnings
    )


def test_accounts(config_dir: Path):
    accounts = load_dir(config_dir).accounts()
    assert accounts["alice"].capabilities == ("apiKey", "login")
    assert accounts["alice"].password_hash == "alice-hash"
    assert accounts["bob"].enabled is False
    assert accounts["admin"].enabled is False
    assert accounts["admin"].password_hash == "$2a$10$hash"


def test_resource_overrides_merge_old_map_and_split_keys(config_dir: Path):
    s = load_dir(config_dir)
    overrides = s.resource_overrides()
    assert overrides["apps/Deployment"].health_lua.strip() == 'return {status = "Healthy"}'
    assert overrides["apps/Deployment"].actions.strip() == "discovery.lua: return {}"
    cert = overrides["cert-manager.io/Certificate"]
    assert cert.health_lua.strip() == 'return {status = "Degraded"}' and cert.use_open_libs is True
    assert overrides["admissionregistration.k8s.io/MutatingWebhookConfiguration"].ignore_differences == {
        "jsonPointers": ["/webhooks/0/clientConfig/caBundle"]
    }
    glob = s.resource_override("example.com", "Widget")
    assert glob is not None and glob.key == "example.com/*"
    assert glob.ignore_differences == {"jsonPointers": ["/spec/x"]}
    assert s.resource_override("other.io", "Widget") is None


def test_rbac_overlays_are_appended_in_key_order(config_dir: Path):
    r = load_dir(config_dir).rbac()
    assert r.policy_csv.splitlines() == [
        "p, role:org-admin, applications, *, */*, allow",
        "g, my-org:team-alpha, role:org-admin",
        "g, my-org:team-a, role:admin",
        "g, my-org:team-b, role:admin",
    ]
    assert r.default_policy == "role:readonly"
    assert r.scopes == ["groups", "email"]


def test_repository_credentials_lookup(config_dir: Path):
    s = load_dir(config_dir)
    # exact repository secret without credentials: credentials come from the longest matching template
    repo = s.credentials_for("https://github.com/argoproj/private-repo.git")
    assert repo.secret == "private-repo" and repo.project == "team-a"
    assert (repo.username, repo.password, repo.creds_secret) == ("org-user", "org-pass", "org-creds")
    # a repository secret with its own credentials keeps them
    own = s.credentials_for("https://github.com/argoproj/own")
    assert (own.username, own.password) == ("own-user", "own-pass")
    # no repository secret: the longest matching repo-creds prefix wins
    other = s.credentials_for("https://github.com/other-org/x.git")
    assert (other.username, other.creds_secret, other.url) == (
        "gh-user",
        "all-github-creds",
        "https://github.com/other-org/x.git",
    )
    assert s.credentials_for("https://gitlab.com/x/y.git") is None
    helm = s.credentials_for("https://charts.example.com/")
    assert (helm.type, helm.name) == ("helm", "charts")


def test_clusters(config_dir: Path):
    (prod,) = load_dir(config_dir).clusters()
    assert prod.name == "prod" and prod.server == "https://prod.example.com:6443"
    assert prod.namespaces == ["a", "b"]
    assert prod.config["bearerToken"] == "tok"


@pytest.mark.parametrize(
    "doc,expected",
    [
        (
            {"kind": "ConfigMap", "metadata": {"name": "argocd-cm"}, "data": {"statusbadge.enabled": True}},
            'cm.yaml: ConfigMap argocd-cm: data["statusbadge.enabled"]: expected string, got true (quote the value)',
        ),
        (
            {
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cm"},
                "data": {"timeout.reconciliation": "2 minutes"},
            },
            'timeout.reconciliation: expected a duration such as "120s" or "3m", got "2 minutes"',
        ),
        (
            {
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cm"},
                "data": {"users.anonymous.enabled": "yes"},
            },
            'users.anonymous.enabled: expected "true" or "false", got "yes"',
        ),
        (
            {
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cm"},
                "data": {"application.resourceTrackingMethod": "labels"},
            },
            'application.resourceTrackingMethod: expected one of annotation, label, annotation+label, got "labels"',
        ),
        (
            {
                "kind": "Secret",
                "metadata": {"name": "argocd-secret"},
                "data": {"server.secretkey": "not base64!"},
            },
            'cm.yaml: Secret argocd-secret: data["server.secretkey"]: expected base64 (use stringData for plain text)',
        ),
        (
            {
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cmd-params-cm"},
                "data": {"controller.status.processors": "many"},
            },
            'controller.status.processors: expected integer, got "many"',
        ),
        (
            {
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-rbac-cm"},
                "data": {"policy.matchMode": "fuzzy"},
            },
            'policy.matchMode: expected "glob" or "regex", got "fuzzy"',
        ),
        (
            {
                "kind": "Secret",
                "metadata": {"name": "r", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
                "stringData": {"type": "svn", "url": "x"},
            },
            'cm.yaml: Secret r: data["type"]: expected one of git, helm, oci, got "svn"',
        ),
        (
            {
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cm"},
                "data": {"oidc.config": "name: [unclosed"},
            },
            "oidc.config: invalid YAML: line 2, column 1: did not find expected ',' or ']'",
        ),
    ],
)
def test_invalid_settings_are_reported(doc, expected):
    s = Settings.from_objects([doc], source="cm.yaml")
    assert [m for _, m in s.errors] == [expected]
    with pytest.raises(SettingsError):
        s.raise_for_errors()


def test_manager_notifies_subscribers_and_keeps_old_settings_on_error(tmp_path: Path):
    write(
        tmp_path,
        "cm.yaml",
        "kind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: {timeout.reconciliation: 10s}\n",
    )
    manager = SettingsManager()
    seen: list[tuple[float, float]] = []
    unsubscribe = manager.subscribe(
        lambda old, new: seen.append((old.reconciliation_timeout, new.reconciliation_timeout))
    )
    manager.load_dir(tmp_path)
    assert seen == [(120.0, 10.0)]
    write(
        tmp_path,
        "cm.yaml",
        "kind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: {timeout.reconciliation: soon}\n",
    )
    with pytest.raises(SettingsError) as err:
        manager.load_dir(tmp_path)
    assert (
        'timeout.reconciliation: expected a duration such as "120s" or "3m", got "soon"' in err.value.problems
    )
    assert manager.current.reconciliation_timeout == 10.0
    assert manager.last_error is err.value
    unsubscribe()
    write(
        tmp_path,
        "cm.yaml",
        "kind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: {timeout.reconciliation: 20s}\n",
    )
    manager.load_dir(tmp_path)
    assert manager.current.reconciliation_timeout == 20.0
    assert len(seen) == 1


def test_manager_accepts_cluster_style_object_lists():
    manager = SettingsManager()
    manager.update(
        [{"kind": "ConfigMap", "metadata": {"name": "argocd-cm"}, "data": {"installationID": "x"}}]
    )
    assert manager.current.installation_id == "x"


def test_directory_watcher_reloads_on_change_and_survives_bad_content(tmp_path: Path):
    path = write(
        tmp_path, "cm.yaml", "kind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: {installationID: one}\n"
    )
    manager = SettingsManager()
    changed = threading.Event()
    manager.subscribe(lambda old, new: changed.set())
    watcher = DirectoryWatcher(manager, tmp_path, interval=0.05)
    watcher.start()
    try:
        assert changed.wait(5)
        assert manager.current.installation_id == "one"
        changed.clear()
        path.write_text("kind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: [not, a, map]\n")
        deadline = time.monotonic() + 5
        while manager.last_error is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert manager.last_error is not None
        assert manager.current.installation_id == "one"
        path.write_text("kind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: {installationID: two-longer}\n")
        assert changed.wait(5)
        assert manager.current.installation_id == "two-longer"
    finally:
        watcher.stop()
    assert DirectoryWatcher(manager, tmp_path, interval=0).interval == DirectoryWatcher.MIN_INTERVAL
    assert DirectoryWatcher(manager, tmp_path, interval=3600).interval == DirectoryWatcher.MAX_INTERVAL


def test_invalid_yaml_file_is_reported_with_its_name(tmp_path: Path):
    write(tmp_path, "broken.yaml", "kind: ConfigMap\nmetadata: {name: argocd-cm\n")
    s = load_dir(tmp_path)
    assert len(s.errors) == 1 and s.errors[0][1].startswith("broken.yaml: invalid YAML: line 3")


def kedge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kedge", *args], capture_output=True, text=True, timeout=60)


def test_cli_validate_prints_groups(config_dir: Path):
    out = kedge("admin", "settings", "validate", "--config-dir", str(config_dir))
    assert out.returncode == 0, out.stderr
    assert "✅ general\nOIDC is configured\nURL: https://argocd.example.com" in out.stdout
    assert "✅ accounts\n3 accounts (alice enabled)" in out.stdout
    assert "✅ repositories\n3 repositories\n2 repository credentials" in out.stdout
    assert "✅ resource-overrides\n4 resource overrides" in out.stdout
    assert 'Warning: argocd-cm: unknown key "my.unknown.key"' in out.stderr


def test_cli_validate_fails_on_invalid_group(config_dir: Path):
    write(
        config_dir,
        "zz-bad.yaml",
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: argocd-rbac-cm}
        data: {policy.matchMode: fuzzy}
    """,
    )
    out = kedge("admin", "settings", "validate", "--config-dir", str(config_dir), "-o", "json")
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert data["valid"] is False
    by_group = {g["group"]: g for g in data["groups"]}
    assert by_group["rbac"]["errors"] == ['policy.matchMode: expected "glob" or "regex", got "fuzzy"']
    assert by_group["general"]["valid"] is True
    table = kedge("admin", "settings", "validate", "--config-dir", str(config_dir), "--group", "rbac")
    assert table.returncode == 1
    assert table.stdout.strip() == '❌ rbac\npolicy.matchMode: expected "glob" or "regex", got "fuzzy"'


def test_cli_validate_missing_dir_is_a_clean_error(tmp_path: Path):
    out = kedge("admin", "settings", "validate", "--config-dir", str(tmp_path / "nope"))
    assert out.returncode == 2
    assert out.stderr.strip() == f"Error: {tmp_path / 'nope'}: no such file or directory"
    assert "Traceback" not in out.stderr


def test_accessors_are_cached_and_silent_after_construction():
    s = Settings.from_objects(
        [{"kind": "ConfigMap", "metadata": {"name": "argocd-cm"},
          "data": {"timeout.reconciliation": "later", "resource.customizations": "a/B: {health.lua: x}"}}]
    )  # fmt: skip
    assert len(s.errors) == 1
    for _ in range(3):
        assert s.reconciliation_timeout == 120.0
    assert len(s.errors) == 1
    assert s.resource_overrides() is s.resource_overrides()
    assert s.resource_override("a", "B") is s.resource_override("a", "B")


def test_settings_package_stays_light():
    code = "import sys, kedge.settings; print(sorted(m for m in ('pydantic', 'kubernetes', 'lupa') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "[]", out.stderr


def test_legacy_argocd_cm_repositories_resolve_secret_refs():
    s = Settings.from_objects(
        [
            {"kind": "ConfigMap", "metadata": {"name": "argocd-cm"}, "data": {
                "repositories": "- url: https://github.com/org/legacy\n  insecure: true\n"
                                "  usernameSecret: {name: legacy-secret, key: user}\n"
                                "  passwordSecret: {name: legacy-secret, key: pass}\n"
                                "- url: https://github.com/org/broken\n"
                                "  passwordSecret: {name: legacy-secret, key: nope}\n",
                "repository.credentials": "- url: https://gitlab.com\n  usernameSecret: {name: legacy-secret, key: user}\n",
            }},
            {"kind": "Secret", "metadata": {"name": "legacy-secret"}, "stringData": {"user": "u", "pass": "p"}},
        ]
    )  # fmt: skip
    assert s.errors == [
        ("repositories", "repositories[1].passwordSecret: key 'nope' not found in Secret 'legacy-secret'"),
    ]
    repo = s.credentials_for("https://github.com/org/legacy.git")
    assert (repo.username, repo.password, repo.insecure) == ("u", "p", True)
    assert s.credentials_for("https://gitlab.com/x/y").username == "u"
    assert (
        "argocd-cm: repositories is deprecated; use Secrets labelled argocd.argoproj.io/secret-type"
        in s.warnings
    )


def test_find_cluster_includes_implicit_in_cluster(config_dir: Path):
    s = load_dir(config_dir)
    assert s.find_cluster(name="prod").server == "https://prod.example.com:6443"
    assert s.find_cluster(server="https://prod.example.com:6443/").name == "prod"
    assert s.find_cluster(name="in-cluster").server == "https://kubernetes.default.svc"
    assert s.find_cluster(server="https://kubernetes.default.svc").name == "in-cluster"
    assert s.find_cluster(name="nope") is None
    off = Settings.from_objects(
        [
            {
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cm"},
                "data": {"cluster.inClusterEnabled": "false"},
            }
        ]
    )
    assert off.find_cluster(name="in-cluster") is None
