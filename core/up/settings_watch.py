"""Keep a :class:`~kedge.settings.SettingsManager` equal to the settings objects of a namespace.

Watches ConfigMaps and Secrets in the control-plane namespace and, on any change to argocd-cm,
argocd-rbac-cm, argocd-cmd-params-cm, argocd-notifications-cm, argocd-secret or a Secret
labelled ``argocd.argoproj.io/secret-type``, reloads the settings (hot reload). Invalid settings
are logged and the previous ones kept (the manager's contract).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kedge.kube.client import KubeClient
from kedge.kube.informer import Informer
from kedge.settings import SettingsError, SettingsManager

log = logging.getLogger(__name__)

CONFIGMAPS = ("argocd-cm", "argocd-rbac-cm", "argocd-cmd-params-cm", "argocd-notifications-cm")
SECRETS = ("argocd-secret", "argocd-notifications-secret")
DEBOUNCE = 0.2


def _relevant(obj: dict[str, Any] | None) -> bool:
    if not obj:
        return False
    meta = obj.get("metadata") or {}
    if meta.get("name") in CONFIGMAPS or meta.get("name") in SECRETS:
        return True
    return "argocd.argoproj.io/secret-type" in (meta.get("labels") or {})


class ClusterSettings:
    """``start()`` loads once (synchronously), then follows changes until ``stop()``."""

    def __init__(self, client: KubeClient, namespace: str, manager: SettingsManager | None = None) -> None:
        self.client = client
        self.namespace = namespace
        self.manager = manager or SettingsManager()
        self._cms = Informer(client, "v1", "ConfigMap", namespace)
        self._secrets = Informer(client, "v1", "Secret", namespace)
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def docs(self) -> list[dict[str, Any]]:
        out = []
        for cm in self._cms.list():
            if (cm.get("metadata") or {}).get("name") in CONFIGMAPS:
                out.append({**cm, "kind": "ConfigMap", "apiVersion": "v1"})
        for s in self._secrets.list():
            meta = s.get("metadata") or {}
            if meta.get("name") in SECRETS or "argocd.argoproj.io/secret-type" in (meta.get("labels") or {}):
                out.append({**s, "kind": "Secret", "apiVersion": "v1"})
        return out

    def reload(self) -> None:
        try:
            self.manager.update(self.docs(), source=f"namespace {self.namespace}")
        except SettingsError as exc:
            log.error(
                "settings in namespace %s are invalid, keeping the previous ones: %s", self.namespace, exc
            )

    def _changed(self, etype: str, new: dict[str, Any] | None, old: dict[str, Any] | None) -> None:
        if not (_relevant(new) or _relevant(old)):
            return
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(DEBOUNCE, self.reload)
            self._timer.daemon = True
            self._timer.start()

    def start(self, timeout: float = 30.0) -> SettingsManager:
        for inf in (self._cms, self._secrets):
            inf.start()
        for inf in (self._cms, self._secrets):
            inf.synced.wait(timeout)
        self.reload()
        for inf in (self._cms, self._secrets):
            inf.add_handler(self._changed)
        return self.manager

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        self._cms.stop()
        self._secrets.stop()
