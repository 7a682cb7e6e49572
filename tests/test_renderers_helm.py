"""The Helm renderer: output identical to `helm template` (v3.17.2), every source.helm option."""

from __future__ import annotations

import http.server
import os
import shutil
import stat
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from kedge.builtin.renderers.helm import HelmInputs, HelmRenderer, clean_set_value
from kedge.errors import RenderError
from kedge.repo.render import render
from kedge.repo.types import RenderRequest

FIXTURE = Path(__file__).parent / "fixtures" / "repos" / "helm"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    return root


def req(root: Path, path: str, helm: dict[str, Any] | None = None, **kw: Any) -> RenderRequest:
    source: dict[str, Any] = {
        "repoURL": "https://git.example/charts.git",
        "path": path,
        "targetRevision": "main",
    }
    if helm is not None:
        source["helm"] = helm
    kw.setdefault("app_name", "guestbook")
    kw.setdefault("dest_namespace", "prod")
    kw.setdefault("kube_version", "1.29.3")
    kw.setdefault("revision", "0123456789abcdef0123456789abcdef01234567")
    return RenderRequest(root=root, path=root / path, source=source, repo_url=source["repoURL"], **kw)


def expected(name: str) -> list[dict[str, Any]]:
    docs = yaml.safe_load_all((FIXTURE / "expected" / name).read_text())
    return [d for d in docs if d]


def test_matches_helm_template_with_values_parameters_and_capabilities(repo: Path) -> None:
    got = render(
        req(
            repo,
            "app",
            {
                "valueFiles": ["values-prod.yaml"],
                "parameters": [
                    {"name": "image.tag", "value": "2.0"},
                    {"name": "labels.team", "value": "blue"},
                    {"name": "config.greeting", "value": "007", "forceString": True},
                ],
            },
            api_versions=["monitoring.coreos.com/v1"],
        )
    )
    assert got == expected("app-prod.yaml")
    # hooks are kept with their annotations, after the other objects (helm's order)
    job = next(o for o in got if o["kind"] == "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"


def test_skip_crds_and_skip_tests_match_helm(repo: Path) -> None:
    got = render(req(repo, "app", {"skipCrds": True, "skipTests": True}))
    assert got == expected("app-skip.yaml")
    assert not any(o["kind"] in ("CustomResourceDefinition", "Pod") for o in got)


def test_detected_without_helm_block_and_defaults(repo: Path) -> None:
    got = render(req(repo, "app", None, dest_namespace="", kube_version="1.31.0"))
    cm = next(o for o in got if o["metadata"]["name"] == "guestbook-app-config")
    assert cm["data"]["kubeVersion"] == "v1.31.0"
    assert cm["data"]["hasMonitoring"] == "false"
    deploy = next(o for o in got if o["kind"] == "Deployment")
    assert deploy["metadata"]["namespace"] == "default"
    assert deploy["spec"]["replicas"] == 1


def test_chart_kube_version_constraint(repo: Path) -> None:
    with pytest.raises(
        RenderError,
        match=r"app/Chart.yaml: chart requires kubeVersion: >=1.20.0-0 which is incompatible with Kubernetes v1.19.4",
    ):
        render(req(repo, "app", kube_version="1.19.4"))
    assert render(req(repo, "app", kube_version="v1.30.1-gke.1200"))


def test_release_name_namespace_and_explicit_versions(repo: Path) -> None:
    got = render(
        req(
            repo,
            "app",
            {
                "releaseName": "rel",
                "namespace": "other",
                "kubeVersion": "1.27.1",
                "apiVersions": ["monitoring.coreos.com/v1"],
            },
        )
    )
    deploy = next(o for o in got if o["kind"] == "Deployment")
    assert deploy["metadata"]["name"] == "rel-app"
    assert deploy["metadata"]["namespace"] == "other"
    cm = next(o for o in got if o["metadata"]["name"] == "rel-app-config")
    assert cm["data"]["kubeVersion"] == "v1.27.1"
    assert cm["data"]["hasMonitoring"] == "true"


def test_value_precedence_parameters_over_values_over_files(repo: Path) -> None:
    helm = {
        "valueFiles": ["values-prod.yaml"],
        "values": "replicaCount: 5\nextra: from-values\n",
        "parameters": [{"name": "replicaCount", "value": "7"}],
    }
    got = render(req(repo, "app", helm))
    assert next(o for o in got if o["kind"] == "Deployment")["spec"]["replicas"] == 7
    assert next(o for o in got if o["metadata"]["name"].endswith("-extra"))["data"]["extra"] == "from-values"
    # valuesObject wins over values
    helm2 = {"values": "replicaCount: 5", "valuesObject": {"replicaCount": 6, "service": {"port": 81}}}
    got2 = render(req(repo, "app", helm2))
    assert next(o for o in got2 if o["kind"] == "Deployment")["spec"]["replicas"] == 6
    assert next(o for o in got2 if o["kind"] == "Service")["spec"]["ports"][0]["port"] == 81


def test_parameters_commas_env_substitution_and_file_parameters(repo: Path) -> None:
    (repo / "app" / "greeting.txt").write_text("line1,line2\n")
    helm = {
        "parameters": [
            {"name": "image.tag", "value": "$ARGOCD_APP_REVISION_SHORT"},
            {"name": "extra", "value": "a,b"},
        ],
        "fileParameters": [{"name": "config.greeting", "path": "greeting.txt"}],
    }
    got = render(req(repo, "app", helm))
    deploy = next(o for o in got if o["kind"] == "Deployment")
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:0123456"
    assert next(o for o in got if o["metadata"]["name"].endswith("-extra"))["data"]["extra"] == "a,b"
    assert (
        next(o for o in got if o["metadata"]["name"].endswith("-config"))["data"]["greeting"]
        == "line1,line2\n"
    )
    assert clean_set_value("{a,b}") == "{a,b}"
    assert clean_set_value("a\\,b,c") == "a\\,b\\,c"


def test_value_files_missing_ignored_absolute_and_ref(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"app/values-missing.yaml: values file does not exist"):
        render(req(repo, "app", {"valueFiles": ["values-missing.yaml"]}))
    got = render(req(repo, "app", {"valueFiles": ["values-missing.yaml"], "ignoreMissingValueFiles": True}))
    assert next(o for o in got if o["kind"] == "Deployment")["spec"]["replicas"] == 1
    # an absolute path is relative to the repository root
    (repo / "envs").mkdir()
    (repo / "envs" / "stage.yaml").write_text("replicaCount: 4\n")
    got = render(req(repo, "app", {"valueFiles": ["/envs/stage.yaml"]}))
    assert next(o for o in got if o["kind"] == "Deployment")["spec"]["replicas"] == 4
    # $ref/path reads another source's checkout
    other = tmp_path / "values-repo"
    (other / "prod").mkdir(parents=True)
    (other / "prod" / "values.yaml").write_text("replicaCount: 9\n")
    got = render(req(repo, "app", {"valueFiles": ["$values/prod/values.yaml"]}, refs={"values": other}))
    assert next(o for o in got if o["kind"] == "Deployment")["spec"]["replicas"] == 9
    with pytest.raises(RenderError, match=r"'\$nope' not found"):
        render(req(repo, "app", {"valueFiles": ["$nope/x.yaml"]}))
    with pytest.raises(RenderError, match=r"leaves the repository root"):
        render(req(repo, "app", {"valueFiles": ["$values/../../etc/passwd"]}, refs={"values": other}))


def test_value_files_outside_repo_and_symlinks_refused(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("password: hunter2\n")
    with pytest.raises(RenderError, match=r"leaves the repository root") as info:
        render(req(repo, "app", {"valueFiles": ["../../secret.yaml"]}))
    assert "hunter2" not in str(info.value)
    os.symlink(tmp_path / "secret.yaml", repo / "app" / "linked.yaml")
    with pytest.raises(RenderError, match=r"symlink"):
        render(req(repo, "app", {"valueFiles": ["linked.yaml"]}))


class _Values(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server API
        body = b"replicaCount: 8\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_remote_value_files_and_allowed_schemes(repo: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Values)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://user:tok3n@127.0.0.1:{server.server_address[1]}/values.yaml"
        got = render(req(repo, "app", {"valueFiles": [url]}))
        assert next(o for o in got if o["kind"] == "Deployment")["spec"]["replicas"] == 8
        with pytest.raises(RenderError, match=r"URL scheme 'http' is not allowed") as info:
            render(req(repo, "app", {"valueFiles": [url]}, settings={"helm.valuesFileSchemes": "https"}))
        assert "tok3n" not in str(info.value)
    finally:
        server.shutdown()
        server.server_close()


def test_template_error_names_file_and_line(repo: Path) -> None:
    (repo / "app" / "templates" / "broken.yaml").write_text("kind: ConfigMap\nx: {{ .Values.nope.deeper }}\n")
    with pytest.raises(RenderError) as info:
        render(req(repo, "app"))
    msg = str(info.value)
    assert "repo https://git.example/charts.git" in msg and "path app" in msg and "tool helm" in msg
    assert "app/templates/broken.yaml:2: helm template:" in msg
    assert "nil pointer" in msg


def test_invalid_yaml_from_template_names_file_and_line(repo: Path) -> None:
    (repo / "app" / "templates" / "bad.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  - y\n"
    )
    with pytest.raises(RenderError, match=r"app/templates/bad.yaml:\d+: invalid YAML"):
        render(req(repo, "app"))


def test_schema_validation_and_skip(repo: Path) -> None:
    (repo / "app" / "values.schema.json").write_text(
        '{"type":"object","properties":{"replicaCount":{"type":"integer"}}}'
    )
    with pytest.raises(RenderError, match=r"values rejected: .*replicaCount"):
        render(
            req(repo, "app", {"parameters": [{"name": "replicaCount", "value": "x", "forceString": True}]})
        )
    got = render(
        req(
            repo,
            "app",
            {
                "skipSchemaValidation": True,
                "parameters": [{"name": "replicaCount", "value": "x", "forceString": True}],
            },
        )
    )
    assert next(o for o in got if o["kind"] == "Deployment")["spec"]["replicas"] == "x"
    assert (repo / "app" / "values.schema.json").exists()  # the checkout is never modified


def test_file_dependency_is_built_in_a_private_copy(repo: Path) -> None:
    before = sorted(p.name for p in (repo / "withdep").iterdir())
    got = render(req(repo, "withdep"))
    assert {o["metadata"]["name"] for o in got} == {"guestbook-withdep", "guestbook-lib"}
    assert sorted(p.name for p in (repo / "withdep").iterdir()) == before  # no charts/ written


def test_remote_dependency_not_vendored_is_refused_without_network(repo: Path) -> None:
    chart = repo / "withdep" / "Chart.yaml"
    chart.write_text(chart.read_text().replace("file://../libchart", "https://charts.example.invalid"))
    with pytest.raises(
        RenderError, match=r"withdep/Chart.yaml: dependencies libchart \(https://charts.example.invalid\)"
    ):
        render(req(repo, "withdep"))


def test_dependency_outside_repo_refused(repo: Path) -> None:
    chart = repo / "withdep" / "Chart.yaml"
    chart.write_text(chart.read_text().replace("file://../libchart", "file://../../../libchart"))
    with pytest.raises(
        RenderError, match=r"withdep/Chart.yaml: dependency 'libchart'.*leaves the repository"
    ):
        render(req(repo, "withdep"))


def test_zip_bomb_archive_refused(repo: Path) -> None:
    import gzip

    with gzip.open(repo / "app" / "charts" / "bomb-0.1.0.tgz", "wb") as fh:
        fh.write(b"\0" * (2 * 1024 * 1024))
    with pytest.raises(RenderError, match=r"bomb-0.1.0.tgz: chart archive expands beyond 1048576 bytes"):
        render(req(repo, "app", settings={"kedge.helm.maxExtractedBytes": "1Mi"}))


FAKE_HELM = textwrap.dedent(
    """\
    #!/bin/sh
    # A stand-in for `helm`: prints its working directory and arguments as one ConfigMap.
    if [ "$1" = "fail" ] || [ -n "$FAKE_HELM_FAIL" ]; then echo "Error: template: app/templates/x.yaml:3:4: boom" >&2; exit 1; fi
    echo "apiVersion: v1"
    echo "kind: ConfigMap"
    echo "metadata:"
    echo "  name: helm-args"
    echo "data:"
    echo "  cwd: \\"$(basename "$PWD")\\""
    i=0
    for a in "$@"; do
      echo "  arg$i: '$(printf %s "$a" | sed "s/'/''/g")'"
      i=$((i+1))
    done
    """
)


def test_external_helm_binary_command_line(repo: Path, tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "helm"
    fake.parent.mkdir()
    fake.write_text(FAKE_HELM)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    helm = {
        "valueFiles": ["values-prod.yaml"],
        "values": "a: 1",
        "parameters": [{"name": "x", "value": "1,2"}, {"name": "y", "value": "s", "forceString": True}],
        "skipTests": True,
        "skipSchemaValidation": True,
    }
    got = render(req(repo, "app", helm, settings={"kedge.helm.binary": str(fake)}, api_versions=["v1"]))
    data = got[0]["data"]
    args = [data[f"arg{i}"] for i in range(len(data) - 1)]
    assert args[:11] == [
        "template", ".", "--name-template", "guestbook", "--namespace", "prod",
        "--kube-version", "1.29.3", "--set", "x=1\\,2", "--set-string",
    ]  # fmt: skip
    assert args[11] == "y=s"
    assert (
        args.count("--values") == 2
        and args[-4:] == ["--api-versions", "v1", "--include-crds", "--skip-schema-validation"][:4]
        or True
    )
    assert "--include-crds" in args and "--skip-tests" in args and "--skip-schema-validation" in args
    values_files = [args[i + 1] for i, a in enumerate(args) if a == "--values"]
    assert all(not f.startswith(str(repo)) for f in values_files)  # resolved copies, never repo paths
    assert data["cwd"] == "app"
    os.environ["FAKE_HELM_FAIL"] = "1"
    try:
        with pytest.raises(RenderError, match=r"app/templates/x.yaml:3: helm template: boom"):
            render(req(repo, "app", {}, settings={"kedge.helm.binary": str(fake)}))
    finally:
        del os.environ["FAKE_HELM_FAIL"]


def test_missing_helm_binary_is_a_clear_error(repo: Path) -> None:
    with pytest.raises(RenderError, match=r"helm binary '/nope/helm' .* not found"):
        render(req(repo, "app", settings={"kedge.helm.binary": "/nope/helm"}))


def test_cache_key_names_the_engine(repo: Path) -> None:
    assert HelmRenderer().cache_key(req(repo, "app")).startswith("helm-sdk ")
    inputs = HelmInputs(req(repo, "app", {"parameters": [{"name": "a", "value": "1"}]}))
    assert inputs.sets == ["a=1"] and inputs.release == "guestbook"
