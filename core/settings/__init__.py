"""Argo CD-style settings, exactly as Argo CD users write them.

Inputs are ConfigMaps and Secrets: ``argocd-cm``, ``argocd-rbac-cm``, ``argocd-cmd-params-cm``,
``argocd-secret``, ``argocd-notifications-cm``, ``argocd-notifications-secret``, and Secrets
labelled ``argocd.argoproj.io/secret-type: repository | repo-creds | cluster``. A loader turns a
source (a config directory today, the management cluster later) into ConfigMap/Secret dicts and
feeds them to :class:`SettingsManager`::

    from kedge.settings import SettingsManager, DirectoryWatcher

    manager = SettingsManager()
    manager.load_dir("config/")                 # raises SettingsError on invalid content
    manager.subscribe(lambda old, new: ...)     # hot reload
    DirectoryWatcher(manager, "config/", interval=2).start()
    s = manager.current
    s.reconciliation_timeout                    # 120.0 (seconds) unless set
    s.credentials_for("https://github.com/org/repo.git")

This package imports only the standard library and PyPI's ``yaml``: cheap for any component.
"""

from kedge.settings.directory import read_dir
from kedge.settings.manager import DirectoryWatcher, SettingsManager, load_dir
from kedge.settings.objects import ConfigObject
from kedge.settings.repos import Cluster, Repository
from kedge.settings.snapshot import (
    GROUPS,
    Account,
    RBACSettings,
    ResourceOverride,
    Settings,
    SettingsError,
)

__all__ = [
    "GROUPS",
    "Account",
    "Cluster",
    "ConfigObject",
    "DirectoryWatcher",
    "RBACSettings",
    "Repository",
    "ResourceOverride",
    "Settings",
    "SettingsError",
    "SettingsManager",
    "load_dir",
    "read_dir",
]
