"""A thin, fast JSON client over the official ``kubernetes`` package.

The official client does the hard parts (kubeconfig parsing, exec credential plugins, token
refresh, TLS client certificates, the connection pool); Kedge talks raw JSON through it instead
of the generated models, because the controller handles arbitrary kinds and big lists, and
model (de)serialisation would dominate its CPU time.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from kedge.errors import KedgeError
from kedge.kube.transport import TransportError, basic_auth, curl_transport

DEFAULT_TIMEOUT = 30.0
APPLY_PATCH = "application/apply-patch+yaml"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"


class KubeError(KedgeError):
    """An API error: ``status`` (HTTP code), ``reason`` (Kubernetes reason, e.g. NotFound)."""

    def __init__(self, status: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.details = details or {}

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409

    @property
    def gone(self) -> bool:
        return self.status == 410


@dataclass(frozen=True)
class APIResource:
    """One served resource type (from discovery)."""

    group: str
    version: str
    kind: str
    name: str  # plural, e.g. "deployments"
    namespaced: bool
    verbs: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_kind(self) -> str:
        return f"{self.group}/{self.kind}"

    def path(self, namespace: str | None = None, name: str | None = None, subresource: str = "") -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.name}"
        if name:
            base += f"/{quote(name, safe='')}"
        if subresource:
            base += f"/{subresource}"
        return base


class KubeClient:
    """JSON access to one cluster. Thread-safe (the underlying pool is)."""

    def __init__(self, api_client: Any, timeout: float = DEFAULT_TIMEOUT, name: str = "") -> None:
        self.api = api_client
        self.timeout = timeout
        self.name = name or api_client.configuration.host
        self._host = api_client.configuration.host.rstrip("/")
        self._resources: dict[tuple[str, str], APIResource] | None = None
        self._preferred_versions: dict[str, str] = {"": "v1"}
        self._lock = threading.Lock()
        self._curl = curl_transport(api_client.configuration)

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_kubeconfig(
        cls,
        path: str | None = None,
        context: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        qps_pool: int = 32,
    ) -> KubeClient:
        from kubernetes import client, config

        configuration = client.Configuration()
        try:
            config.load_kube_config(config_file=path, context=context, client_configuration=configuration)
        except (config.ConfigException, OSError, TypeError) as exc:
            raise KedgeError(f"kubeconfig {path or '~/.kube/config'}: {exc}") from None
        configuration.connection_pool_maxsize = qps_pool
        _throttle_refresh(configuration)
        return cls(client.ApiClient(configuration), timeout, name=context or configuration.host)

    @classmethod
    def connect(
        cls, kubeconfig: str | None = None, context: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> KubeClient:
        """The management cluster: ``kubeconfig`` when given; else the pod's service account when
        running inside Kubernetes; else ``$KUBECONFIG`` / ``~/.kube/config``."""
        if kubeconfig or not os.environ.get("KUBERNETES_SERVICE_HOST"):
            return cls.from_kubeconfig(kubeconfig, context, timeout=timeout)
        from kubernetes import client, config

        configuration = client.Configuration()
        try:
            config.load_incluster_config(client_configuration=configuration)
        except config.ConfigException as exc:
            raise KedgeError(f"in-cluster configuration: {exc}") from None
        configuration.connection_pool_maxsize = 32
        return cls(client.ApiClient(configuration), timeout, name="in-cluster")

    @classmethod
    def from_cluster_secret(
        cls, server: str, config_json: dict[str, Any], name: str = "", timeout: float = DEFAULT_TIMEOUT
    ) -> KubeClient:
        """From an Argo CD cluster Secret's ``server`` and ``config`` (bearerToken,
        username/password, tlsClientConfig {insecure, caData, certData, keyData, serverName})."""
        from kubernetes import client

        configuration = client.Configuration()
        configuration.host = server.rstrip("/")
        if config_json.get("bearerToken"):
            configuration.api_key = {"authorization": "Bearer " + config_json["bearerToken"]}
        elif config_json.get("username"):
            configuration.username = config_json["username"]
            configuration.password = config_json.get("password", "")
        tls = config_json.get("tlsClientConfig") or {}
        configuration.verify_ssl = not tls.get("insecure", False)
        for attr, key in (("ssl_ca_cert", "caData"), ("cert_file", "certData"), ("key_file", "keyData")):
            if tls.get(key):
                setattr(configuration, attr, _pem_file(tls[key]))
        if tls.get("serverName"):
            configuration.tls_server_name = tls["serverName"]
        configuration.connection_pool_maxsize = 32
        return cls(client.ApiClient(configuration), timeout, name=name or server)

    # -- raw requests ----------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | None = None,
        stream: bool = False,
    ) -> Any:
        """Send a request; returns the decoded JSON body (or the raw response when ``stream``).
        Raises :class:`KubeError` for API errors and for transport failures (status 0)."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        elif body is not None:
            headers["Content-Type"] = "application/json"
        url_path = path + _query_string(query) if query else path
        # Build the request directly: ApiClient.param_serialize re-reads Configuration.host,
        # which looks up proxy settings each time (a fifth of the CPU of a call).
        cfg = self.api.configuration
        hdrs = {**self.api.default_headers, **headers}
        try:
            auth = cfg.auth_settings().get("BearerToken")  # may run a token refresh (exec plugin)
        except Exception as exc:  # noqa: BLE001 - whatever the credential plugin raised
            raise KubeError(0, "Unauthorized", f"{self.name}: credentials: {exc}") from None
        if auth and auth.get("value"):
            hdrs[auth["key"]] = auth["value"]
        elif cfg.username:
            hdrs["authorization"] = basic_auth(cfg.username, cfg.password or "")
        if self._curl is not None and not stream:
            return self._curl_request(method, path, url_path, hdrs, body, timeout or self.timeout)
        try:
            resp = self.api.rest_client.request(
                method,
                self._host + url_path,
                headers=hdrs,
                body=body,
                _request_timeout=timeout or self.timeout,
            )
        except Exception as exc:  # noqa: BLE001 - urllib3/ssl/socket errors all mean "unreachable"
            raise KubeError(
                0, "Unreachable", f"{self.name}: {method} {path}: {type(exc).__name__}: {exc}"
            ) from None
        if stream:
            if resp.status >= 400:
                self._raise(resp.status, resp.read(), method, path)
            return resp.response
        data = resp.read()
        if resp.status >= 400:
            self._raise(resp.status, data, method, path)
        return orjson.loads(data) if data else None

    def _curl_request(
        self, method: str, path: str, url_path: str, headers: dict[str, str], body: Any, timeout: float
    ) -> Any:
        if body is None or isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode()
        else:
            try:
                data = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
            except TypeError:  # e.g. an integer beyond 64 bits: the standard library copes
                data = json.dumps(body).encode()
        try:
            status, out = self._curl.request(method, self._host + url_path, headers, data, timeout)
        except TransportError as exc:
            raise KubeError(0, "Unreachable", f"{self.name}: {method} {path}: {exc}") from None
        if status >= 400 or status < 100:
            self._raise(status, out, method, path)
        return orjson.loads(out) if out else None

    def _raise(self, status: int, data: bytes, method: str, path: str) -> None:
        try:
            doc = json.loads(data)
        except ValueError:
            doc = {}
        if not isinstance(doc, dict):
            doc = {}
        reason = doc.get("reason") or {
            404: "NotFound",
            409: "Conflict",
            410: "Gone",
            401: "Unauthorized",
            403: "Forbidden",
        }.get(status, "Error")
        message = doc.get("message") or (data[:200].decode(errors="replace") if data else f"HTTP {status}")
        raise KubeError(status, reason, message, doc.get("details"))

    # -- discovery -------------------------------------------------------------------------------
    def version(self) -> dict[str, Any]:
        return self.request("GET", "/version")

    def discover(self, refresh: bool = False) -> list[APIResource]:
        """All served resource types (preferred and other versions), subresources excluded."""
        with self._lock:
            if self._resources is not None and not refresh:
                return list(self._resources.values())
        found: dict[tuple[str, str], APIResource] = {}
        core = self.request("GET", "/api/v1")
        for r in core.get("resources", []):
            if "/" not in r["name"]:
                res = APIResource(
                    "", "v1", r["kind"], r["name"], r.get("namespaced", False), tuple(r.get("verbs", []))
                )
                found[(res.api_version, res.kind)] = res
        groups = self.request("GET", "/apis").get("groups", [])
        for g in groups:
            for v in g.get("versions", []):
                try:
                    doc = self.request("GET", f"/apis/{v['groupVersion']}")
                except KubeError as exc:
                    if exc.status in (404, 503):
                        continue  # an aggregated API that is down must not break discovery
                    raise
                for r in doc.get("resources", []):
                    if "/" in r["name"]:
                        continue
                    res = APIResource(
                        g["name"],
                        v["version"],
                        r["kind"],
                        r["name"],
                        r.get("namespaced", False),
                        tuple(r.get("verbs", [])),
                    )
                    found[(res.api_version, res.kind)] = res
            preferred = (g.get("preferredVersion") or {}).get("version")
            if preferred:
                self._preferred_versions[g["name"]] = preferred
        with self._lock:
            self._resources = found
        return list(found.values())

    def preferred_resources(self) -> list[APIResource]:
        """One resource type per group/kind, at the group's preferred version (what to watch)."""
        out: dict[tuple[str, str], APIResource] = {}
        for res in self.discover():
            key = (res.group, res.kind)
            if key not in out or res.version == self._preferred_versions.get(res.group):
                out[key] = res
        return list(out.values())

    def resource_for(self, api_version: str, kind: str) -> APIResource | None:
        if self._resources is None:
            self.discover()
        assert self._resources is not None
        res = self._resources.get((api_version, kind))
        if res is None:
            self.discover(refresh=True)
            res = self._resources.get((api_version, kind))
        return res

    def resource_of(self, obj: dict[str, Any]) -> APIResource:
        res = self.resource_for(obj.get("apiVersion", ""), obj.get("kind", ""))
        if res is None:
            raise KubeError(
                404,
                "NotFound",
                f"the server does not serve {obj.get('kind')} in {obj.get('apiVersion')} "
                "(is its CustomResourceDefinition installed?)",
            )
        return res

    # -- object operations -----------------------------------------------------------------------
    def get(self, res: APIResource, namespace: str | None, name: str) -> dict[str, Any] | None:
        try:
            return self.request("GET", res.path(namespace, name))
        except KubeError as exc:
            if exc.not_found:
                return None
            raise

    def list(
        self,
        res: APIResource,
        namespace: str | None = None,
        label_selector: str | None = None,
        limit: int = 500,
    ) -> tuple[list[dict[str, Any]], str]:
        """Every object (following ``continue`` tokens); returns (items, list resourceVersion)."""
        items: list[dict[str, Any]] = []
        token = None
        while True:
            doc = self.request(
                "GET",
                res.path(namespace),
                {"labelSelector": label_selector, "limit": limit, "continue": token},
            )
            items.extend(doc.get("items") or [])
            meta = doc.get("metadata") or {}
            token = meta.get("continue")
            if not token:
                return items, meta.get("resourceVersion", "")

    def watch(
        self,
        res: APIResource,
        resource_version: str,
        timeout_seconds: int = 300,
        namespace: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Watch events (``{"type", "object"}``) from ``resource_version``; ends when the server
        closes the stream. A 410 Gone arrives as a KubeError(410) or an ERROR event."""
        query = {
            "watch": "1",
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": timeout_seconds,
        }
        resp = self.request("GET", res.path(namespace), query, stream=True, timeout=timeout_seconds + 30)
        buf = b""
        try:
            for chunk in resp.stream(65536, decode_content=True):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        yield orjson.loads(line)
            if buf.strip():
                yield orjson.loads(buf)
        finally:
            resp.release_conn()

    def create(
        self, obj: dict[str, Any], dry_run: bool = False, field_manager: str = "argocd-controller"
    ) -> dict:
        res = self.resource_of(obj)
        ns = (obj.get("metadata") or {}).get("namespace")
        return self.request(
            "POST",
            res.path(ns),
            {"dryRun": "All" if dry_run else None, "fieldManager": field_manager},
            body=obj,
        )

    def replace(
        self, obj: dict[str, Any], dry_run: bool = False, field_manager: str = "argocd-controller"
    ) -> dict:
        res = self.resource_of(obj)
        meta = obj.get("metadata") or {}
        return self.request(
            "PUT",
            res.path(meta.get("namespace"), meta["name"]),
            {"dryRun": "All" if dry_run else None, "fieldManager": field_manager},
            body=obj,
        )

    def apply(
        self,
        obj: dict[str, Any],
        field_manager: str = "argocd-controller",
        force: bool = True,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Server-side apply."""
        res = self.resource_of(obj)
        meta = obj.get("metadata") or {}
        query = {
            "fieldManager": field_manager,
            "force": "true" if force else None,
            "dryRun": "All" if dry_run else None,
        }
        return self.request(
            "PATCH", res.path(meta.get("namespace"), meta["name"]), query, body=obj, content_type=APPLY_PATCH
        )

    def patch(
        self,
        res: APIResource,
        namespace: str | None,
        name: str,
        patch: Any,
        patch_type: str = MERGE_PATCH,
        subresource: str = "",
        dry_run: bool = False,
        field_manager: str = "argocd-controller",
    ) -> dict[str, Any]:
        return self.request(
            "PATCH",
            res.path(namespace, name, subresource),
            {"dryRun": "All" if dry_run else None, "fieldManager": field_manager},
            body=patch,
            content_type=patch_type,
        )

    def delete(
        self,
        res: APIResource,
        namespace: str | None,
        name: str,
        propagation: str | None = None,
        dry_run: bool = False,
        grace_period: int | None = None,
    ) -> dict[str, Any] | None:
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if propagation:
            body["propagationPolicy"] = propagation
        if grace_period is not None:
            body["gracePeriodSeconds"] = grace_period
        if dry_run:
            body["dryRun"] = ["All"]
        try:
            return self.request("DELETE", res.path(namespace, name), body=body)
        except KubeError as exc:
            if exc.not_found:
                return None
            raise

    def close(self) -> None:
        if self._curl is not None:
            self._curl.close()
        self.api.close()


def _query_string(query: dict[str, Any]) -> str:
    """``?k=v&...`` for the non-empty parameters ("" when none). Encoded once per distinct set
    (urlencode cost a third of a request's CPU; the sets are few: fieldManager, dryRun...)."""
    items = tuple((k, v) for k, v in query.items() if v is not None and v != "")
    if not items:
        return ""
    if all(type(v) is str for _, v in items):  # (True, 1 and 1.0 would share a cache entry)
        return _encoded_query(items)
    return "?" + urlencode(items)


@functools.lru_cache(maxsize=4096)
def _encoded_query(items: tuple[tuple[str, Any], ...]) -> str:
    return "?" + urlencode(items)


def _throttle_refresh(configuration: Any, every: float = 30.0) -> None:
    """The kubeconfig loader re-reads the whole configuration before every request to refresh
    tokens (exec plugins, token files), which costs more CPU than the request itself. Refresh at
    most every ``every`` seconds; such tokens live for many minutes. (Each refresh installs a
    fresh hook on the configuration, so the throttle re-wraps it.)"""
    hook = getattr(configuration, "refresh_api_key_hook", None)
    if hook is None:
        return
    state = {"hook": hook, "last": float("-inf")}
    lock = threading.Lock()

    def throttled(cfg: Any) -> None:
        now = time.monotonic()
        with lock:
            if now - state["last"] < every:
                return
            state["last"] = now
        state["hook"](cfg)
        fresh = getattr(cfg, "refresh_api_key_hook", None)
        if fresh is not None and fresh is not throttled:
            state["hook"] = fresh
            cfg.refresh_api_key_hook = throttled

    configuration.refresh_api_key_hook = throttled


def _pem_file(data_b64: str) -> str:
    """Write base64 PEM data to a private temp file (the client wants file paths)."""
    fd, path = tempfile.mkstemp(prefix="kedge-tls-", suffix=".pem")
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64decode(data_b64))
    os.chmod(path, 0o600)
    return path
