"""API mode: HTTP/JSON to a Kedge (or Argo CD-compatible) API server, with Argo CD's REST paths.

The bearer token comes from ``kedge login`` (the config file) or ``--auth-token``. Every request
has a timeout; errors become :class:`~kedge.errors.KedgeError` with the server's message.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from kedge.cli.client.base import Backend, NotSupported, ResourceDiffView, SyncRequest
from kedge.errors import KedgeError

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def base_url(server: str, plaintext: bool = False) -> str:
    """``host:port`` (or a URL) -> the API's base URL."""
    server = server.strip().rstrip("/")
    if "://" in server:
        return server
    return f"{'http' if plaintext else 'https'}://{server}"


def _q(value: str) -> str:
    return quote(value, safe="")


class APIBackend(Backend):
    mode = "api"

    def __init__(self, server: str, token: str = "", insecure: bool = False, plaintext: bool = False) -> None:
        self.server = server
        self.url_base = base_url(server, plaintext)
        headers = {"Accept": "application/json", "User-Agent": "kedge-cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(
            base_url=self.url_base, headers=headers, verify=not insecure, timeout=TIMEOUT
        )
        self.username = ""

    def close(self) -> None:
        self.http.close()

    # -- plumbing ------------------------------------------------------------------------------
    def call(self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        q = {k: v for k, v in (params or {}).items() if v not in (None, "", [], ())}
        try:
            resp = self.http.request(method, path, params=q, json=body)
        except httpx.HTTPError as exc:
            text = str(exc)
            hint = ""
            if "CERTIFICATE_VERIFY_FAILED" in text:
                hint = " (a self-signed certificate? add --insecure)"
            elif "WRONG_VERSION_NUMBER" in text or "record layer" in text:
                hint = " (a plain HTTP server? add --plaintext)"
            raise KedgeError(
                f"cannot reach the API server {self.url_base}: {type(exc).__name__}: {text}{hint}"
            ) from None
        if resp.status_code >= 400:
            try:
                doc = resp.json()
                message = doc.get("message") or doc.get("error") or resp.text
            except ValueError:
                message = resp.text.strip() or resp.reason_phrase
            if resp.status_code == 401:
                raise KedgeError(f"{message} (log in again with `kedge login {self.server}`)")
            if resp.status_code == 404 and not message:
                raise NotSupported(f"the API server has no {method} {path}; try --core")
            raise KedgeError(message)
        if not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            raise KedgeError(f"{method} {path}: the server answered with non-JSON content") from None

    # -- applications --------------------------------------------------------------------------
    def list_apps(self, selector: str | None = None, projects: Sequence[str] = ()) -> list[dict[str, Any]]:
        doc = self.call("GET", "/api/v1/applications", {"selector": selector, "projects": list(projects)})
        return sorted(doc.get("items") or [], key=lambda a: a["metadata"]["name"])

    def get_app(self, name: str, refresh: str | None = None) -> dict[str, Any]:
        return self.call("GET", f"/api/v1/applications/{_q(name)}", {"refresh": refresh})

    def create_app(self, app: dict[str, Any], upsert: bool = False) -> dict[str, Any]:
        return self.call("POST", "/api/v1/applications", {"upsert": "true" if upsert else None}, app)

    def update_app_spec(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return self.call("PUT", f"/api/v1/applications/{_q(name)}/spec", None, spec)

    def patch_app(self, name: str, patch: Any, patch_type: str = "merge") -> dict[str, Any]:
        body = {"name": name, "patch": json.dumps(patch), "patchType": patch_type}
        return self.call("PATCH", f"/api/v1/applications/{_q(name)}", None, body)

    def delete_app(self, name: str, cascade: bool = True, propagation: str = "foreground") -> None:
        self.call(
            "DELETE",
            f"/api/v1/applications/{_q(name)}",
            {"cascade": "true" if cascade else "false", "propagationPolicy": propagation},
        )

    def sync_app(self, name: str, request: SyncRequest) -> dict[str, Any]:
        if request.sync_options:
            # flags add to the app's own sync options (CreateNamespace=true and friends stay)
            spec = self.get_app(name).get("spec") or {}
            keys = {o.split("=")[0] for o in request.sync_options}
            own = [
                o
                for o in (spec.get("syncPolicy") or {}).get("syncOptions") or []
                if o.split("=")[0] not in keys
            ]
            request = dataclasses.replace(request, sync_options=own + list(request.sync_options))
        return self.call("POST", f"/api/v1/applications/{_q(name)}/sync", None, request.to_api(name))

    def rollback_app(
        self, name: str, history_id: int, prune: bool = False, dry_run: bool = False
    ) -> dict[str, Any]:
        body = {"name": name, "id": history_id, "prune": prune, "dryRun": dry_run}
        return self.call("POST", f"/api/v1/applications/{_q(name)}/rollback", None, body)

    def terminate_op(self, name: str) -> None:
        self.call("DELETE", f"/api/v1/applications/{_q(name)}/operation")

    def diff_app(
        self,
        name: str,
        local: str | None = None,
        revision: str | None = None,
        server_side: bool = False,
        hard_refresh: bool = False,
        color: bool = False,
    ) -> list[ResourceDiffView]:
        if local or revision or server_side:
            raise NotSupported("app diff --local/--revision/--server-side run in core mode: add --core")
        if hard_refresh:
            self.get_app(name, refresh="hard")
        from kedge.diff import textdiff

        doc = self.call("GET", f"/api/v1/applications/{_q(name)}/managed-resources")
        out = []
        for item in doc.get("items") or []:
            live = _state(item.get("normalizedLiveState") or item.get("liveState"))
            target = _state(item.get("predictedLiveState") or item.get("targetState"))
            text = textdiff.unified(live, target, color=color)
            out.append(
                ResourceDiffView(
                    item.get("group", ""),
                    item.get("kind", ""),
                    item.get("namespace", ""),
                    item.get("name", ""),
                    text,
                    bool(item.get("modified")) or bool(text),
                )
            )
        return out

    def labelled_resources(self, name: str, labels: dict[str, str]) -> list[dict[str, str]]:
        doc = self.call("GET", f"/api/v1/applications/{_q(name)}/managed-resources")
        out = []
        for item in doc.get("items") or []:
            obj = _state(item.get("targetState")) or _state(item.get("liveState")) or {}
            have = (obj.get("metadata") or {}).get("labels") or {}
            if all(have.get(k) == v for k, v in labels.items()):
                out.append({k: item.get(k, "") for k in ("group", "kind", "namespace", "name")})
        return out

    def sync_window(self, app: dict[str, Any]) -> str | None:
        """Argo CD's SyncWindow line, from the app's project as the API returns it (None when the
        project cannot be read)."""
        from kedge.controller.windows import can_sync, matching_windows

        name = (app.get("spec") or {}).get("project") or "default"
        try:
            proj = self.get_project(name)
        except KedgeError:
            return "Sync Allowed" if name == "default" else None  # the implicit default project
        if not matching_windows(proj, app) or can_sync(proj, app, manual=False):
            return "Sync Allowed"
        return "Manual Allowed" if can_sync(proj, app, manual=True) else "Sync Denied"

    def orphaned_resources(self, name: str) -> list[dict[str, Any]]:
        tree = self.call("GET", f"/api/v1/applications/{_q(name)}/resource-tree")
        return [
            {
                "group": n.get("group", ""),
                "kind": n.get("kind"),
                "namespace": n.get("namespace", ""),
                "name": n.get("name"),
            }
            for n in tree.get("orphanedNodes") or []
        ]

    def manifests(self, name: str, source: str = "git", revision: str | None = None) -> list[dict[str, Any]]:
        if source == "git":
            doc = self.call("GET", f"/api/v1/applications/{_q(name)}/manifests", {"revision": revision})
            return [_state(m) for m in doc.get("manifests") or [] if m]
        doc = self.call("GET", f"/api/v1/applications/{_q(name)}/managed-resources")
        return [s for s in (_state(i.get("liveState")) for i in doc.get("items") or []) if s]

    def _ref_query(self, name: str, ref: dict[str, str]) -> dict[str, Any]:
        """Query parameters naming one resource of the app (the version comes from its status)."""
        version = ""
        for r in (self.get_app(name).get("status") or {}).get("resources") or []:
            if (
                r.get("kind") == ref.get("kind")
                and r.get("name") == ref.get("name")
                and (not ref.get("group") or r.get("group", "") == ref["group"])
            ):
                version = r.get("version", "")
                ref = {**ref, "namespace": ref.get("namespace") or r.get("namespace", "")}
                break
        if not version:
            raise KedgeError(f"{ref.get('kind')} {ref.get('name')} is not a resource of application {name}")
        return {
            "namespace": ref.get("namespace"),
            "resourceName": ref.get("name"),
            "group": ref.get("group"),
            "kind": ref.get("kind"),
            "version": version,
        }

    def resource_actions(self, name: str, ref: dict[str, str]) -> list[dict[str, Any]]:
        doc = self.call(
            "GET", f"/api/v1/applications/{_q(name)}/resource/actions", self._ref_query(name, ref)
        )
        return doc.get("actions") or []

    def run_resource_action(
        self, name: str, ref: dict[str, str], action: str, params: dict[str, str]
    ) -> None:
        body = {
            "action": action,
            "resourceActionParameters": [{"name": k, "value": v} for k, v in params.items()],
        }
        self.call(
            "POST", f"/api/v1/applications/{_q(name)}/resource/actions", self._ref_query(name, ref), body
        )

    # -- projects ------------------------------------------------------------------------------
    def list_projects(self) -> list[dict[str, Any]]:
        return sorted(
            self.call("GET", "/api/v1/projects").get("items") or [], key=lambda p: p["metadata"]["name"]
        )

    def get_project(self, name: str) -> dict[str, Any]:
        return self.call("GET", f"/api/v1/projects/{_q(name)}")

    def create_project(self, project: dict[str, Any], upsert: bool = False) -> dict[str, Any]:
        return self.call("POST", "/api/v1/projects", None, {"project": project, "upsert": upsert})

    def update_project(self, project: dict[str, Any]) -> dict[str, Any]:
        return self.call(
            "PUT", f"/api/v1/projects/{_q(project['metadata']['name'])}", None, {"project": project}
        )

    def delete_project(self, name: str) -> None:
        self.call("DELETE", f"/api/v1/projects/{_q(name)}")

    def create_project_token(
        self, project: str, role: str, expires_in: float | None, token_id: str | None
    ) -> str:
        body: dict[str, Any] = {"project": project, "role": role, "expiresIn": int(expires_in or 0)}
        if token_id:
            body["id"] = token_id
        doc = self.call("POST", f"/api/v1/projects/{_q(project)}/roles/{_q(role)}/token", None, body)
        return doc["token"]

    def delete_project_token(
        self, project: str, role: str, issued_at: int, token_id: str | None = None
    ) -> None:
        self.call(
            "DELETE",
            f"/api/v1/projects/{_q(project)}/roles/{_q(role)}/token/{issued_at}",
            {"id": token_id},
        )

    # -- repositories, clusters ----------------------------------------------------------------
    def list_repos(self, creds: bool = False) -> list[dict[str, Any]]:
        items = self.call("GET", "/api/v1/repocreds" if creds else "/api/v1/repositories").get("items") or []
        for r in items:
            r.setdefault("hasCredentials", bool(r.get("username") or r.get("hasCredentials")))
        return items

    def create_repo(self, repo: dict[str, Any], upsert: bool = False, creds: bool = False) -> dict[str, Any]:
        path = "/api/v1/repocreds" if creds else "/api/v1/repositories"
        return self.call("POST", path, {"upsert": "true" if upsert else None}, repo)

    def delete_repo(self, url: str, creds: bool = False) -> None:
        self.call("DELETE", f"/api/v1/{'repocreds' if creds else 'repositories'}/{_q(url)}")

    def list_clusters(self) -> list[dict[str, Any]]:
        return self.call("GET", "/api/v1/clusters").get("items") or []

    def create_cluster(self, cluster: dict[str, Any], upsert: bool = False) -> dict[str, Any]:
        return self.call("POST", "/api/v1/clusters", {"upsert": "true" if upsert else None}, cluster)

    def delete_cluster(self, server_or_name: str) -> None:
        if "://" in server_or_name:
            self.call("DELETE", f"/api/v1/clusters/{_q(server_or_name)}")
        else:
            self.call("DELETE", f"/api/v1/clusters/{_q(server_or_name)}", {"id.type": "name"})

    # -- accounts ------------------------------------------------------------------------------
    def list_accounts(self) -> list[dict[str, Any]]:
        return self.call("GET", "/api/v1/account").get("items") or []

    def user_info(self) -> dict[str, Any]:
        return self.call("GET", "/api/v1/session/userinfo")

    def can_i(self, action: str, resource: str, subresource: str) -> bool:
        doc = self.call(
            "GET", f"/api/v1/account/can-i/{_q(resource)}/{_q(action)}/{quote(subresource, safe='/')}"
        )
        return str(doc.get("value", "")).lower() == "yes"

    def update_password(self, account: str, current: str, new: str) -> None:
        self.call(
            "PUT",
            "/api/v1/account/password",
            None,
            {"name": account, "currentPassword": current, "newPassword": new},
        )

    def generate_token(self, account: str, expires_in: float | None, token_id: str | None) -> str:
        body: dict[str, Any] = {"name": account, "expiresIn": int(expires_in or 0)}
        if token_id:
            body["id"] = token_id
        return self.call("POST", f"/api/v1/account/{_q(account)}/token", None, body)["token"]

    # -- session -------------------------------------------------------------------------------
    def login(self, username: str, password: str) -> str:
        return self.call("POST", "/api/v1/session", None, {"username": username, "password": password})[
            "token"
        ]

    def logout(self) -> None:
        self.call("DELETE", "/api/v1/session")


def _state(value: Any) -> dict[str, Any] | None:
    """Managed-resources states are JSON strings (``"null"`` for missing)."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return None
