"""Core mode (like ``argocd --core``): talk to the management cluster with a kubeconfig.

Applications, projects and settings are read and written as custom resources and Secrets in
the control-plane namespace; diffs are computed here with :class:`kedge.controller.inspect.CoreView`;
a sync or rollback writes ``operation`` on the Application, which the application controller
executes (exactly what Argo CD's API server does on behalf of a client).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Sequence
from typing import Any

from kedge.cli.client.base import (
    API_VERSION,
    BACKGROUND_FINALIZER,
    FOREGROUND_FINALIZER,
    IN_CLUSTER_NAME,
    IN_CLUSTER_SERVER,
    REFRESH_ANNOTATION,
    SECRET_TYPE_LABEL,
    Backend,
    NotSupported,
    ResourceDiffView,
    SyncRequest,
    fnv32a,
)
from kedge.errors import KedgeError
from kedge.kube.client import JSON_PATCH, MERGE_PATCH, KubeClient, KubeError

#: objects every namespace has, never reported as orphaned (as Argo CD ignores them)
ORPHAN_IGNORED = {("", "ServiceAccount", "default"), ("", "ConfigMap", "kube-root-ca.crt")}
REFRESH_TIMEOUT = 60.0


def now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def secret_data(secret: dict[str, Any]) -> dict[str, str]:
    """A Secret's values, decoded (stringData wins, as the API server merges it)."""
    out = {k: base64.b64decode(v).decode(errors="replace") for k, v in (secret.get("data") or {}).items()}
    out.update(secret.get("stringData") or {})
    return out


class CoreBackend(Backend):
    mode = "core"

    def __init__(self, client: KubeClient, namespace: str = "argocd") -> None:
        self.client = client
        self.namespace = namespace
        self.username = "admin"
        self._view: Any = None

    @classmethod
    def from_kubeconfig(cls, path: str | None, context: str | None, namespace: str) -> CoreBackend:
        return cls(KubeClient.from_kubeconfig(path, context, timeout=30.0), namespace)

    def close(self) -> None:
        self.client.close()

    # -- plumbing ------------------------------------------------------------------------------
    def _res(self, kind: str, api_version: str = API_VERSION) -> Any:
        res = self.client.resource_for(api_version, kind)
        if res is None:
            raise KedgeError(
                f"the cluster does not serve {kind} ({api_version}); install the CRDs first "
                "(kubectl apply -f manifests/install.yaml, or run `kedge up`)"
            )
        return res

    def view(self) -> Any:
        if self._view is None:
            from kedge.controller.inspect import CoreView

            self._view = CoreView(self.client, self.namespace)
        return self._view

    def _get(self, kind: str, name: str, what: str) -> dict[str, Any]:
        obj = self.client.get(self._res(kind), self.namespace, name)
        if obj is None:
            raise KedgeError(f'{what} "{name}" not found in namespace {self.namespace}')
        return obj

    def _secrets(self, stype: str) -> list[dict[str, Any]]:
        items, _ = self.client.list(
            self._res("Secret", "v1"), self.namespace, label_selector=f"{SECRET_TYPE_LABEL}={stype}"
        )
        return items

    def _ensure_namespace(self) -> None:
        ns_res = self._res("Namespace", "v1")
        if self.client.get(ns_res, None, self.namespace) is None:
            raise KedgeError(
                f"namespace {self.namespace} does not exist in the cluster (use --namespace, or install Kedge there)"
            )

    # -- applications --------------------------------------------------------------------------
    def list_apps(self, selector: str | None = None, projects: Sequence[str] = ()) -> list[dict[str, Any]]:
        items, _ = self.client.list(self._res("Application"), self.namespace, label_selector=selector)
        if projects:
            items = [a for a in items if ((a.get("spec") or {}).get("project") or "default") in projects]
        return sorted(items, key=lambda a: a["metadata"]["name"])

    def get_app(self, name: str, refresh: str | None = None) -> dict[str, Any]:
        if not refresh:
            return self._get("Application", name, "application")
        res = self._res("Application")
        self._get("Application", name, "application")
        self.client.patch(
            res,
            self.namespace,
            name,
            {"metadata": {"annotations": {REFRESH_ANNOTATION: refresh}}},
            MERGE_PATCH,
        )
        deadline = time.monotonic() + REFRESH_TIMEOUT
        while time.monotonic() < deadline:
            app = self._get("Application", name, "application")
            if REFRESH_ANNOTATION not in ((app.get("metadata") or {}).get("annotations") or {}):
                return app
            time.sleep(0.2)
        raise KedgeError(
            f"application {name} was not refreshed within {REFRESH_TIMEOUT:.0f}s: "
            "is the application controller running?"
        )

    def create_app(self, app: dict[str, Any], upsert: bool = False) -> dict[str, Any]:
        self._ensure_namespace()
        res = self._res("Application")
        app = dict(app)
        app["metadata"] = {**(app.get("metadata") or {}), "namespace": self.namespace}
        name = app["metadata"]["name"]
        existing = self.client.get(res, self.namespace, name)
        if existing is None:
            return self.client.create(app, field_manager="kedge-cli")
        if existing.get("spec") == app.get("spec"):
            return existing
        if not upsert:
            raise KedgeError(
                f"existing application spec is different, use upsert flag to force update (application {name})"
            )
        existing["spec"] = app.get("spec")
        meta = app["metadata"]
        for key in ("labels", "annotations"):
            if meta.get(key):
                existing["metadata"][key] = meta[key]
        if meta.get("finalizers"):
            existing["metadata"]["finalizers"] = meta["finalizers"]
        return self.client.replace(existing, field_manager="kedge-cli")

    def update_app_spec(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        for _ in range(5):
            app = self._get("Application", name, "application")
            app["spec"] = spec
            try:
                return self.client.replace(app, field_manager="kedge-cli")
            except KubeError as exc:
                if not exc.conflict:
                    raise
        raise KedgeError(f"application {name} kept changing while updating it; try again")

    def patch_app(self, name: str, patch: Any, patch_type: str = "merge") -> dict[str, Any]:
        self._get("Application", name, "application")
        ctype = JSON_PATCH if patch_type == "json" else MERGE_PATCH
        return self.client.patch(
            self._res("Application"), self.namespace, name, patch, ctype, field_manager="kedge-cli"
        )

    def delete_app(self, name: str, cascade: bool = True, propagation: str = "foreground") -> None:
        res = self._res("Application")
        app = self._get("Application", name, "application")
        finalizers = list((app.get("metadata") or {}).get("finalizers") or [])
        wanted = [f for f in finalizers if f not in (FOREGROUND_FINALIZER, BACKGROUND_FINALIZER)]
        if cascade:
            wanted.append(BACKGROUND_FINALIZER if propagation == "background" else FOREGROUND_FINALIZER)
        if wanted != finalizers:
            self.client.patch(res, self.namespace, name, {"metadata": {"finalizers": wanted}}, MERGE_PATCH)
        self.client.delete(res, self.namespace, name)

    def sync_app(self, name: str, request: SyncRequest) -> dict[str, Any]:
        from kedge.controller import operations

        app = self._get("Application", name, "application")
        options = None
        if request.sync_options:
            spec_options = list(((app.get("spec") or {}).get("syncPolicy") or {}).get("syncOptions") or [])
            keys = {o.split("=")[0] for o in request.sync_options}
            options = [o for o in spec_options if o.split("=")[0] not in keys] + list(request.sync_options)
        strategy = request.strategy or ("apply" if request.force else "")
        return operations.request_sync(
            self.client,
            self.namespace,
            name,
            revision=request.revision or None,
            prune=request.prune,
            dry_run=request.dry_run,
            resources=list(request.resources) or None,
            sync_options=options,
            strategy={strategy: {"force": request.force}} if strategy else None,
            retry=request.retry,
            initiated_by=self.username,
        )

    def rollback_app(
        self, name: str, history_id: int, prune: bool = False, dry_run: bool = False
    ) -> dict[str, Any]:
        from kedge.controller import operations

        return operations.rollback(
            self.client,
            self.namespace,
            name,
            history_id,
            prune=prune,
            dry_run=dry_run,
            initiated_by=self.username,
        )

    def terminate_op(self, name: str) -> None:
        from kedge.controller import operations

        operations.terminate_operation(self.client, self.namespace, name)

    def diff_app(
        self,
        name: str,
        local: str | None = None,
        revision: str | None = None,
        server_side: bool = False,
        hard_refresh: bool = False,
        color: bool = False,
    ) -> list[ResourceDiffView]:
        _, result = self.view().compare(
            name, local=local, revision=revision, server_side=server_side, hard_refresh=hard_refresh
        )
        errors = [c for c in result.conditions if c.get("type", "").endswith("Error")]
        if errors:
            raise KedgeError("; ".join(f"{c['type']}: {c.get('message', '')}" for c in errors))
        out: list[ResourceDiffView] = []
        for r in result.resources:
            if r.diff is None and r.live is None and r.target is None:
                continue
            text = r.diff.unified(color=color) if r.diff is not None else ""
            modified = bool(r.diff.modified) if r.diff is not None else False
            out.append(ResourceDiffView(r.key.group, r.key.kind, r.key.namespace, r.key.name, text, modified))
        return out

    def labelled_resources(self, name: str, labels: dict[str, str]) -> list[dict[str, str]]:
        _, result = self.view().compare(name)
        out = []
        for r in result.resources:
            obj = r.target or r.live or {}
            have = (obj.get("metadata") or {}).get("labels") or {}
            if all(have.get(k) == v for k, v in labels.items()):
                out.append(
                    {
                        "group": r.key.group,
                        "kind": r.key.kind,
                        "namespace": r.key.namespace,
                        "name": r.key.name,
                    }
                )
        return out

    def orphaned_resources(self, name: str) -> list[dict[str, Any]]:
        app = self._get("Application", name, "application")
        dest_ns = ((app.get("spec") or {}).get("destination") or {}).get("namespace")
        if not dest_ns:
            return []
        managed = {
            (r.get("group", ""), r.get("kind"), r.get("name"))
            for r in (app.get("status") or {}).get("resources") or []
        }
        out: list[dict[str, Any]] = []
        for res in self.client.preferred_resources():
            if (
                not res.namespaced
                or "list" not in res.verbs
                or res.kind in ("Event", "Endpoints", "EndpointSlice")
            ):
                continue
            try:
                items, _ = self.client.list(res, dest_ns)
            except KubeError:
                continue
            for obj in items:
                meta = obj.get("metadata") or {}
                key = (res.group, res.kind, meta.get("name"))
                if meta.get("ownerReferences") or key in managed or key in ORPHAN_IGNORED:
                    continue
                out.append(
                    {"group": res.group, "kind": res.kind, "namespace": dest_ns, "name": meta.get("name")}
                )
        return sorted(out, key=lambda r: (r["group"], r["kind"], r["name"]))

    def manifests(self, name: str, source: str = "git", revision: str | None = None) -> list[dict[str, Any]]:
        app = self._get("Application", name, "application")
        if source == "git":
            manifests, _ = self.view().desired(app, revision=revision)
            return manifests
        out = []
        for r in (app.get("status") or {}).get("resources") or []:
            api_version = f"{r['group']}/{r['version']}" if r.get("group") else r.get("version", "v1")
            res = self.client.resource_for(api_version, r["kind"])
            if res is None:
                continue
            obj = self.client.get(res, r.get("namespace") if res.namespaced else None, r["name"])
            if obj is not None:
                obj.setdefault("apiVersion", api_version)
                obj.setdefault("kind", r["kind"])
                if r["kind"] == "Secret":
                    obj["data"] = {k: "++++++++" for k in obj.get("data") or {}}
                out.append(obj)
        return out

    def _live_resource(self, name: str, ref: dict[str, str]) -> tuple[Any, dict[str, Any]]:
        app = self._get("Application", name, "application")
        matches = [
            r
            for r in (app.get("status") or {}).get("resources") or []
            if r.get("kind") == ref["kind"]
            and r.get("name") == ref["name"]
            and (not ref.get("group") or r.get("group", "") == ref["group"])
            and (not ref.get("namespace") or r.get("namespace", "") == ref["namespace"])
        ]
        if not matches:
            raise KedgeError(f"{ref['kind']} {ref['name']} is not a resource of application {name}")
        r = matches[0]
        api_version = f"{r['group']}/{r['version']}" if r.get("group") else r.get("version", "v1")
        res = self._res(r["kind"], api_version)
        obj = self.client.get(res, r.get("namespace") if res.namespaced else None, r["name"])
        if obj is None:
            raise KedgeError(f"{r['kind']} {r['name']} does not exist in the cluster")
        obj.setdefault("apiVersion", api_version)
        obj.setdefault("kind", r["kind"])
        return res, obj

    def resource_actions(self, name: str, ref: dict[str, str]) -> list[dict[str, Any]]:
        from kedge.actions import engine
        from kedge.health import ResourceOverrides

        _, obj = self._live_resource(name, ref)
        return engine.discover(obj, ResourceOverrides.from_configmap(self.view().settings().cm))

    def run_resource_action(
        self, name: str, ref: dict[str, str], action: str, params: dict[str, str]
    ) -> None:
        """Run a Lua action; a changed object is written as a JSON patch of exactly what the action
        changed (with a resourceVersion test, so a concurrent change is not overwritten)."""
        import jsonpatch

        from kedge.actions import engine
        from kedge.health import ResourceOverrides

        res, obj = self._live_resource(name, ref)
        results = engine.run(obj, action, params, ResourceOverrides.from_configmap(self.view().settings().cm))
        for item in results:
            target = item["resource"]
            meta = target.get("metadata") or {}
            if item.get("operation") == engine.CREATE:
                target.setdefault("metadata", {}).setdefault("namespace", obj["metadata"].get("namespace"))
                self.client.create(target, field_manager="argocd-controller")
                continue
            if meta.get("name") != obj["metadata"]["name"]:
                raise KedgeError(
                    f"action {action!r} returned a different object ({meta.get('name')}) to patch"
                )
            ops = jsonpatch.make_patch(obj, target).patch
            if not ops:
                continue
            ops.insert(
                0,
                {
                    "op": "test",
                    "path": "/metadata/resourceVersion",
                    "value": obj["metadata"]["resourceVersion"],
                },
            )
            ns = obj["metadata"].get("namespace") if res.namespaced else None
            self.client.patch(
                res, ns, obj["metadata"]["name"], ops, JSON_PATCH, field_manager="argocd-controller"
            )

    def sync_window(self, app: dict[str, Any]) -> str:
        """Argo CD's SyncWindow line: Sync Allowed, Manual Allowed or Sync Denied."""
        from kedge.controller.windows import can_sync, matching_windows

        proj = self.view().project(app)
        if not matching_windows(proj, app) or can_sync(proj, app, manual=False):
            return "Sync Allowed"
        return "Manual Allowed" if can_sync(proj, app, manual=True) else "Sync Denied"

    @property
    def url_base(self) -> str:
        """``url`` from argocd-cm (the app's URL in ``app get``), "" when unset."""
        try:
            cm = self.client.get(self._res("ConfigMap", "v1"), self.namespace, "argocd-cm") or {}
        except KubeError:
            return ""
        return str((cm.get("data") or {}).get("url") or "")

    # -- projects ------------------------------------------------------------------------------
    def list_projects(self) -> list[dict[str, Any]]:
        items, _ = self.client.list(self._res("AppProject"), self.namespace)
        return sorted(items, key=lambda p: p["metadata"]["name"])

    def get_project(self, name: str) -> dict[str, Any]:
        return self._get("AppProject", name, "project")

    def create_project(self, project: dict[str, Any], upsert: bool = False) -> dict[str, Any]:
        self._ensure_namespace()
        res = self._res("AppProject")
        project = {**project, "metadata": {**(project.get("metadata") or {}), "namespace": self.namespace}}
        name = project["metadata"]["name"]
        existing = self.client.get(res, self.namespace, name)
        if existing is None:
            return self.client.create(project, field_manager="kedge-cli")
        if existing.get("spec") == project.get("spec"):
            return existing
        if not upsert:
            raise KedgeError(
                f"existing project spec is different, use upsert flag to force update (project {name})"
            )
        existing["spec"] = project.get("spec")
        return self.client.replace(existing, field_manager="kedge-cli")

    def update_project(self, project: dict[str, Any]) -> dict[str, Any]:
        return self.client.replace(project, field_manager="kedge-cli")

    def delete_project(self, name: str) -> None:
        self._get("AppProject", name, "project")
        used = [
            a["metadata"]["name"] for a in self.list_apps() if (a.get("spec") or {}).get("project") == name
        ]
        if used:
            raise KedgeError(
                f"project {name} is referenced by {len(used)} applications: {', '.join(used[:5])}"
            )
        self.client.delete(self._res("AppProject"), self.namespace, name)

    def _issuer(self) -> Any:
        from kedge.auth import TokenIssuer

        secret = self.client.get(self._res("Secret", "v1"), self.namespace, "argocd-secret")
        key = secret_data(secret).get("server.secretkey") if secret else None
        if not key:
            raise KedgeError(f"argocd-secret in namespace {self.namespace} has no server.secretkey")
        return TokenIssuer(key)

    def create_project_token(
        self, project: str, role: str, expires_in: float | None, token_id: str | None
    ) -> str:
        proj = self.get_project(project)
        roles = (proj.get("spec") or {}).get("roles") or []
        r = next((x for x in roles if x.get("name") == role), None)
        if r is None:
            raise KedgeError(f"project {project} has no role {role!r}")
        token, claims = self._issuer().issue_api_token(
            f"proj:{project}:{role}", expires_in=expires_in or None, token_id=token_id, project=True
        )
        entry: dict[str, Any] = {"iat": claims.issued_at, "id": claims.token_id}
        if claims.expires_at:
            entry["exp"] = claims.expires_at
        r.setdefault("jwtTokens", []).append(entry)
        status = proj.setdefault("status", {})
        status.setdefault("jwtTokensByRole", {}).setdefault(role, {}).setdefault("items", []).append(entry)
        self.update_project(proj)
        return token

    def delete_project_token(
        self, project: str, role: str, issued_at: int, token_id: str | None = None
    ) -> None:
        proj = self.get_project(project)
        r = next((x for x in (proj.get("spec") or {}).get("roles") or [] if x.get("name") == role), None)
        if r is None:
            raise KedgeError(f"project {project} has no role {role!r}")

        def keep(t: dict[str, Any]) -> bool:
            return not (int(t.get("iat", -1)) == issued_at or (token_id and t.get("id") == token_id))

        before = len(r.get("jwtTokens") or [])
        r["jwtTokens"] = [t for t in r.get("jwtTokens") or [] if keep(t)]
        if len(r["jwtTokens"]) == before:
            raise KedgeError(f"role {role} of project {project} has no token issued at {issued_at}")
        by_role = ((proj.get("status") or {}).get("jwtTokensByRole") or {}).get(role)
        if by_role:
            by_role["items"] = [t for t in by_role.get("items") or [] if keep(t)]
        self.update_project(proj)

    # -- repositories --------------------------------------------------------------------------
    def list_repos(self, creds: bool = False) -> list[dict[str, Any]]:
        out = []
        for s in self._secrets("repo-creds" if creds else "repository"):
            d = secret_data(s)
            item: dict[str, Any] = {"repo" if not creds else "url": d.get("url", "")}
            for key in ("type", "name", "username", "project"):
                if d.get(key):
                    item[key] = d[key]
            item["insecure"] = d.get("insecure") == "true"
            item["enableLfs"] = d.get("enableLfs") == "true"
            item["enableOCI"] = d.get("enableOCI") == "true"
            item["hasCredentials"] = bool(d.get("password") or d.get("sshPrivateKey") or d.get("username"))
            item["hasSSHKey"] = bool(d.get("sshPrivateKey"))
            item["hasTLSCert"] = bool(d.get("tlsClientCertData"))
            out.append(item)
        key = "url" if creds else "repo"
        return sorted(out, key=lambda r: r[key])

    def create_repo(self, repo: dict[str, Any], upsert: bool = False, creds: bool = False) -> dict[str, Any]:
        self._ensure_namespace()
        url = repo.get("url" if creds else "repo") or ""
        stype = "repo-creds" if creds else "repository"
        name = f"{'creds' if creds else 'repo'}-{fnv32a(url)}"
        string_data = {"url": url}
        for key in (
            "type",
            "name",
            "username",
            "password",
            "sshPrivateKey",
            "project",
            "tlsClientCertData",
            "tlsClientCertKey",
            "proxy",
        ):
            if repo.get(key):
                string_data[key] = str(repo[key])
        for key in ("insecure", "enableLfs", "enableOCI"):
            if repo.get(key):
                string_data[key] = "true"
        replacing: dict[str, Any] | None = None
        for existing in self._secrets(stype):
            if secret_data(existing).get("url") == url:
                if secret_data(existing) == string_data:
                    return self._public_repo(string_data, creds)
                if not upsert:
                    raise KedgeError(
                        f"existing {'repository credentials' if creds else 'repository'} spec is different; "
                        f"use upsert flag to force update ({url})"
                    )
                replacing = existing
                break
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": {SECRET_TYPE_LABEL: stype},
                "annotations": {"managed-by": "argocd.argoproj.io"},
            },
            "data": {k: _b64(v) for k, v in string_data.items()},
        }
        self._write_secret(body, replacing)
        return self._public_repo(string_data, creds)

    @staticmethod
    def _public_repo(data: dict[str, str], creds: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"url" if creds else "repo": data["url"]}
        for key in ("type", "name", "username", "project"):
            if data.get(key):
                out[key] = data[key]
        return out

    def delete_repo(self, url: str, creds: bool = False) -> None:
        for s in self._secrets("repo-creds" if creds else "repository"):
            if secret_data(s).get("url") == url:
                self.client.delete(self._res("Secret", "v1"), self.namespace, s["metadata"]["name"])
                return
        raise KedgeError(f"{'repository credentials' if creds else 'repository'} {url!r} not found")

    # -- clusters ------------------------------------------------------------------------------
    def list_clusters(self) -> list[dict[str, Any]]:
        out = []
        for s in self._secrets("cluster"):
            d = secret_data(s)
            item: dict[str, Any] = {"server": d.get("server", ""), "name": d.get("name", "")}
            if d.get("namespaces"):
                item["namespaces"] = [n for n in d["namespaces"].split(",") if n]
            if d.get("project"):
                item["project"] = d["project"]
            item["info"] = {"connectionState": {"status": "Unknown"}}
            if item["server"] == IN_CLUSTER_SERVER:
                item["info"] = self._in_cluster_info()
            out.append(item)
        if not any(c["server"] == IN_CLUSTER_SERVER for c in out):
            out.insert(
                0,
                {
                    "server": IN_CLUSTER_SERVER,
                    "name": IN_CLUSTER_NAME,
                    "info": self._in_cluster_info(),
                },
            )
        return out

    def _in_cluster_info(self) -> dict[str, Any]:
        try:
            v = self.client.version()
        except KubeError as exc:
            return {"connectionState": {"status": "Failed", "message": str(exc)}}
        version = f"{v.get('major', '')}.{str(v.get('minor', '')).rstrip('+')}"
        return {"serverVersion": version, "connectionState": {"status": "Successful"}}

    def create_cluster(self, cluster: dict[str, Any], upsert: bool = False) -> dict[str, Any]:
        self._ensure_namespace()
        from urllib.parse import urlsplit

        server = cluster["server"]
        host = (urlsplit(server).hostname or "cluster").lower()
        name = f"cluster-{host}-{fnv32a(server)}"
        data = {
            "server": server,
            "name": cluster.get("name") or server,
            "config": json.dumps(cluster.get("config") or {}, sort_keys=True),
        }
        if cluster.get("namespaces"):
            data["namespaces"] = ",".join(cluster["namespaces"])
        if cluster.get("project"):
            data["project"] = cluster["project"]
        replacing: dict[str, Any] | None = None
        for existing in self._secrets("cluster"):
            if secret_data(existing).get("server") == server:
                if not upsert:
                    raise KedgeError(f"cluster {server} already exists; use --upsert to replace it")
                replacing = existing
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": {SECRET_TYPE_LABEL: "cluster"},
                "annotations": {"managed-by": "argocd.argoproj.io"},
            },
            "data": {k: _b64(v) for k, v in data.items()},
        }
        self._write_secret(body, replacing)
        return {"server": server, "name": data["name"]}

    def _write_secret(self, body: dict[str, Any], replacing: dict[str, Any] | None) -> None:
        """Create the Secret, or replace ``replacing`` in place (same name, resourceVersion-guarded)."""
        if replacing is None:
            self.client.create(body, field_manager="kedge-cli")
            return
        body["metadata"]["name"] = replacing["metadata"]["name"]
        body["metadata"]["resourceVersion"] = replacing["metadata"]["resourceVersion"]
        self.client.replace(body, field_manager="kedge-cli")

    def delete_cluster(self, server_or_name: str) -> None:
        for s in self._secrets("cluster"):
            d = secret_data(s)
            if server_or_name in (d.get("server"), d.get("name")):
                self.client.delete(self._res("Secret", "v1"), self.namespace, s["metadata"]["name"])
                return
        if server_or_name in (IN_CLUSTER_SERVER, IN_CLUSTER_NAME):
            raise KedgeError("the in-cluster destination is implicit and cannot be removed")
        raise KedgeError(f"cluster {server_or_name!r} not found")

    # -- accounts ------------------------------------------------------------------------------
    def _settings(self) -> Any:
        self._view = None
        return self.view().settings()

    def list_accounts(self) -> list[dict[str, Any]]:
        accounts = self._settings().accounts()
        out = []
        for name in sorted(accounts):
            a = accounts[name]
            try:
                tokens = json.loads(a.tokens or "[]")
            except ValueError:
                tokens = []
            out.append(
                {"name": name, "enabled": a.enabled, "capabilities": list(a.capabilities), "tokens": tokens}
            )
        return out

    def user_info(self) -> dict[str, Any]:
        return {"loggedIn": False, "username": "", "iss": "", "groups": [], "mode": "core"}

    def can_i(self, action: str, resource: str, subresource: str) -> bool:
        raise NotSupported(
            "account can-i needs a logged-in user: run `kedge login SERVER` "
            "(or test a policy with `kedge admin settings rbac can`)"
        )

    def update_password(self, account: str, current: str, new: str) -> None:
        from kedge.auth import hash_password, verify_password

        accounts = self._settings().accounts()
        a = accounts.get(account)
        if a is None:
            raise KedgeError(f"account {account!r} does not exist")
        if not verify_password(current, a.password_hash):
            raise KedgeError("current password does not match")
        if len(new) < 8:
            raise KedgeError("the new password must be at least 8 characters")
        key = "admin.password" if account == "admin" else f"accounts.{account}.password"
        mtime = "admin.passwordMtime" if account == "admin" else f"accounts.{account}.passwordMtime"
        self._patch_argocd_secret({key: hash_password(new), mtime: now_rfc3339()})

    def _patch_argocd_secret(self, values: dict[str, str]) -> None:
        res = self._res("Secret", "v1")
        body = {"data": {k: _b64(v) for k, v in values.items()}}
        if self.client.get(res, self.namespace, "argocd-secret") is None:
            raise KedgeError(f"argocd-secret does not exist in namespace {self.namespace}")
        self.client.patch(res, self.namespace, "argocd-secret", body, MERGE_PATCH, field_manager="kedge-cli")

    def generate_token(self, account: str, expires_in: float | None, token_id: str | None) -> str:
        a = self._settings().accounts().get(account)
        if a is None:
            raise KedgeError(f"account {account!r} does not exist")
        if "apiKey" not in a.capabilities:
            raise KedgeError(f"account {account} does not have the apiKey capability")
        token, claims = self._issuer().issue_api_token(
            account, expires_in=expires_in or None, token_id=token_id
        )
        try:
            tokens = json.loads(a.tokens or "[]")
        except ValueError:
            tokens = []
        entry: dict[str, Any] = {"id": claims.token_id, "iat": claims.issued_at}
        if claims.expires_at:
            entry["exp"] = claims.expires_at
        tokens.append(entry)
        self._patch_argocd_secret({f"accounts.{account}.tokens": json.dumps(tokens)})
        return token
