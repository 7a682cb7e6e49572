"""Exceptions shared across Kedge. Each carries a message meant for the user, never a traceback."""

from __future__ import annotations


class KedgeError(Exception):
    """Base class: ``str(err)`` is a complete, actionable message."""


class PluginError(KedgeError):
    """A plugin failed to load or to answer a hook."""


class RenderError(KedgeError):
    """Manifest generation failed (names repo, revision, path, file and line where known)."""


class NotificationError(KedgeError):
    """A notification service failed to deliver a message."""


class ConfigError(KedgeError):
    """Settings or a resource document are invalid."""
