"""The repo server service: Application source(s) in, manifests out, cached.

The controller uses :class:`RepoServer` in-process; ``kedge repo-server`` serves the same
methods over HTTP (:mod:`kedge.repo.http`) and :class:`kedge.repo.http.RepoServerClient`
calls them remotely.

Flow of :meth:`RepoServer.generate_manifests` for each source:

1. resolve ``targetRevision`` to an immutable revision (commit SHA, chart version) through the
   source type plugin (``ls-remote``/index answers are cached; a hard refresh bypasses);
2. look the manifests up in the cache. The key is (repository, revision, path, a hash of the
   normalised source spec, the commits of referenced ``$ref`` sources, kube version and API
   versions, the render-relevant argocd-cm keys, and, only for tools whose output depends on
   it, the app name and destination namespace);
3. with ``argocd.argoproj.io/manifest-generate-paths``, a new commit that changes no file
   under the listed paths reuses the app's previous manifests without rendering;
4. otherwise render once for all concurrent callers of the same key (single-flight, bounded by
   ``reposerver.parallelism.limit``) and store the complete result. Errors are not cached.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import posixpath
import threading
from contextlib import ExitStack, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kedge.errors import KedgeError, RenderError
from kedge.repo.cache import ManifestCache, make_cache
from kedge.repo.config import RepoServerConfig
from kedge.repo.creds import CredentialStore, RepoCredentials
from kedge.repo.sources import SourceContext, source_type_for
from kedge.repo.urls import normalize_url, redact

log = logging.getLogger(__name__)

GENERATE_PATHS_ANNOTATION = "argocd.argoproj.io/manifest-generate-paths"
#: argocd-cm keys that change rendering output (everything else is ignored by the cache key)
RENDER_SETTING_PREFIXES = (
    "helm.",
    "kustomize.",
    "jsonnet.",
    "configManagementPlugins",
    "kedge.render",
    "kedge.helm",
    "kedge.kubectl",
)
#: tools whose output never depends on the app's name or destination namespace (unless the
#: source spec uses $VARIABLES or the directory has .argocd-source-<app>.yaml files)
APP_INDEPENDENT_TOOLS = frozenset({"directory", "kustomize", "jsonnet"})


@dataclass
class SourceResult:
    """What happened for one source of the Application."""

    repo_url: str
    revision: str  # resolved commit SHA or chart version
    target_revision: str
    path: str = ""
    chart: str = ""
    ref: str = ""
    source_type: str = ""  # the tool that rendered it: directory, helm, kustomize, ... ("" for ref-only)
    manifests: int = 0
    cached: bool = False
    reused_by_generate_paths: bool = False
    commit: dict[str, Any] | None = None  # author, date, message, tags (Git sources)


@dataclass
class ManifestResponse:
    """Manifests of an Application (all sources concatenated, in source order) plus provenance."""

    manifests: list[dict[str, Any]]
    revision: str  # resolved revision of the first rendered source
    revisions: list[str]  # one per source, in spec order
    source_type: str  # tool of the first rendered source
    sources: list[SourceResult] = field(default_factory=list)
    commit: dict[str, Any] | None = None  # metadata of the first source's revision

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ManifestResponse:
        data = dict(data)
        data["sources"] = [SourceResult(**s) for s in data.get("sources") or []]
        return cls(**data)


def _norm(value: Any) -> Any:
    """Drop empty values and sort keys, so equivalent specs hash equally."""
    if isinstance(value, dict):
        out = {k: _norm(v) for k, v in sorted(value.items())}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _digest(material: Any) -> str:
    return hashlib.sha256(
        json.dumps(material, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()[:32]


class RepoServer:
    """Generates (and caches) manifests for Applications. Thread-safe.

    ``credentials`` supplies repository credentials (a :class:`CredentialStore`, built from the
    repository / repo-creds Secrets); ``settings`` is argocd-cm data used by renderers.
    """

    def __init__(
        self,
        config: RepoServerConfig | None = None,
        *,
        cache: ManifestCache | None = None,
        credentials: CredentialStore | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.config = config or RepoServerConfig.from_env()
        self.cache = cache or make_cache(
            self.config.redis,
            max_bytes=self.config.manifest_cache_max_bytes,
            ttl=self.config.manifest_cache_expiration,
        )
        self.credentials = credentials or CredentialStore()
        self.settings = dict(settings or {})
        limit = self.config.parallelism
        self._sem = threading.BoundedSemaphore(limit) if limit and limit > 0 else None
        #: counters, for tests and benchmarks
        self.stats = {"renders": 0, "hits": 0, "generate_paths_reuse": 0}
        self._stats_lock = threading.Lock()

    def reconfigure(
        self, *, credentials: CredentialStore | None = None, settings: dict[str, str] | None = None
    ) -> None:
        """Swap in new credentials and/or argocd-cm data (settings hot reload); cached
        manifests stay valid because render-relevant settings are part of the cache key."""
        if credentials is not None:
            self.credentials = credentials
        if settings is not None:
            self.settings = dict(settings)

    def _count(self, key: str) -> None:
        with self._stats_lock:
            self.stats[key] += 1

    # -- public API ---------------------------------------------------------------------------
    def generate_manifests(
        self,
        app: dict[str, Any],
        *,
        source_index: int | None = None,
        revision: str | list[str] | None = None,
        hard_refresh: bool = False,
        kube_version: str = "",
        api_versions: list[str] | None = None,
        settings: dict[str, str] | None = None,
        no_revision_cache: bool = False,
    ) -> ManifestResponse:
        """Render an Application's source(s) as the controller would.

        ``hard_refresh`` bypasses every cache; ``no_revision_cache`` only the cached answers to
        "which commit is this branch/tag now" (a normal refresh requested by a user or webhook
        must see a new commit at once), keeping the manifest cache.

        ``app`` is an Application as a dict, or a :mod:`kedge.model` Application. ``revision``
        overrides ``targetRevision`` (a list gives one per source); ``source_index`` renders only
        that source of a multi-source app (its ``$ref`` sources are still fetched; other sources
        are not resolved and have ``""`` in ``revisions``). Raises
        :class:`kedge.errors.RenderError` (a message naming the repository, revision, path,
        file and line) on failure.
        """
        try:
            return self._generate(
                app,
                source_index,
                revision,
                hard_refresh,
                kube_version,
                api_versions,
                settings,
                no_revision_cache,
            )
        except OSError as exc:  # disk full, permissions on the cache directory...
            raise RenderError(f"repo server cache {self.config.cache_dir}: {exc.strerror or exc}") from None

    def _generate(
        self,
        app,
        source_index,
        revision,
        hard_refresh,
        kube_version,
        api_versions,
        settings,
        no_revision_cache=False,
    ) -> ManifestResponse:
        if not isinstance(app, dict) and hasattr(app, "to_dict"):
            app = app.to_dict()  # a kedge.model Application
        meta = app.get("metadata") or {}
        spec = app.get("spec") or {}
        multi = bool(spec.get("sources"))
        sources: list[dict[str, Any]] = list(
            spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
        )
        if not sources:
            raise RenderError(f"application {meta.get('name', '?')}: spec.source or spec.sources is required")
        revs: list[str | None]
        if isinstance(revision, list):
            revs = list(revision) + [None] * (len(sources) - len(revision))
        elif revision is not None:
            revs = [None] * len(sources)
            revs[source_index or 0] = revision
        else:
            revs = [None] * len(sources)
        settings = {**self.settings, **(settings or {})}
        ctx = SourceContext(self.config, hard_refresh=hard_refresh, no_revision_cache=no_revision_cache)
        api_versions = sorted(api_versions or [])
        annotations = meta.get("annotations") or {}
        dest = spec.get("destination") or {}

        if source_index is not None and not 0 <= source_index < len(sources):
            raise RenderError(
                f"application {meta.get('name', '?')} has {len(sources)} source(s); no source index {source_index}"
            )
        for i, src in enumerate(sources):
            if not src.get("repoURL"):
                raise RenderError(f"application {meta.get('name', '?')}: source {i} has no repoURL")
        ref_names = {src["ref"]: i for i, src in enumerate(sources) if src.get("ref")}
        wanted = [source_index] if source_index is not None else list(range(len(sources)))
        needed = set(wanted)
        for i in wanted:
            needed.update(self._used_refs(sources[i], ref_names).values())

        # resolve only what is rendered or referenced (a source_index request skips the rest)
        resolved: list[str] = [""] * len(sources)
        providers: list[Any] = [None] * len(sources)
        creds_list: list[Any] = [None] * len(sources)
        for i in sorted(needed):
            src = sources[i]
            providers[i] = source_type_for(src)
            creds_list[i] = self._creds(src, str(spec.get("project") or ""))
            target = revs[i] if revs[i] is not None else str(src.get("targetRevision") or "")
            resolved[i] = self._resolve(providers[i], src, target, creds_list[i], ctx)

        results: list[SourceResult] = []
        manifests: list[dict[str, Any]] = []
        for i in wanted:
            src = sources[i]
            res = SourceResult(
                repo_url=redact(src["repoURL"]),
                revision=resolved[i],
                target_revision=str(src.get("targetRevision") or ""),
                path=str(src.get("path") or ""),
                chart=str(src.get("chart") or ""),
                ref=str(src.get("ref") or ""),
            )
            results.append(res)
            if multi and src.get("ref") and not src.get("path") and not src.get("chart"):
                continue  # a `ref` source only provides files to other sources' $ref/ values
            used_refs = self._used_refs(src, ref_names)
            ref_revs = {
                name: (normalize_url(sources[j]["repoURL"]), resolved[j]) for name, j in used_refs.items()
            }
            objs, tool, cached, reused = self._manifests_for_source(
                app=app,
                index=i,
                src=src,
                revision=resolved[i],
                provider=providers[i],
                creds=creds_list[i],
                ctx=ctx,
                refs={
                    name: (sources[j], providers[j], creds_list[j], resolved[j])
                    for name, j in used_refs.items()
                },
                ref_revs=ref_revs,
                kube_version=kube_version,
                api_versions=api_versions,
                settings=settings,
                generate_paths=annotations.get(GENERATE_PATHS_ANNOTATION, ""),
                dest=dest,
            )
            res.source_type, res.manifests, res.cached, res.reused_by_generate_paths = (
                tool,
                len(objs),
                cached,
                reused,
            )
            manifests.extend(objs)
        for res, i in zip(results, wanted, strict=True):
            if hasattr(providers[i], "metadata"):
                res.commit = self._metadata(providers[i], sources[i], resolved[i], creds_list[i], ctx)
        first = next((r for r in results if r.source_type), results[0])
        return ManifestResponse(
            manifests=manifests,
            revision=first.revision,
            revisions=resolved,
            source_type=first.source_type,
            sources=results,
            commit=first.commit,
        )

    def resolve_revision(
        self, repo_url: str, revision: str, *, chart: str = "", hard_refresh: bool = False
    ) -> str:
        """The commit SHA (or chart version, with ``chart``) that ``revision`` means now."""
        src = {"repoURL": repo_url, "targetRevision": revision, **({"chart": chart} if chart else {})}
        provider = source_type_for(src)
        return self._resolve(
            provider, src, revision, self._creds(src), SourceContext(self.config, hard_refresh)
        )

    def list_refs(self, repo_url: str, *, hard_refresh: bool = False) -> dict[str, list[str]]:
        """``{"branches": [...], "tags": [...]}`` of a Git repository."""
        src = {"repoURL": repo_url}
        provider = source_type_for(src)
        if not hasattr(provider, "list_refs"):
            raise RenderError(f"source type {provider.name} of {redact(repo_url)} has no refs")
        return provider.list_refs(src, self._creds(src), SourceContext(self.config, hard_refresh))

    def revision_metadata(self, repo_url: str, revision: str) -> dict[str, Any]:
        """Author, date, message and tags of a commit (``revision`` may be any resolvable ref)."""
        src = {"repoURL": repo_url}
        provider = source_type_for(src)
        ctx = SourceContext(self.config)
        creds = self._creds(src)
        sha = self._resolve(provider, src, revision, creds, ctx)
        return provider.metadata(src, sha, creds, ctx)

    def generate_local(
        self,
        app: dict[str, Any],
        local_dir: str | Path,
        *,
        repo_root: str | Path | None = None,
        source_index: int = 0,
        kube_version: str = "",
        api_versions: list[str] | None = None,
        settings: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Render one source of ``app`` from a local directory (no fetch, no cache).

        ``local_dir`` is the source's directory; ``repo_root`` (default ``local_dir``) bounds
        what the renderer may read. ``$ref`` sources of a multi-source app are still fetched.
        """
        from kedge.repo import render as render_mod
        from kedge.repo.paths import is_within
        from kedge.repo.types import RenderRequest

        meta = app.get("metadata") or {}
        spec = app.get("spec") or {}
        sources = list(spec.get("sources") or ([spec["source"]] if spec.get("source") else []))
        if not 0 <= source_index < len(sources):
            raise RenderError(f"application {meta.get('name', '?')} has no source {source_index}")
        src = sources[source_index]
        path = Path(local_dir).resolve()
        root = Path(repo_root).resolve() if repo_root else path
        if not path.is_dir():
            raise RenderError(f"{local_dir}: not a directory")
        if not is_within(root, path):
            raise RenderError(f"{local_dir} is not inside the repository root {repo_root}")
        dest = spec.get("destination") or {}
        ctx = SourceContext(self.config)
        ref_names = {s["ref"]: i for i, s in enumerate(sources) if s.get("ref")}
        with ExitStack() as stack:
            ref_roots: dict[str, Path] = {}
            for name, j in self._used_refs(src, ref_names).items():
                rsrc = sources[j]
                prov = source_type_for(rsrc)
                creds = self._creds(rsrc)
                rrev = self._resolve(prov, rsrc, str(rsrc.get("targetRevision") or ""), creds, ctx)
                ref_roots[name] = stack.enter_context(prov.fetch(rsrc, rrev, creds, ctx)).root
            request = RenderRequest(
                root=root,
                path=path,
                source=src,
                repo_url=str(src.get("repoURL") or ""),
                revision="",
                app_name=meta.get("name", ""),
                app_namespace=meta.get("namespace", ""),
                dest_namespace=dest.get("namespace", "") or "",
                dest_server=dest.get("server", "") or dest.get("name", "") or "",
                kube_version=kube_version,
                api_versions=sorted(api_versions or []),
                refs=ref_roots,
                settings={**self.settings, **(settings or {})},
                timeout=self.config.exec_timeout,
            )
            return render_mod.render(request)

    # -- internals ----------------------------------------------------------------------------
    def _metadata(self, provider, src, revision: str, creds, ctx) -> dict[str, Any] | None:
        """Revision metadata, shared through the manifest cache (a Redis hit needs no fetch)."""
        key = "meta:" + _digest([normalize_url(src["repoURL"]), src.get("chart") or "", revision])
        meta = self.cache.get(key)
        if meta is not None:
            return meta
        try:
            meta = provider.metadata(src, revision, creds, ctx)
        except KedgeError as exc:
            log.warning("revision metadata unavailable: %s", exc)
            return None
        self.cache.set(key, meta)
        return meta

    def _creds(self, src: dict[str, Any], project: str = "") -> RepoCredentials:
        return self.credentials.for_url(src["repoURL"], project)

    @staticmethod
    def _resolve(provider, src, target: str, creds, ctx) -> str:
        try:
            return provider.resolve(src, target, creds, ctx)
        except (KedgeError, OSError):
            raise
        except Exception as exc:  # noqa: BLE001 - plugin bugs become clear errors
            raise RenderError(
                f"source type {provider.name} failed to resolve {target!r} in {redact(src.get('repoURL', ''))}: "
                f"{type(exc).__name__}: {exc}"
            ) from None

    @staticmethod
    def _used_refs(src: dict[str, Any], ref_names: dict[str, int]) -> dict[str, int]:
        """The ``$ref`` sources this source's value files mention."""
        if not ref_names:
            return {}
        text = json.dumps(src.get("helm") or {})
        return {name: j for name, j in ref_names.items() if f"${name}/" in text or f"${name}" in text}

    def _base_key(self, src, revision, ref_revs, kube_version, api_versions, settings) -> str:
        spec = {k: v for k, v in src.items() if k not in ("targetRevision",)}
        return _digest(
            {
                "repo": normalize_url(src["repoURL"]),
                "rev": revision,
                "path": posixpath.normpath(str(src.get("path") or ".")),
                "spec": _norm(spec),
                "refs": sorted(ref_revs.items()),
                "kube": kube_version,
                "api": api_versions,
                "settings": {
                    k: v for k, v in sorted(settings.items()) if k.startswith(RENDER_SETTING_PREFIXES)
                },
            }
        )

    @staticmethod
    def _app_ident(app: dict[str, Any], dest: dict[str, Any]) -> str:
        meta = app.get("metadata") or {}
        return f"{meta.get('namespace', '')}/{meta.get('name', '')}@{dest.get('namespace', '')}"

    def _manifests_for_source(
        self,
        *,
        app,
        index,
        src,
        revision,
        provider,
        creds,
        ctx,
        refs,
        ref_revs,
        kube_version,
        api_versions,
        settings,
        generate_paths,
        dest,
    ) -> tuple[list[dict[str, Any]], str, bool, bool]:
        base = self._base_key(src, revision, ref_revs, kube_version, api_versions, settings)
        ident = self._app_ident(app, dest)
        # the same key without the revision: identifies "this app's source" across commits
        app_slot = "last:" + _digest(
            [ident, index, self._base_key(src, "", ref_revs, kube_version, api_versions, settings)]
        )

        if not ctx.hard_refresh:
            hit = self._lookup(base, ident)
            if hit is None and generate_paths:
                hit = self._lookup_slot(app_slot, revision)
            if hit is not None:
                self._count("hits")
                if generate_paths:
                    self.cache.set(app_slot, {"rev": revision, "key": hit[2]})
                return hit[0], hit[1], True, False
            if generate_paths and hasattr(provider, "changed_files"):
                reused = self._reuse_by_generate_paths(
                    app_slot, generate_paths, src, revision, provider, creds, ctx
                )
                if reused is not None:
                    objs, tool = reused
                    self._count("generate_paths_reuse")
                    # stored for this app only: the annotation is this app's promise
                    key = "m:" + _digest([base, ident, "generate-paths"])
                    self.cache.set(key, {"tool": tool, "manifests": objs})
                    self.cache.set(app_slot, {"rev": revision, "key": key})
                    return objs, tool, True, True

        def work() -> tuple[list[dict[str, Any]], str, bool, str]:
            return self._render(
                app,
                src,
                revision,
                provider,
                creds,
                ctx,
                refs,
                kube_version,
                api_versions,
                settings,
                dest,
                base,
                ident,
            )

        flight = base if ctx.hard_refresh is False else base + "|hard|" + ident
        while True:
            (objs, tool, dep, key), ran = self.cache.single_flight(flight, work)
            if not ran:  # the leader's list is shared by every waiter: hand each caller its own
                objs = json.loads(json.dumps(objs))
            if ran or not dep or key == self._key(base, ident, dep):
                break
            # the leader rendered for another app and the output depends on the app: our turn
            hit = self._lookup(base, ident)
            if hit is not None:
                objs, tool, key = hit
                break
            flight = base + "|" + ident
        if generate_paths:
            self.cache.set(app_slot, {"rev": revision, "key": key})
        return objs, tool, False, False

    @staticmethod
    def _key(base: str, ident: str, dep: bool) -> str:
        return "m:" + (_digest([base, ident]) if dep else base)

    def _lookup_slot(self, app_slot: str, revision: str) -> tuple[list[dict[str, Any]], str, str] | None:
        last = self.cache.get(app_slot)
        if not last or last.get("rev") != revision:
            return None
        value = self.cache.get(last["key"])
        return (value["manifests"], value["tool"], last["key"]) if value else None

    def _lookup(self, base: str, ident: str) -> tuple[list[dict[str, Any]], str, str] | None:
        info = self.cache.get("info:" + base)
        if info is None:
            return None
        key = self._key(base, ident, bool(info.get("dep")))
        value = self.cache.get(key)
        if value is None:
            return None
        return value["manifests"], value["tool"], key

    def _render(
        self,
        app,
        src,
        revision,
        provider,
        creds,
        ctx,
        refs,
        kube_version,
        api_versions,
        settings,
        dest,
        base,
        ident,
    ):
        from kedge.repo import render as render_mod
        from kedge.repo.types import RenderRequest

        meta = app.get("metadata") or {}
        with self._sem or nullcontext(), ExitStack() as stack:
            fetched = stack.enter_context(provider.fetch(src, revision, creds, ctx))
            ref_roots: dict[str, Path] = {}
            for name, (rsrc, rprov, rcreds, rrev) in refs.items():
                ref_roots[name] = stack.enter_context(rprov.fetch(rsrc, rrev, rcreds, ctx)).root
            request = RenderRequest(
                root=fetched.root,
                path=fetched.path,
                source=src,
                repo_url=src["repoURL"],
                revision=revision,
                app_name=meta.get("name", ""),
                app_namespace=meta.get("namespace", ""),
                dest_namespace=dest.get("namespace", "") or "",
                dest_server=dest.get("server", "") or dest.get("name", "") or "",
                kube_version=kube_version,
                api_versions=list(api_versions),
                refs=ref_roots,
                settings=settings,
                timeout=self.config.exec_timeout,
            )
            prepared, tool = render_mod.prepare(request)
            dep = self._app_dependent(tool, prepared, fetched.path)
            objs = render_mod.render(request)
            self._count("renders")
        key = self._key(base, ident, dep)
        self.cache.set(key, {"tool": tool, "manifests": objs})
        self.cache.set("info:" + base, {"dep": dep, "tool": tool})
        return objs, tool, dep, key

    @staticmethod
    def _app_dependent(tool: str, prepared, path: Path) -> bool:
        """Whether the output may depend on the app name / destination namespace."""
        if tool not in APP_INDEPENDENT_TOOLS:
            return True  # Helm (release name, namespace), plugins (build environment)
        if "$" in json.dumps(prepared.source):
            return True  # build-environment substitution in tool options
        try:
            return any(p.name.startswith(".argocd-source-") for p in path.iterdir())
        except OSError:
            return True

    def _reuse_by_generate_paths(self, app_slot, annotation, src, revision, provider, creds, ctx):
        """Previous manifests when no file under the annotation's paths changed, else None."""
        last = self.cache.get(app_slot)
        if not last or not last.get("rev") or last["rev"] == revision:
            return None
        previous = self.cache.get(last["key"])
        if previous is None:
            return None
        try:
            changed = provider.changed_files(src, last["rev"], revision, creds, ctx)
        except KedgeError as exc:
            log.info("manifest-generate-paths: cannot compare revisions, rendering: %s", exc)
            return None
        if changed is None:
            return None
        paths = generate_paths(annotation, str(src.get("path") or "."))
        if any(path_matches(f, paths) for f in changed):
            return None
        return previous["manifests"], previous["tool"]


def generate_paths(annotation: str, source_path: str) -> list[str]:
    """Repository-relative paths from a ``manifest-generate-paths`` value (``;``-separated;
    relative to the source path, or absolute from the repository root; ``.`` = the app path)."""
    out = []
    for raw in annotation.split(";"):
        p = raw.strip()
        if not p:
            continue
        if p.startswith("/"):
            full = p.lstrip("/") or "."
        else:
            full = posixpath.join(source_path or ".", p)
        full = posixpath.normpath(full)
        out.append("" if full == "." else full)
    return out


def path_matches(changed: str, paths: list[str]) -> bool:
    """Whether a changed file is under (or matches the glob of) one of ``paths``."""
    for p in paths:
        if p == "":
            return True
        if changed == p or changed.startswith(p.rstrip("/") + "/"):
            return True
        if any(c in p for c in "*?[") and (
            fnmatch.fnmatchcase(changed, p) or fnmatch.fnmatchcase(changed, p + "/*")
        ):
            return True
    return False
