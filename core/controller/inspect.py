"""Inspecting one Application without a running controller (the CLI's core mode).

Settings come from the control-plane namespace (argocd-cm and friends), the desired state from
the repo server (or a local directory), the live state by GETting exactly the resources the
app has (its ``status.resources`` plus its desired ones). The comparison itself is the
controller's own :func:`kedge.controller.compare.compare_app`.
"""

from __future__ import annotations

from typing import Any

from kedge.controller import project as projects
from kedge.controller.compare import ClusterView, CompareResult, ServerSideDiffCache, compare_app
from kedge.errors import KedgeError
from kedge.health import ResourceOverrides, assess
from kedge.kube.cache import Entry
from kedge.kube.client import KubeClient, KubeError
from kedge.kube.keys import ResourceKey, key_of
from kedge.kube.tracking import Tracking, app_instance_name

API_VERSION = "argoproj.io/v1alpha1"


class _StaticCache:
    """The slice of a cluster cache that comparison reads, filled from GETs."""

    def __init__(self, entries: dict[ResourceKey, Entry]) -> None:
        self._entries = entries

    def get(self, key: ResourceKey) -> Entry | None:
        return self._entries.get(key)

    def managed(self, app: str) -> dict[ResourceKey, Entry]:
        return {k: e for k, e in self._entries.items() if e.app == app}

    def tree(self, app: str) -> list[dict[str, Any]]:
        return []


class CoreView:
    def __init__(self, client: KubeClient, namespace: str = "argocd", repo: Any = None) -> None:
        self.client = client
        self.namespace = namespace
        self._repo = repo
        self._settings: Any = None

    # -- inputs ------------------------------------------------------------------------------
    def settings(self) -> Any:
        if self._settings is None:
            from kedge.settings import Settings

            docs: list[dict[str, Any]] = []
            cm_res = self.client.resource_for("v1", "ConfigMap")
            secret_res = self.client.resource_for("v1", "Secret")
            assert cm_res is not None and secret_res is not None
            for name in ("argocd-cm", "argocd-rbac-cm", "argocd-cmd-params-cm"):
                obj = self.client.get(cm_res, self.namespace, name)
                if obj:
                    docs.append(obj)
            secret = self.client.get(secret_res, self.namespace, "argocd-secret")
            if secret:
                docs.append(secret)
            for stype in ("repository", "repo-creds", "cluster"):
                items, _ = self.client.list(
                    secret_res, self.namespace, label_selector=f"argocd.argoproj.io/secret-type={stype}"
                )
                docs.extend(items)
            self._settings = Settings.from_objects(docs, source=f"namespace {self.namespace}")
        return self._settings

    def repo(self) -> Any:
        if self._repo is None:
            from kedge.repo.config import RepoServerConfig
            from kedge.repo.creds import store_from_settings
            from kedge.repo.server import RepoServer

            s = self.settings()
            self._repo = RepoServer(
                RepoServerConfig.from_env(dict(s.params)),
                credentials=store_from_settings(s),
                settings=dict(s.cm),
            )
        return self._repo

    def app(self, name: str) -> dict[str, Any]:
        res = self.client.resource_for(API_VERSION, "Application")
        if res is None:
            raise KedgeError("the cluster does not serve argoproj.io Applications (are the CRDs installed?)")
        obj = self.client.get(res, self.namespace, name)
        if obj is None:
            raise KedgeError(f'application "{name}" not found in namespace {self.namespace}')
        return obj

    def project(self, app: dict[str, Any]) -> dict[str, Any] | None:
        name = (app.get("spec") or {}).get("project") or "default"
        res = self.client.resource_for(API_VERSION, "AppProject")
        proj = self.client.get(res, self.namespace, name) if res is not None else None
        return proj if proj is not None else (projects.DEFAULT_PROJECT if name == "default" else None)

    def desired(
        self,
        app: dict[str, Any],
        local: str | None = None,
        revision: str | None = None,
        hard_refresh: bool = False,
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """(manifests, revisions)."""
        v = self.client.version()
        kube_version = f"{v.get('major', '1')}.{str(v.get('minor', '0')).rstrip('+')}.0"
        if local:
            return self.repo().generate_local(app, local, kube_version=kube_version), []
        resp = self.repo().generate_manifests(
            app,
            revision=revision,
            hard_refresh=hard_refresh,
            kube_version=kube_version,
            settings=self.settings().cm,
        )
        return resp.manifests, list(resp.revisions)

    def live(self, keys: list[tuple[ResourceKey, str]]) -> dict[ResourceKey, dict[str, Any]]:
        """GET each (key, apiVersion); missing objects are left out."""
        out: dict[ResourceKey, dict[str, Any]] = {}
        for key, api_version in keys:
            res = self.client.resource_for(api_version, key.kind)
            if res is None:
                continue
            obj = self.client.get(res, key.namespace if res.namespaced else None, key.name)
            if obj is not None:
                obj.setdefault("apiVersion", api_version)
                obj.setdefault("kind", key.kind)
                out[key] = obj
        return out

    # -- comparison ----------------------------------------------------------------------------
    def compare(
        self,
        name: str,
        local: str | None = None,
        revision: str | None = None,
        server_side: bool = False,
        hard_refresh: bool = False,
    ) -> tuple[dict[str, Any], CompareResult]:
        app = self.app(name)
        s = self.settings()
        tracking = Tracking(s.resource_tracking_method, s.instance_label_key, s.installation_id or "")
        instance = app_instance_name(name, self.namespace, self.namespace)
        manifests, _ = self.desired(app, local, revision, hard_refresh)
        dest_ns = ((app.get("spec") or {}).get("destination") or {}).get("namespace") or ""
        wanted: dict[ResourceKey, str] = {}
        for r in (app.get("status") or {}).get("resources") or []:
            api_version = f"{r['group']}/{r['version']}" if r.get("group") else r.get("version", "v1")
            wanted[ResourceKey(r.get("group", ""), r["kind"], r.get("namespace", ""), r["name"])] = (
                api_version
            )
        for m in manifests:
            if isinstance(m, dict) and m.get("kind") and m.get("apiVersion"):
                res = None
                try:
                    res = self.client.resource_for(m["apiVersion"], m["kind"])
                except KubeError:
                    pass
                ns = dest_ns if res is not None and res.namespaced else ""
                key = key_of(m, ns)
                if res is not None and not res.namespaced:
                    key = ResourceKey(key.group, key.kind, "", key.name)
                wanted[key] = m["apiVersion"]
        overrides = ResourceOverrides.from_configmap(s.cm)
        entries: dict[ResourceKey, Entry] = {}
        for key, obj in self.live(list(wanted.items())).items():
            from kedge.kube.tracking import owning_app

            owner = owning_app(obj, tracking)
            entries[key] = Entry(
                key=key,
                api_version=obj["apiVersion"],
                uid=obj["metadata"].get("uid", ""),
                resource_version=obj["metadata"].get("resourceVersion", ""),
                owners=(),
                owner_uids=(),
                app=owner,
                obj=obj,
                health=assess(obj, overrides),
            )
        view = ClusterView(self.client, _StaticCache(entries), "https://kubernetes.default.svc", "in-cluster")
        result = compare_app(
            app,
            instance,
            manifests,
            view,
            self.project(app),
            s.cm,
            overrides,
            tracking,
            server_side_diff=server_side,
            ssd_cache=ServerSideDiffCache(),
        )
        return app, result
