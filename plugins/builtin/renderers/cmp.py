"""Config-management plugins: Argo CD's ``ConfigManagementPlugin`` files, run locally.

Plugin files are YAML documents of ``apiVersion: argoproj.io/v1alpha1``,
``kind: ConfigManagementPlugin`` in the directory named by ``kedge.plugins.dir`` (argocd-cm)
or the ``KEDGE_PLUGINS_DIR`` environment variable (every ``*.yaml``/``*.yml`` file, sorted).
A plugin is selected by ``spec.source.plugin.name`` (``<name>-<version>`` when
``spec.version`` is set, else ``<name>``), or by discovery when the source names none:
``discover.fileName`` (a glob in the source directory), ``discover.find.glob`` (a ``**``
glob) or ``discover.find.command`` (matches when it prints something). A plugin without
``discover`` is only used by name. Among several matching plugins the first by name wins.

The ``init`` then ``generate`` commands run in a private copy of the repository, in the
source directory, with the build environment (``ARGOCD_APP_NAME``, ``ARGOCD_APP_NAMESPACE``,
``ARGOCD_APP_REVISION``, ``ARGOCD_APP_REVISION_SHORT``, ``ARGOCD_APP_SOURCE_REPO_URL``,
``ARGOCD_APP_SOURCE_PATH``, ``ARGOCD_APP_SOURCE_TARGET_REVISION``, ``KUBE_VERSION``,
``KUBE_API_VERSIONS``), ``ARGOCD_ENV_<name>`` for each ``plugin.env`` entry (substituted),
``ARGOCD_APP_PARAMETERS`` (JSON) and ``PARAM_<NAME>`` for each ``plugin.parameters`` entry.
Only ``PATH``, ``LANG``, ``LC_ALL``, ``TZ`` and ``TMPDIR`` of the repo server's own
environment are passed on, so its secrets stay out of plugins. Commands get
``ARGOCD_EXEC_TIMEOUT`` (90 s) together; on timeout their whole process group is killed.
``generate``'s standard output (capped by ``kedge.render.maxOutputBytes``, 100 MiB) is read
as a YAML or JSON stream. Files keep their executable bits only with ``preserveFileMode``.
"""

from __future__ import annotations

import glob as globlib
import json
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wcmatch import glob as wcglob

from kedge.errors import RenderError
from kedge.hookspecs import hookimpl
from kedge.repo.paths import copy_tree, relative_to_root
from kedge.repo.render import (
    DEFAULT_MAX_FILE_BYTES,
    envsubst,
    exec_timeout,
    parse_yaml_stream,
    setting_bytes,
)
from kedge.repo.types import RenderRequest

PLUGINS_DIR_KEY = "kedge.plugins.dir"
PLUGINS_DIR_ENV = "KEDGE_PLUGINS_DIR"
MAX_OUTPUT_KEY = "kedge.render.maxOutputBytes"
DEFAULT_MAX_OUTPUT = 100 * 1024 * 1024


@dataclass
class Command:
    command: list[str]
    args: list[str] = field(default_factory=list)

    def argv(self) -> list[str]:
        return [*self.command, *self.args]


@dataclass
class PluginSpec:
    """One ``ConfigManagementPlugin``."""

    name: str
    version: str
    generate: Command
    init: Command | None = None
    discover: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    preserve_file_mode: bool = False
    source_file: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.name}-{self.version}" if self.version else self.name


def _command(value: Any, where: str) -> Command | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RenderError(f"{where}: must be a mapping with command and args")
    cmd = value.get("command") or []
    args = value.get("args") or []
    if isinstance(cmd, str):
        cmd = [cmd]
    if not isinstance(cmd, list) or not all(isinstance(c, str) for c in cmd) or not cmd:
        raise RenderError(f"{where}.command: must be a non-empty list of strings")
    if not isinstance(args, list):
        raise RenderError(f"{where}.args: must be a list of strings")
    return Command([str(c) for c in cmd], [str(a) for a in args])


def parse_plugin(doc: dict[str, Any], source_file: str) -> PluginSpec:
    """Validate one plugin document; errors name the file and field."""
    where = source_file
    if doc.get("kind") != "ConfigManagementPlugin":
        raise RenderError(f"{where}: kind must be ConfigManagementPlugin, got {doc.get('kind')!r}")
    name = str((doc.get("metadata") or {}).get("name") or "")
    if not name:
        raise RenderError(f"{where}: metadata.name is required")
    spec = doc.get("spec") or {}
    if not isinstance(spec, dict):
        raise RenderError(f"{where}: spec must be a mapping")
    generate = _command(spec.get("generate"), f"{where}: spec.generate")
    if generate is None:
        raise RenderError(f"{where}: spec.generate is required")
    return PluginSpec(
        name=name,
        version=str(spec.get("version") or ""),
        generate=generate,
        init=_command(spec.get("init"), f"{where}: spec.init"),
        discover=spec.get("discover") or {},
        parameters=spec.get("parameters") or {},
        preserve_file_mode=bool(spec.get("preserveFileMode")),
        source_file=source_file,
    )


_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple[tuple[str, float], ...], list[PluginSpec]]] = {}


def plugins_dir(settings: dict[str, str]) -> str:
    return ((settings or {}).get(PLUGINS_DIR_KEY) or os.environ.get(PLUGINS_DIR_ENV) or "").strip()


def load_plugins(directory: str) -> list[PluginSpec]:
    """Every plugin defined in ``directory`` (cached until a file changes), sorted by name."""
    if not directory or not os.path.isdir(directory):
        return []
    files = sorted(
        os.path.join(directory, f)
        for f in os.listdir(directory)
        if f.endswith((".yaml", ".yml")) and not f.startswith(".")
    )
    stamp = tuple((f, os.stat(f).st_mtime) for f in files)
    with _cache_lock:
        hit = _cache.get(directory)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    found: list[PluginSpec] = []
    for f in files:
        try:
            docs = parse_yaml_stream(Path(f).read_text(encoding="utf-8"), f)
        except OSError as exc:
            raise RenderError(f"{f}: cannot read plugin file: {exc.strerror}") from None
        for doc, line in docs:
            if isinstance(doc, dict) and doc.get("kind") == "ConfigManagementPlugin":
                found.append(parse_plugin(doc, f"{f}:{line}"))
    found.sort(key=lambda p: p.full_name)
    with _cache_lock:
        _cache[directory] = (stamp, found)
    return found


# --------------------------------------------------------------------------------------------
# environment
# --------------------------------------------------------------------------------------------
_NON_ALNUM = re.compile(r"[^A-Za-z0-9_]")


def _env_name(text: str) -> str:
    return _NON_ALNUM.sub("_", text).upper()


def parameters_env(parameters: list[dict[str, Any]]) -> dict[str, str]:
    """``ARGOCD_APP_PARAMETERS`` and ``PARAM_<NAME>[_<i>|_<KEY>]`` for ``plugin.parameters``."""
    env: dict[str, str] = {}
    announced: list[dict[str, Any]] = []
    for i, p in enumerate(parameters or []):
        if not isinstance(p, dict) or not p.get("name"):
            raise RenderError(f"spec.source.plugin.parameters[{i}]: name is required")
        name = str(p["name"])
        item: dict[str, Any] = {"name": name}
        base = f"PARAM_{_env_name(name)}"
        if p.get("string") is not None:
            item["string"] = str(p["string"])
            env[base] = item["string"]
        if p.get("array") is not None:
            item["array"] = [str(v) for v in p["array"]]
            for j, v in enumerate(item["array"]):
                env[f"{base}_{j}"] = v
        if p.get("map") is not None:
            item["map"] = {str(k): str(v) for k, v in p["map"].items()}
            for k, v in item["map"].items():
                env[f"{base}_{_env_name(k)}"] = v
        announced.append(item)
    env["ARGOCD_APP_PARAMETERS"] = json.dumps(announced, separators=(",", ":"))
    return env


def plugin_env(request: RenderRequest) -> dict[str, str]:
    plugin = request.source.get("plugin") or {}
    env = dict(request.env)
    for i, entry in enumerate(plugin.get("env") or []):
        name = str((entry or {}).get("name") or "")
        if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise RenderError(f"spec.source.plugin.env[{i}]: invalid variable name {name!r}")
        env[f"ARGOCD_ENV_{name}"] = envsubst(str(entry.get("value") or ""), request.env)
    if request.source.get("plugin") is not None:
        # Argo CD sets ARGOCD_APP_PARAMETERS whenever the source has a plugin block ("null": none)
        env.update(parameters_env(plugin.get("parameters") or []))
        if not plugin.get("parameters"):
            env["ARGOCD_APP_PARAMETERS"] = "null"
    return env


# --------------------------------------------------------------------------------------------
# discovery
# --------------------------------------------------------------------------------------------
def matches(plugin: PluginSpec, request: RenderRequest, deadline: float) -> bool:
    """Whether ``plugin``'s ``discover`` rules match the source directory."""
    d = plugin.discover
    if not d:
        return False
    app = os.fspath(request.path)
    file_name = d.get("fileName")
    if file_name:
        pattern = os.path.join(glob_escape(app), str(file_name))
        if globlib.glob(pattern):
            return True
    find = d.get("find") or {}
    if find.get("glob"):
        if wcglob.glob(
            str(find["glob"]), root_dir=app, flags=wcglob.GLOBSTAR | wcglob.BRACE | wcglob.DOTGLOB
        ):
            return True
    if find.get("command"):
        cmd = _command(
            {"command": find["command"], "args": find.get("args") or []}, f"{plugin.source_file}: discover"
        )
        assert cmd is not None
        done = _run_in(
            cmd,
            request.path,
            request,
            plugin_env(request),
            deadline,
            what=f"plugin {plugin.full_name} discover",
        )
        return done.returncode == 0 and bool(done.stdout.strip())
    return False


def glob_escape(text: str) -> str:
    return globlib.escape(text)


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------
def _run_in(
    cmd: Command, cwd: Path, request: RenderRequest, env: dict[str, str], deadline: float, what: str
) -> Any:
    from kedge.builtin.renderers._exec import base_env, run

    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RenderError(f"{what}: timed out (ARGOCD_EXEC_TIMEOUT)")
    limit = setting_bytes(request.settings, MAX_OUTPUT_KEY, DEFAULT_MAX_OUTPUT)
    shown = f"{exec_timeout(request):g}s (ARGOCD_EXEC_TIMEOUT)"
    return run(
        cmd.argv(),
        cwd=cwd,
        env=base_env(env),
        timeout=remaining,
        max_output=limit,
        what=what,
        timeout_label=shown,
    )


class PluginRenderer:
    """The ``plugin`` renderer: dispatches to ``ConfigManagementPlugin`` files."""

    name = "plugin"

    def detect(self, path: Path) -> bool:
        return False  # discovery needs the request: see discover()

    def discover(self, request: RenderRequest) -> str | None:
        """The full name of the first plugin whose discovery matches, or None."""
        deadline = time.monotonic() + exec_timeout(request)
        for plugin in load_plugins(plugins_dir(request.settings)):
            if matches(plugin, request, deadline):
                return plugin.full_name
        return None

    def select(self, request: RenderRequest) -> PluginSpec:
        plugins = load_plugins(plugins_dir(request.settings))
        wanted = str((request.source.get("plugin") or {}).get("name") or "")
        if wanted:
            for p in plugins:
                if p.full_name == wanted:
                    return p
            known = ", ".join(p.full_name for p in plugins) or "none"
            where = (
                plugins_dir(request.settings) or f"unset: configure {PLUGINS_DIR_KEY} or {PLUGINS_DIR_ENV}"
            )
            raise RenderError(
                f"config management plugin {wanted!r} not found (known: {known}; plugin directory: {where})"
            )
        name = self.discover(request)
        if name is None:
            raise RenderError("no config management plugin matches this source (none named, none discovered)")
        return next(p for p in plugins if p.full_name == name)

    def cache_key(self, request: RenderRequest) -> str:
        try:
            p = self.select(request)
        except RenderError:
            return ""
        return json.dumps([p.full_name, p.generate.argv(), p.init.argv() if p.init else None, p.source_file])

    def render(self, request: RenderRequest) -> list[Any]:
        plugin = self.select(request)
        root = Path(request.root)
        rel = relative_to_root(root, request.path)
        deadline = time.monotonic() + exec_timeout(request)
        env = plugin_env(request)
        max_file = setting_bytes(request.settings, "kedge.render.maxFileBytes", DEFAULT_MAX_FILE_BYTES)
        output = ""
        with tempfile.TemporaryDirectory(prefix="kedge-cmp-") as tmp:
            copy = Path(tmp) / "repo"
            copy_tree(root, root, copy, preserve_mode=plugin.preserve_file_mode, max_file_bytes=max_file)
            workdir = copy / rel if rel != "." else copy
            workdir.mkdir(parents=True, exist_ok=True)
            env.setdefault("HOME", tmp)
            for step, cmd in (("init", plugin.init), ("generate", plugin.generate)):
                if cmd is None:
                    continue
                what = f"plugin {plugin.full_name} {step}"
                done = _run_in(cmd, workdir, request, env, deadline, what)
                if done.returncode != 0:
                    err = " ".join(done.stderr.replace(os.fspath(copy) + os.sep, "").split())[-2000:]
                    raise RenderError(
                        f"{what} failed with exit code {done.returncode}: {err or '(no error output)'}"
                    )
                if step == "generate":
                    output = done.stdout.decode("utf-8", "replace")
        label = f"{rel} (plugin {plugin.full_name} output)"
        return [(doc, f"{label}:{line}") for doc, line in parse_yaml_stream(output, label)]


@hookimpl
def kedge_renderers() -> list[Any]:
    return [PluginRenderer()]
