"""Every Kedge plugin hook, one documented function each.

Kedge uses pluggy with the project name ``kedge``. A plugin is any module (or object) with
functions decorated by :data:`hookimpl`; a third-party plugin is a distribution that declares
an entry point in group ``kedge``::

    # pyproject.toml of your plugin
    [project.entry-points.kedge]
    my_plugin = "my_package.plugin"

Kedge's own built-ins (``kedge.builtin``) register through the very same entry point group.

**Provider families.** Most hooks return *named providers*: an iterable of objects, each with
a ``name`` attribute (a string). The core collects the providers of every plugin and looks
them up by name, e.g. the renderer named ``helm``. What else a provider must offer is
described per hook below. Rules when two plugins return a provider with the same name:

* a provider from a third-party plugin replaces a built-in one (so you can override Kedge);
* between two third-party plugins, the plugin whose name sorts first wins;
* either way a warning names both plugins, and ``kedge plugins list`` shows the conflict.

A hook implementation that raises is reported (plugin, hook, error) and skipped; the other
plugins keep working. A plugin that fails to import, declares a hook name not listed here (a typo
such as ``kedge_health_check``) or a hook argument the spec lacks is reported with its
distribution and skipped as a whole. ``kedge plugins list`` shows all of these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pluggy

PROJECT = "kedge"

hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorate your hook implementations with this.
hookimpl = pluggy.HookimplMarker(PROJECT)

#: hook name -> short family name used by ``kedge plugins list`` and :func:`kedge.plugins.providers`.
FAMILIES: dict[str, str] = {
    "kedge_source_types": "source_types",
    "kedge_renderers": "renderers",
    "kedge_health_checks": "health_checks",
    "kedge_resource_actions": "resource_actions",
    "kedge_appset_generators": "appset_generators",
    "kedge_notification_services": "notification_services",
}


@hookspec
def kedge_source_types() -> Iterable[Any]:
    """Return source type providers: where manifests come from.

    Each provider has:

    * ``name``: ``"git"``, ``"helm"`` (a Helm chart repository), ``"oci"``...
    * ``matches(source: dict) -> bool``: whether this provider handles an Application
      ``spec.source`` (e.g. ``git`` for a ``repoURL`` without ``chart``).
    * ``fetch(source: dict, revision: str, credentials, workdir) -> FetchedSource``: resolve the
      revision and make the files available locally; see ``kedge.repo`` for the exact types.
    """


@hookspec
def kedge_renderers() -> Iterable[Any]:
    """Return renderer providers: tools that turn a source directory into manifests.

    Each provider has:

    * ``name``: ``"directory"``, ``"helm"``, ``"kustomize"``, ``"jsonnet"``, or a
      config-management plugin name.
    * ``detect(path) -> bool``: whether the tool recognises the directory (Argo CD's rules:
      ``kustomization.yaml`` for Kustomize, ``Chart.yaml`` for Helm...).
    * ``render(request) -> list[dict]``: the Kubernetes objects; raise
      ``kedge.errors.RenderError`` with a message naming the file and line on failure.
    """


@hookspec
def kedge_health_checks() -> Iterable[Any]:
    """Return health check providers, written in Python.

    Each provider has:

    * ``name``: the ``group/Kind`` it assesses (``apps/Deployment``; core kinds have an empty
      group: ``/Pod``), or a glob such as ``*.crossplane.io/*``.
    * ``assess(obj: dict) -> dict | None``: ``{"status": "Healthy"|"Progressing"|"Degraded"|
      "Suspended"|"Missing"|"Unknown", "message": str}``, or ``None`` for "no health".

    Python health plugins sit between argocd-cm overrides and Kedge's Lua library in the lookup
    order (see ``kedge.health``).
    """


@hookspec
def kedge_resource_actions() -> Iterable[Any]:
    """Return resource action providers for a ``group/Kind``.

    Each provider has:

    * ``name``: the ``group/Kind`` (core kinds: ``/Pod``).
    * ``discover(obj: dict) -> dict[str, dict]``: action name -> ``{"disabled": bool,
      "iconClass": str, "displayName": str, "params": [...]}`` (the shape of Argo CD's
      ``discovery.lua`` result).
    * ``run(action: str, obj: dict, params: dict[str, str]) -> dict | list[dict]``: the patched
      object, or a list of ``{"operation": "patch"|"create", "resource": obj}``.
    """


@hookspec
def kedge_appset_generators() -> Iterable[Any]:
    """Return ApplicationSet generator providers.

    Each provider has:

    * ``name``: the generator key in ``spec.generators[]`` (``list``, ``clusters``, ``git``,
      ``matrix``, ``merge``, ``scmProvider``, ``pullRequest``, or your own).
    * ``generate(spec: dict, appset: dict, context) -> list[dict]``: the parameter sets, one
      per Application to template.
    """


@hookspec
def kedge_notification_services() -> Iterable[Any]:
    """Return notification service providers (``service.<name>`` in argocd-notifications-cm).

    Each provider has:

    * ``name``: ``email``, ``slack``, ``webhook``...
    * ``send(config: dict, notification: dict, destination: str) -> None``: deliver one message;
      raise ``kedge.errors.NotificationError`` on failure. Every network call needs a timeout.
    """
