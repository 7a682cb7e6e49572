"""Which tool renders a source: Argo CD's detection rules.

1. An explicitly configured tool wins: exactly one of ``helm``, ``kustomize``, ``directory``,
   ``plugin`` in the source (two is an error, as in Argo CD); a ``chart`` source is Helm.
   A disabled tool (``helm.enable: "false"``, ``kustomize.enable: "false"`` in argocd-cm)
   falls back to a plain directory.
2. Otherwise a config-management plugin whose discovery matches: Python renderer plugins
   installed with pip (their ``detect(path)``), then ``ConfigManagementPlugin`` YAML files
   (``discover``), see :mod:`kedge.builtin.renderers.cmp`.
3. Otherwise ``kustomization.yaml``, ``kustomization.yml`` or ``Kustomization`` -> Kustomize
   (it wins over a ``Chart.yaml`` in the same directory);
4. otherwise ``Chart.yaml`` -> Helm;
5. otherwise a plain directory (whose ``.jsonnet`` files are evaluated unless
   ``jsonnet.enable: "false"``).
"""

from __future__ import annotations

from typing import Any

from kedge.errors import RenderError
from kedge.repo.types import RenderRequest

#: Renderer names that are tools, not config-management plugins.
BUILTIN_TOOLS = frozenset({"directory", "helm", "kustomize", "jsonnet", "plugin"})
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_EXPLICIT = ("kustomize", "helm", "directory", "plugin")


def tool_enabled(tool: str, settings: dict[str, str]) -> bool:
    """Whether argocd-cm leaves ``tool`` enabled (``<tool>.enable``; anything but ``"false"``)."""
    key = {"helm": "helm.enable", "kustomize": "kustomize.enable", "jsonnet": "jsonnet.enable"}.get(tool)
    if key is None:
        return True
    return str((settings or {}).get(key, "true")).strip().lower() != "false"


def explicit_tool(source: dict[str, Any]) -> str | None:
    """The tool named by the source itself, or ``None``; raises if two are configured."""
    found = [name for name in _EXPLICIT if source.get(name) is not None]
    if len(found) > 1:
        names = ", ".join(n.capitalize() for n in found)
        raise RenderError(f"multiple application sources defined: {names}")
    if found:
        return found[0]
    if source.get("chart"):
        return "helm"
    return None


def detect_tool(request: RenderRequest) -> str:
    """The renderer name for ``request`` (its source already merged with overrides)."""
    from kedge import plugins

    source = request.source
    settings = request.settings or {}
    tool = explicit_tool(source)
    if tool is not None:
        if tool == "plugin":
            return plugin_provider_name(source)
        return tool if tool_enabled(tool, settings) else "directory"

    providers = plugins.providers("renderers")
    # config-management plugins: pip-installed Python renderers first, by name
    for name in sorted(providers):
        if name in BUILTIN_TOOLS:
            continue
        detect = getattr(providers[name], "detect", None)
        if detect is not None and _safe_detect(detect, request):
            return name
    cmp = providers.get("plugin")
    if cmp is not None and hasattr(cmp, "discover") and cmp.discover(request):
        return "plugin"

    path = request.path
    if any((path / n).is_file() for n in KUSTOMIZATION_NAMES) and tool_enabled("kustomize", settings):
        return "kustomize"
    if (path / "Chart.yaml").is_file() and tool_enabled("helm", settings):
        return "helm"
    return "directory"


def plugin_provider_name(source: dict[str, Any]) -> str:
    """``plugin.name`` of a Python renderer plugin if one is installed under that name, else ``plugin``."""
    from kedge import plugins

    name = (source.get("plugin") or {}).get("name") or ""
    if name and name not in BUILTIN_TOOLS and name in plugins.providers("renderers"):
        return name
    return "plugin"


def _safe_detect(detect: Any, request: RenderRequest) -> bool:
    try:
        return bool(detect(request.path))
    except Exception:  # noqa: BLE001 - a broken plugin's detection must not break rendering
        return False
