"""Helm: charts rendered like ``helm template``, in-process (``helm-python-sdk``) or with a binary.

``source.helm`` options, as in Argo CD: ``valueFiles`` (relative to the chart directory; an
absolute path is relative to the repository root; ``$<ref>/path`` reads from another source
of a multi-source Application; ``http(s)://`` only if ``helm.valuesFileSchemes`` allows the
scheme), ``ignoreMissingValueFiles``, ``values`` / ``valuesObject``, ``parameters``
(``--set``; ``forceString`` -> ``--set-string``), ``fileParameters`` (``--set-file``),
``releaseName`` (default: the Application's name), ``namespace`` (default: the destination
namespace), ``skipCrds``, ``skipSchemaValidation``, ``skipTests``, ``kubeVersion`` and
``apiVersions`` (default: the destination cluster's). Precedence:
``parameters > valuesObject/values > valueFiles > the chart's values.yaml``.

Build environment variables (``$ARGOCD_APP_NAME``...) are substituted in value file paths,
parameter values and file parameter paths, like Argo CD.

Output is ``helm template``'s: CRDs from ``crds/`` first (unless ``skipCrds``), then the
templates sorted by Helm's install order, then hooks, whose ``helm.sh/hook*`` annotations are
kept for the sync engine.

Chart dependencies already in ``charts/`` are used; missing ones declared with ``file://``
repositories are built (``helm dependency build``) in a private copy of the repository.

An external binary (``kedge.helm.binary`` in argocd-cm, or ``KEDGE_HELM_BINARY``) replaces the
in-process engine for users who need Helm 3 output byte for byte.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from kedge.errors import RenderError
from kedge.hookspecs import hookimpl
from kedge.repo.paths import (
    UnsafePathError,
    check_tree,
    copy_tree,
    relative_to_root,
    safe_join,
)
from kedge.repo.render import (
    DEFAULT_MAX_FILE_BYTES,
    KubeLoader,
    envsubst,
    exec_timeout,
    parse_yaml_stream,
    setting_bytes,
)
from kedge.repo.types import RenderRequest

HELM_BINARY_KEY = "kedge.helm.binary"
HELM_BINARY_ENV = "KEDGE_HELM_BINARY"
SCHEMES_KEY = "helm.valuesFileSchemes"
MAX_EXTRACTED_KEY = "kedge.helm.maxExtractedBytes"
DEFAULT_MAX_EXTRACTED = 1024 * 1024 * 1024
REMOTE_TIMEOUT = 10.0

#: Helm's install order by kind (objects of other kinds follow, by kind name).
INSTALL_ORDER = [
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
    "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding",
    "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
]  # fmt: skip
_ORDER = {kind: i for i, kind in enumerate(INSTALL_ORDER)}


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------
def merge_values(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's ``mergeMaps``: nested mappings merge, anything else is replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_values(out[key], value)
        else:
            out[key] = value
    return out


_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


def clean_set_value(value: str) -> str:
    """Escape commas so one Argo CD parameter stays one ``--set`` value (``{a,b}`` lists excepted)."""
    if value.startswith("{") and value.endswith("}"):
        return value
    return _UNESCAPED_COMMA.sub(r"\\,", value)


def allowed_schemes(settings: dict[str, str]) -> set[str]:
    raw = (settings or {}).get(SCHEMES_KEY)
    if raw is None or not raw.strip():
        return {"http", "https"}
    return {s.strip().lower() for s in raw.split(",") if s.strip()}


class _ValuesSource:
    """Where a values file lives: a local file (repo-relative label) or a fetched URL."""

    def __init__(self, label: str, path: Path | None = None, url: str = "") -> None:
        self.label = label
        self.path = path
        self.url = url


def resolve_value_file(request: RenderRequest, raw: str, field: str) -> _ValuesSource | None:
    """Resolve one ``valueFiles`` / ``fileParameters`` entry; ``None`` when missing and allowed."""
    if raw.startswith("$") and "/" in raw:
        ref, _, rest = raw[1:].partition("/")
        base = request.refs.get(ref)
        if base is not None:
            try:
                path = safe_join(base, rest)
            except UnsafePathError as exc:
                raise RenderError(f"{field}: {exc}") from None
            return _ValuesSource(f"${ref}/{relative_to_root(base, path)}", path=path)
        if ref not in request.env:
            raise RenderError(
                f"{field}: source referenced by '${ref}' not found (is there a source with ref: {ref}?)"
            )
    value = envsubst(raw, request.env)
    parsed = urllib.parse.urlparse(value)
    if parsed.scheme and len(parsed.scheme) > 1 and "://" in value:
        scheme = parsed.scheme.lower()
        if scheme not in allowed_schemes(request.settings):
            raise RenderError(f"{field}: the URL scheme '{scheme}' is not allowed ({SCHEMES_KEY})")
        return _ValuesSource(_redact_url(value), url=value)
    try:
        if value.startswith("/"):
            path = safe_join(request.root, value.lstrip("/"))  # absolute = relative to the repository root
        else:
            path = safe_join(request.root, relative_to_root(request.root, request.path), value)
    except UnsafePathError as exc:
        raise RenderError(f"{field}: values file {value!r} is outside the repository: {exc}") from None
    return _ValuesSource(relative_to_root(request.root, path), path=path)


def _redact_url(url: str) -> str:
    p = urllib.parse.urlsplit(url)
    if p.username or p.password:
        netloc = p.hostname or ""
        if p.port:
            netloc += f":{p.port}"
        return urllib.parse.urlunsplit((p.scheme, "***@" + netloc, p.path, "", ""))
    return urllib.parse.urlunsplit((p.scheme, p.netloc, p.path, "", ""))


def fetch_url(url: str, limit: int) -> bytes:
    """GET ``url`` (basic auth from its user info) with a timeout; loopback bypasses proxies."""
    import base64

    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    clean = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    headers = {"User-Agent": "kedge-repo-server"}
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    handlers: list[Any] = []
    if parts.hostname in ("127.0.0.1", "localhost", "::1"):
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    with opener.open(urllib.request.Request(clean, headers=headers), timeout=REMOTE_TIMEOUT) as resp:
        return resp.read(limit)


def _read_source(src: _ValuesSource, request: RenderRequest, optional: bool) -> str | None:
    limit = setting_bytes(request.settings, "kedge.render.maxFileBytes", DEFAULT_MAX_FILE_BYTES)
    if src.url:
        try:
            data = fetch_url(src.url, limit + 1)
        except Exception as exc:  # noqa: BLE001 - any network failure is a render error
            reason = getattr(exc, "reason", None) or exc
            raise RenderError(f"{src.label}: cannot fetch values file: {reason}") from None
        if len(data) > limit:
            raise RenderError(f"{src.label}: values file over the {limit}-byte limit")
        return data.decode("utf-8", "replace")
    assert src.path is not None
    if not src.path.is_file():
        if optional:
            return None
        raise RenderError(f"{src.label}: values file does not exist")
    size = src.path.stat().st_size
    if size > limit:
        raise RenderError(f"{src.label}: file is {size} bytes, over the {limit}-byte limit")
    return src.path.read_text(encoding="utf-8-sig")


def _parse_values(text: str, label: str) -> dict[str, Any]:
    docs = parse_yaml_stream(text, label)
    if not docs:
        return {}
    value = docs[0][0]
    if not isinstance(value, dict):
        raise RenderError(f"{label}:{docs[0][1]}: values must be a mapping, got {type(value).__name__}")
    return value


class HelmInputs:
    """Everything ``helm template`` needs, resolved from the request (shared by SDK and binary)."""

    def __init__(self, request: RenderRequest) -> None:
        opts = request.source.get("helm") or {}
        self.opts = opts
        self.release = str(opts.get("releaseName") or request.app_name or "release")
        self.namespace = str(opts.get("namespace") or request.dest_namespace or "default")
        self.kube_version = str(opts.get("kubeVersion") or request.kube_version or "").replace("+", "")
        self.api_versions = [str(v) for v in (opts.get("apiVersions") or request.api_versions or [])]
        self.skip_crds = bool(opts.get("skipCrds"))
        self.skip_tests = bool(opts.get("skipTests"))
        self.skip_schema = bool(opts.get("skipSchemaValidation"))
        ignore_missing = bool(opts.get("ignoreMissingValueFiles"))
        # value files, in order
        self.value_texts: list[tuple[str, str]] = []  # (label, yaml text)
        for i, raw in enumerate(opts.get("valueFiles") or []):
            field = f"spec.source.helm.valueFiles[{i}]"
            src = resolve_value_file(request, str(raw), field)
            if src is None:
                continue
            text = _read_source(src, request, optional=ignore_missing)
            if text is not None:
                self.value_texts.append((src.label, text))
        # inline values: valuesObject wins over values
        self.inline: dict[str, Any] | None = None
        vo = opts.get("valuesObject")
        if vo is not None:
            if not isinstance(vo, dict):
                raise RenderError("spec.source.helm.valuesObject must be a mapping")
            self.inline = vo
        elif opts.get("values"):
            self.inline = _parse_values(str(opts["values"]), "spec.source.helm.values")
        # parameters: --set first, then --set-string (Argo CD's order)
        self.sets: list[str] = []
        self.set_strings: list[str] = []
        for i, p in enumerate(opts.get("parameters") or []):
            name = str(p.get("name") or "").strip()
            if not name:
                raise RenderError(f"spec.source.helm.parameters[{i}]: name is required")
            value = envsubst(str(p.get("value") if p.get("value") is not None else ""), request.env)
            expr = f"{name}={clean_set_value(value)}"
            (self.set_strings if p.get("forceString") else self.sets).append(expr)
        self.set_files: list[tuple[str, str, str]] = []  # (name, label, content)
        for i, p in enumerate(opts.get("fileParameters") or []):
            name = str(p.get("name") or "").strip()
            field = f"spec.source.helm.fileParameters[{i}]"
            if not name:
                raise RenderError(f"{field}: name is required")
            src = resolve_value_file(request, str(p.get("path") or ""), field)
            assert src is not None
            content = _read_source(src, request, optional=False)
            self.set_files.append((name, src.label, content or ""))

    def values(self) -> dict[str, Any]:
        """The user-supplied values merged in Helm's order (the chart's defaults excluded)."""
        import helm_python

        merged: dict[str, Any] = {}
        for label, text in self.value_texts:
            merged = merge_values(merged, _parse_values(text, label))
        if self.inline:
            merged = merge_values(merged, self.inline)
        for expr in self.sets:
            merged = merge_values(merged, _parse_set(helm_python.parse_set_string, expr))
        for expr in self.set_strings:
            merged = merge_values(merged, _parse_set(helm_python.parse_set_string_values, expr))
        for name, _label, content in self.set_files:
            merged = merge_values(merged, _parse_set(helm_python.parse_set_literal, f"{name}={content}"))
        return merged


def _parse_set(fn: Any, expr: str) -> dict[str, Any]:
    from helm_python import HelmError

    try:
        return fn(expr)
    except HelmError as exc:
        name = expr.split("=", 1)[0]
        raise RenderError(f"helm parameter {name!r} failed to parse: {_first_line(str(exc))}") from None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


# --------------------------------------------------------------------------------------------
# chart preparation: containment, archives, dependencies
# --------------------------------------------------------------------------------------------
def check_archives(request: RenderRequest, chart_dir: Path) -> None:
    """Refuse chart archives (``charts/*.tgz``) that decompress beyond the limit (zip bombs)."""
    limit = setting_bytes(request.settings, MAX_EXTRACTED_KEY, DEFAULT_MAX_EXTRACTED)
    for archive in chart_dir.rglob("*.tgz"):
        total = 0
        try:
            with gzip.open(archive, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    total += len(chunk)
                    if total > limit:
                        raise RenderError(
                            f"{relative_to_root(request.root, archive)}: chart archive expands beyond "
                            f"{limit} bytes ({MAX_EXTRACTED_KEY})"
                        )
        except (OSError, EOFError) as exc:
            raise RenderError(
                f"{relative_to_root(request.root, archive)}: corrupt chart archive: {exc}"
            ) from None


def _declared_dependencies(chart_dir: Path) -> list[dict[str, Any]]:
    import yaml

    try:
        meta = yaml.load((chart_dir / "Chart.yaml").read_text(encoding="utf-8"), Loader=KubeLoader) or {}
    except Exception:  # noqa: BLE001 - the SDK reports a broken Chart.yaml with more detail
        return []
    deps = meta.get("dependencies") if isinstance(meta, dict) else None
    return [d for d in deps or [] if isinstance(d, dict)]


def _chart_name(chart_dir: Path) -> str:
    import yaml

    try:
        meta = yaml.load((chart_dir / "Chart.yaml").read_text(encoding="utf-8"), Loader=KubeLoader) or {}
        return str(meta.get("name") or chart_dir.name)
    except Exception:  # noqa: BLE001
        return chart_dir.name


class _LazyTempDir:
    """A temporary directory created on first use (most renders need none)."""

    def __init__(self) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def path(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="kedge-helm-")
        return Path(self._tmp.name)

    def __enter__(self) -> _LazyTempDir:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def prepare_chart(request: RenderRequest, inputs: HelmInputs, workdir: _LazyTempDir) -> Path:
    """The directory to load: the checkout itself, or a private copy when it must be changed."""
    import helm_python

    root = request.root
    chart_dir = Path(request.path)
    rel = relative_to_root(root, chart_dir)
    if not (chart_dir / "Chart.yaml").is_file():
        raise RenderError(f"{rel}: Chart.yaml not found: not a Helm chart")
    check_tree(root, chart_dir)
    check_archives(request, chart_dir)
    deps = _declared_dependencies(chart_dir)
    missing: list[str] = []
    if deps:
        for dep in deps:
            repo = str(dep.get("repository") or "")
            if repo.startswith("file://"):
                try:
                    safe_join(root, rel, repo[len("file://") :])
                except UnsafePathError as exc:
                    raise RenderError(f"{rel}/Chart.yaml: dependency {dep.get('name')!r}: {exc}") from None
        try:
            status = helm_python.dependency_list(chart_dir)
        except helm_python.HelmError as exc:
            raise RenderError(f"{rel}/Chart.yaml: {_first_line(str(exc))}") from None
        missing = [d["name"] for d in status if d.get("status") not in ("ok", "unpacked")]
        remote = sorted(
            f"{d.get('name')} ({d.get('repository')})"
            for d in status
            if d.get("name") in missing and not str(d.get("repository") or "").startswith("file://")
        )
        if remote:
            # building would download from a chart repository with no timeout: refuse instead
            raise RenderError(
                f"{rel}/Chart.yaml: dependencies {', '.join(remote)} are not in charts/; only file:// "
                "dependencies are built by the renderer: vendor the charts (helm dependency build) and commit them"
            )
    if not missing and not inputs.skip_schema:
        return chart_dir
    # a private copy of the part of the repository holding the chart and its file:// dependencies
    # (dependency build writes charts/; schemas get removed)
    copy = workdir.path() / "repo"
    scope_paths = [os.path.abspath(chart_dir)]
    for dep in deps:
        repo = str(dep.get("repository") or "")
        if repo.startswith("file://"):
            scope_paths.append(os.path.abspath(safe_join(root, rel, repo[len("file://") :])))
    scope = os.path.relpath(os.path.commonpath(scope_paths), os.path.abspath(root))
    copy_tree(root, root if scope == "." else root / scope, copy if scope == "." else copy / scope)
    chart_copy = copy / rel if rel != "." else copy
    if missing:
        try:
            helm_python.dependency_build(chart_copy)
        except helm_python.HelmError as exc:
            raise RenderError(
                f"{rel}/Chart.yaml: dependencies {', '.join(sorted(missing))} are missing from charts/ and "
                f"could not be built: {_first_line(str(exc))}"
            ) from None
        check_archives(request, chart_copy)
    if inputs.skip_schema:
        for schema in chart_copy.rglob("values.schema.json"):
            schema.unlink()
    return chart_copy


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------
def _is_hook(obj: dict[str, Any]) -> bool:
    ann = (obj.get("metadata") or {}).get("annotations") or {}
    return isinstance(ann, dict) and "helm.sh/hook" in ann


def _is_test_hook(obj: dict[str, Any]) -> bool:
    ann = (obj.get("metadata") or {}).get("annotations") or {}
    events = [e.strip() for e in str(ann.get("helm.sh/hook", "")).split(",")]
    return any(e in ("test", "test-success") for e in events)


def _kind_key(item: tuple[dict[str, Any], str]) -> tuple[int, str]:
    kind = item[0].get("kind") if isinstance(item[0], dict) else ""
    kind = kind if isinstance(kind, str) else ""
    return (_ORDER.get(kind, len(INSTALL_ORDER)), "" if kind in _ORDER else kind)


def sort_rendered(
    files: dict[str, str], chart_name: str, chart_rel: str, *, skip_tests: bool
) -> list[tuple[dict[str, Any], str]]:
    """``helm template`` order for the SDK's ``{template path: text}``: manifests, then hooks."""
    generic: list[tuple[dict[str, Any], str]] = []
    hooks: list[tuple[dict[str, Any], str]] = []
    for path in sorted(files):
        base = path.rsplit("/", 1)[-1]
        if base.startswith("_") or path.endswith("NOTES.txt"):
            continue
        text = files[path]
        if not text.strip():
            continue
        label = _repo_label(path, chart_name, chart_rel)
        for doc, line in parse_yaml_stream(text, label):
            item = (doc, f"{label}:{line}")
            if isinstance(doc, dict) and _is_hook(doc):
                if skip_tests and _is_test_hook(doc):
                    continue
                hooks.append(item)
            else:
                generic.append(item)
    generic.sort(key=_kind_key)
    hooks.sort(key=_kind_key)
    return generic + hooks


def _repo_label(template_path: str, chart_name: str, chart_rel: str) -> str:
    """``mychart/templates/x.yaml`` -> ``<chart dir in repo>/templates/x.yaml`` (rendered output)."""
    head, _, rest = template_path.partition("/")
    if head == chart_name and rest:
        return f"{chart_rel}/{rest}" if chart_rel != "." else rest
    return template_path


_TEMPLATE_REF = re.compile(r"(?P<path>[\w.\-/]+\.(?:ya?ml|tpl|txt|json)):(?P<line>\d+)(?::\d+)?")


def helm_error_message(message: str, chart_name: str, chart_rel: str) -> str:
    """Helm's template error with repo-relative paths, led by ``file:line:``."""
    text = message.strip()
    prefix = f"{chart_name}/"
    repl = f"{chart_rel}/" if chart_rel != "." else ""
    text = re.sub(rf"(?<![\w./-]){re.escape(prefix)}", repl, text)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    flat = " ".join(lines)
    m = _TEMPLATE_REF.search(flat)
    if m:
        where = f"{m.group('path')}:{m.group('line')}"
        rest = flat.replace(m.group(0), "", 1)
        rest = re.sub(r"^\s*(?:error:\s*)?(?:template:\s*)?[:\s]*", "", rest, flags=re.IGNORECASE).strip()
        return f"{where}: helm template: {rest}" if rest else f"{where}: helm template failed"
    return f"helm template: {flat}"


def check_kube_version(metadata: dict[str, Any], kube_version: str, rel: str) -> None:
    """Helm's check of ``Chart.yaml``'s ``kubeVersion`` constraint against the target version."""
    from kedge.repo.semver_range import Constraint, parse_version

    wanted = str(metadata.get("kubeVersion") or "").strip()
    if not wanted or not kube_version:
        return
    version = parse_version(kube_version)
    try:
        constraint = Constraint(wanted)
    except ValueError:
        raise RenderError(f"{rel}/Chart.yaml: invalid kubeVersion constraint {wanted!r}") from None
    if version is not None and not constraint.check(version):
        shown = kube_version if kube_version.startswith("v") else f"v{kube_version}"
        raise RenderError(
            f"{rel}/Chart.yaml: chart requires kubeVersion: {wanted} which is incompatible with Kubernetes {shown}"
        )


# --------------------------------------------------------------------------------------------
# the renderer
# --------------------------------------------------------------------------------------------
def helm_binary(settings: dict[str, str]) -> str | None:
    """The configured external helm binary, if any (``kedge.helm.binary`` or ``KEDGE_HELM_BINARY``)."""
    value = (settings or {}).get(HELM_BINARY_KEY) or os.environ.get(HELM_BINARY_ENV) or ""
    value = value.strip()
    if not value:
        return None
    found = shutil.which(value)
    if not found:
        raise RenderError(
            f"helm binary {value!r} ({HELM_BINARY_KEY} / {HELM_BINARY_ENV}) not found or not executable"
        )
    return found


class HelmRenderer:
    name = "helm"

    def detect(self, path: Path) -> bool:
        return (Path(path) / "Chart.yaml").is_file()

    def cache_key(self, request: RenderRequest) -> str:
        binary = helm_binary(request.settings)
        if binary:
            return f"helm-binary {binary}"
        try:
            import helm_python

            return f"helm-sdk {helm_python.__version__}"
        except Exception:  # noqa: BLE001
            return "helm-sdk"

    def render(self, request: RenderRequest) -> list[Any]:
        inputs = HelmInputs(request)
        binary = helm_binary(request.settings)
        with _LazyTempDir() as workdir:
            chart_dir = prepare_chart(request, inputs, workdir)
            if binary:
                return self._render_binary(request, inputs, chart_dir, binary, workdir.path())
            return self._render_sdk(request, inputs, chart_dir)

    # -- in-process ---------------------------------------------------------------------------
    def _render_sdk(self, request: RenderRequest, inputs: HelmInputs, chart_dir: Path) -> list[Any]:
        import helm_python
        from helm_python import _native

        rel = relative_to_root(request.root, request.path)
        values = inputs.values()
        opts: dict[str, Any] = {
            "name": inputs.release,
            "namespace": inputs.namespace,
            "is_install": True,
            "is_upgrade": False,
        }
        if inputs.kube_version:
            opts["kube_version"] = (
                inputs.kube_version if inputs.kube_version.startswith("v") else f"v{inputs.kube_version}"
            )
        if inputs.api_versions:
            opts["api_versions"] = inputs.api_versions
        try:
            chart = helm_python.Chart.load(chart_dir)
        except helm_python.HelmError as exc:
            raise RenderError(f"{rel}: cannot load chart: {_first_line(str(exc))}") from None
        with chart:
            chart_name = chart.name
            check_kube_version(chart.metadata, inputs.kube_version, rel)
            try:
                raw = _native.call_string("helm_render", chart._raw(), json.dumps(values), json.dumps(opts))
            except helm_python.HelmValuesError as exc:
                raise RenderError(f"{rel}: values rejected: {' '.join(str(exc).split())}") from None
            except helm_python.HelmError as exc:
                raise RenderError(helm_error_message(str(exc), chart_name, rel)) from None
            files: dict[str, str] = json.loads(raw)
            out: list[Any] = []
            if not inputs.skip_crds:
                for crd in chart.crds:
                    label = _repo_label(crd.get("filename") or crd.get("name") or "crds", chart_name, rel)
                    out.extend(
                        (doc, f"{label}:{line}")
                        for doc, line in parse_yaml_stream(crd.get("data", ""), label)
                    )
        out.extend(sort_rendered(files, chart_name, rel, skip_tests=inputs.skip_tests))
        return out

    # -- external binary ----------------------------------------------------------------------
    def build_args(self, inputs: HelmInputs, values_files: list[str]) -> list[str]:
        """``helm template`` arguments, the way Argo CD builds them (chart is ``.``, cwd the chart)."""
        args = ["template", ".", "--name-template", inputs.release, "--namespace", inputs.namespace]
        if inputs.kube_version:
            args += ["--kube-version", inputs.kube_version]
        for expr in inputs.sets:
            args += ["--set", expr]
        for expr in inputs.set_strings:
            args += ["--set-string", expr]
        for f in values_files:
            args += ["--values", f]
        for v in inputs.api_versions:
            args += ["--api-versions", v]
        if not inputs.skip_crds:
            args.append("--include-crds")
        if inputs.skip_schema:
            args.append("--skip-schema-validation")
        if inputs.skip_tests:
            args.append("--skip-tests")
        return args

    def _render_binary(
        self, request: RenderRequest, inputs: HelmInputs, chart_dir: Path, binary: str, tmp: Path
    ) -> list[Any]:
        from kedge.builtin.renderers._exec import base_env, run

        rel = relative_to_root(request.root, request.path)
        values_files: list[str] = []
        extra: list[tuple[str, str]] = list(inputs.value_texts)
        if inputs.inline:
            extra.append(("inline", json.dumps(inputs.inline)))
        for i, (_label, text) in enumerate(extra):
            f = tmp / f"values-{i}.yaml"
            f.write_text(text, encoding="utf-8")
            values_files.append(os.fspath(f))
        args = self.build_args(inputs, values_files)
        for i, (name, _label, content) in enumerate(inputs.set_files):
            f = tmp / f"file-param-{i}"
            f.write_text(content, encoding="utf-8")
            args += ["--set-file", f"{name}={f}"]
        env = base_env(
            {
                "HELM_CACHE_HOME": os.fspath(tmp / "cache"),
                "HELM_CONFIG_HOME": os.fspath(tmp / "config"),
                "HELM_DATA_HOME": os.fspath(tmp / "data"),
            },
            inherit=True,
        )
        done = run(
            [binary, *args], cwd=chart_dir, env=env, timeout=exec_timeout(request), what="helm template"
        )
        if done.returncode != 0:
            message = done.stderr.replace(os.fspath(chart_dir) + os.sep, "").strip()
            chart_name = _chart_name(chart_dir)
            raise RenderError(helm_error_message(message.removeprefix("Error: "), chart_name, rel))
        text = done.stdout.decode("utf-8", "replace")
        label = f"{rel} (helm template output)"
        return [(doc, f"{label}:{line}") for doc, line in parse_yaml_stream(text, label)]


@hookimpl
def kedge_renderers() -> list[Any]:
    return [HelmRenderer()]
