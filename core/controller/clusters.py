"""Destination clusters: the management cluster itself (``https://kubernetes.default.svc``,
named ``in-cluster``, as Argo CD names the cluster it runs in) and the clusters registered as
Secrets. Each gets a client and a cluster cache, started on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from kedge.controller.compare import ClusterView
from kedge.errors import KedgeError
from kedge.kube.cache import ClusterCache
from kedge.kube.client import KubeClient
from kedge.kube.tracking import Tracking

IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"


class ClusterRegistry:
    def __init__(
        self,
        management: KubeClient,
        settings: Callable[[], Any],
        on_change: Callable[..., None] | None = None,
        health: Callable[[dict[str, Any]], dict[str, str] | None] | None = None,
    ) -> None:
        self.management = management
        self._settings = settings
        self._on_change = on_change
        self._health = health
        self._views: dict[str, ClusterView] = {}
        self._lock = threading.Lock()

    def _tracking(self) -> Tracking:
        s = self._settings()
        return Tracking(s.resource_tracking_method, s.instance_label_key, s.installation_id or "")

    def resolve(self, destination: dict[str, Any]) -> tuple[str, str]:
        """(server URL, name) of an Application destination; raises KedgeError if unknown."""
        server, name = destination.get("server") or "", destination.get("name") or ""
        if server and name:
            raise KedgeError("application destination can't have both name and server defined")
        clusters = self._settings().clusters()
        if name:
            if name == IN_CLUSTER_NAME:
                return IN_CLUSTER_SERVER, IN_CLUSTER_NAME
            for c in clusters:
                if c.name == name:
                    return c.server, c.name
            raise KedgeError(f"there are no clusters with this name: {name}")
        if not server:
            raise KedgeError("application destination has neither server nor name")
        if server.rstrip("/") == IN_CLUSTER_SERVER:
            return IN_CLUSTER_SERVER, IN_CLUSTER_NAME
        for c in clusters:
            if c.server.rstrip("/") == server.rstrip("/"):
                return c.server, c.name or c.server
        raise KedgeError(
            f"cluster {server} has not been configured (add a cluster Secret or `kedge cluster add`)"
        )

    def view(self, destination: dict[str, Any]) -> ClusterView:
        server, name = self.resolve(destination)
        with self._lock:
            existing = self._views.get(server)
            if existing is not None:
                return existing
        if server == IN_CLUSTER_SERVER:
            client = self.management
        else:
            cfg = next(c for c in self._settings().clusters() if c.server.rstrip("/") == server.rstrip("/"))
            client = KubeClient.from_cluster_secret(cfg.server, cfg.config, name=cfg.name or cfg.server)
        s = self._settings()
        cache = ClusterCache(
            client,
            tracking=self._tracking(),
            exclusions=s.resource_exclusions,
            inclusions=s.resource_inclusions,
            on_change=self._on_change,
            health=self._health,
            cluster_url=server,
        )
        view = ClusterView(client, cache, server, name)
        try:
            cache.start()  # discovery: raises KubeError (a KedgeError) when the cluster is unreachable
        except KedgeError as exc:
            cache.stop()
            raise KedgeError(f"cluster {server} is unreachable: {exc}") from None
        cache.wait_synced(60)
        with self._lock:
            if server in self._views:
                cache.stop()
                return self._views[server]
            self._views[server] = view
        return view

    def views(self) -> list[ClusterView]:
        with self._lock:
            return list(self._views.values())

    def stop(self) -> None:
        for v in self.views():
            v.cache.stop()
