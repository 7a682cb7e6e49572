"""The Git source: one bare mirror per repository, revisions materialised once per commit.

Layout of the cache directory (names never contain credentials)::

    <cache>/git/<urlhash>-<host>-<name>/      bare mirror, shared by every app of the repository
    <cache>/locks/<urlhash>.fetch.lock         fetch lock (threads and processes)
    <cache>/checkouts/<urlhash>-<sha>/         files of one commit (read-only by convention)

* :meth:`GitRepos.resolve` turns a ``targetRevision`` (branch, tag, full or short SHA,
  ``HEAD``, a semver range over tags) into a commit SHA. ``ls-remote`` answers are cached for
  ``revision_cache_expiration`` (3 minutes by default); ``refresh=True`` (hard refresh) bypasses.
* :meth:`GitRepos.checkout` makes a commit's files available: the commit is fetched shallowly
  into the mirror (``git fetch --depth 1 <sha>``; a full fetch when the server refuses), then
  written once (``read-tree`` + ``checkout-index`` with a private index: exactly what
  ``git checkout`` produces) into a directory keyed by commit, reused by every app on that
  commit; symlinks pointing outside the repository are refused. Checkouts are evicted least-recently-used above
  ``checkout_max_bytes``; a checkout in use is never evicted.
* :meth:`GitRepos.changed_files` lists the files that differ between two commits
  (``git diff --name-only`` on the mirror), for ``manifest-generate-paths``.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kedge.repo import semver_range
from kedge.repo.config import RepoServerConfig
from kedge.repo.creds import RepoCredentials
from kedge.repo.errors import RepoError, RevisionNotFoundError
from kedge.repo.gitexec import git_env, run_git, run_git_raw
from kedge.repo.locks import file_lock
from kedge.repo.urls import redact, slug, url_key

_FULL_SHA = re.compile(r"^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$")
_SHORT_SHA = re.compile(r"^[0-9a-fA-F]{7,63}$")


def is_commit_sha(rev: str) -> bool:
    return bool(_FULL_SHA.match(rev or ""))


@dataclass
class Refs:
    """The answer of ``git ls-remote``: ref name -> commit (annotated tags peeled), and HEAD."""

    refs: dict[str, str] = field(default_factory=dict)
    head_target: str = ""  # e.g. refs/heads/main
    fetched_at: float = 0.0
    started_at: float = 0.0  # when the listing began (a refresh asked later needs a newer one)

    @property
    def tags(self) -> list[str]:
        return sorted(n[len("refs/tags/") :] for n in self.refs if n.startswith("refs/tags/"))

    @property
    def branches(self) -> list[str]:
        return sorted(n[len("refs/heads/") :] for n in self.refs if n.startswith("refs/heads/"))


def parse_ls_remote(out: str) -> Refs:
    refs = Refs(fetched_at=time.monotonic())
    for line in out.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("ref: "):
            target, _, name = line[5:].partition("\t")
            if name == "HEAD":
                refs.head_target = target
            continue
        sha, _, name = line.partition("\t")
        if name.endswith("^{}"):
            refs.refs[name[:-3]] = sha  # peeled annotated tag wins over the tag object
        elif name not in refs.refs:
            refs.refs[name] = sha
    return refs


def match_ref(revision: str, refs: Refs) -> str | None:
    """The commit a ref name points to: full names (``refs/heads/x``), ``HEAD``, or short names
    (branches before tags, as ``ls-remote`` lists them)."""
    if revision in refs.refs:
        return refs.refs[revision]
    if revision == "HEAD":
        if refs.head_target and refs.head_target in refs.refs:
            return refs.refs[refs.head_target]
        return None
    for prefix in ("refs/heads/", "refs/tags/", "refs/remotes/", "refs/"):
        if prefix + revision in refs.refs:
            return refs.refs[prefix + revision]
    return None


class _Checkout:
    """A materialised commit; holds a shared ``flock`` while in use so eviction skips it."""

    def __init__(self, path: Path, lockfile: Path) -> None:
        self.path = path
        self._fd = os.open(lockfile, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_SH)

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


class GitRepos:
    """All Git repositories of one cache directory. Thread-safe; share one instance per process
    (see :func:`shared`)."""

    def __init__(self, config: RepoServerConfig) -> None:
        self.config = config
        self.base = Path(config.cache_dir)
        (self.base / "git").mkdir(parents=True, exist_ok=True)
        (self.base / "checkouts").mkdir(parents=True, exist_ok=True)
        self._refs: dict[str, Refs] = {}
        self._refs_lock = threading.Lock()
        self._refs_locks: dict[str, threading.Lock] = {}
        self._meta: OrderedDict[tuple[str, str], dict] = OrderedDict()
        self._meta_lock = threading.Lock()
        self._evict_lock = threading.Lock()
        #: counters, for tests and benchmarks
        self.stats = {
            "ls_remote": 0,
            "ls_remote_failed": 0,
            "fetch": 0,
            "full_fetch": 0,
            "checkout": 0,
            "evicted": 0,
        }
        #: (repo key, credentials) -> (when the failed listing started, its error): callers that
        #: waited for that listing share its failure instead of retrying one after another
        self._ls_failures: dict[tuple[str, int], tuple[float, Exception]] = {}

    # -- paths --------------------------------------------------------------------------------
    def mirror_path(self, url: str) -> Path:
        return self.base / "git" / f"{url_key(url)}-{slug(url)}"

    def _lock_path(self, url: str, kind: str = "fetch") -> Path:
        return self.base / "locks" / f"{url_key(url)}.{kind}.lock"

    # -- refs ---------------------------------------------------------------------------------
    def ls_remote(self, url: str, creds: RepoCredentials | None, *, refresh: bool = False) -> Refs:
        """The remote's refs, cached for ``revision_cache_expiration`` unless ``refresh``.

        Concurrent callers share one ``git ls-remote``; a ``refresh`` is satisfied by any listing
        that started after it was asked for (a webhook refreshing 1,000 apps lists refs once
        or twice, not 1,000 times in a row); likewise they share a failed listing's error."""
        key = url_key(url)
        ttl = self.config.revision_cache_expiration
        asked = time.monotonic()
        if not refresh:
            with self._refs_lock:
                cached = self._refs.get(key)
            if cached is not None and time.monotonic() - cached.fetched_at < ttl:
                return cached
        with self._refs_key_lock(key):
            with self._refs_lock:  # another thread may have listed the refs while we waited
                cached = self._refs.get(key)
            if cached is not None:
                if refresh and cached.started_at > asked:
                    return cached
                if not refresh and time.monotonic() - cached.fetched_at < ttl:
                    return cached
            who = (key, id(creds) if creds is not None else 0)
            failed = self._ls_failures.get(who)
            if failed is not None and failed[0] > asked:
                raise failed[1]  # the listing started after we asked failed: so would ours
            started = time.monotonic()
            try:
                out = self._ls_remote_with_retry(url, creds)
            except Exception as exc:
                with self._refs_lock:
                    self.stats["ls_remote_failed"] += 1
                self._ls_failures[who] = (started, exc)
                raise
            self._ls_failures.pop(who, None)
            refs = parse_ls_remote(out)
            refs.started_at = started
            with self._refs_lock:
                self.stats["ls_remote"] += 1
                self._refs[key] = refs
            return refs

    def _refs_key_lock(self, key: str) -> threading.Lock:
        with self._refs_lock:
            lock = self._refs_locks.get(key)
            if lock is None:
                lock = self._refs_locks[key] = threading.Lock()
            return lock

    def _ls_remote_with_retry(self, url: str, creds: RepoCredentials | None) -> str:
        """``git ls-remote``, retried twice (0.2 s, 0.6 s) on transient network errors only."""
        from kedge.repo.errors import RepoUnreachableError

        for attempt in range(3):
            try:
                with git_env(creds, self.base, self.config.exec_timeout) as genv:
                    return run_git(
                        ["ls-remote", "--symref", url],
                        cwd=None,
                        genv=genv,
                        timeout=self.config.exec_timeout,
                        repo_url=url,
                        what="listing refs (git ls-remote)",
                    )
            except RepoUnreachableError as exc:
                transient = any(
                    m in str(exc).lower() for m in ("reset", "early eof", "unexpected disconnect")
                )
                if not transient or attempt == 2:
                    raise
                time.sleep(0.2 * (3**attempt))
        raise AssertionError("unreachable")

    def list_refs(self, url: str, creds: RepoCredentials | None, *, refresh: bool = False) -> dict:
        refs = self.ls_remote(url, creds, refresh=refresh)
        return {"branches": refs.branches, "tags": refs.tags}

    def resolve(
        self, url: str, revision: str, creds: RepoCredentials | None, *, refresh: bool = False
    ) -> str:
        """The commit SHA for a ``targetRevision``; raises :class:`RevisionNotFoundError`."""
        rev = (revision or "").strip() or "HEAD"
        if is_commit_sha(rev):
            return rev.lower()
        refs = self.ls_remote(url, creds, refresh=refresh)
        constraint = semver_range.parse_constraint(rev)
        target = rev
        if constraint is not None:
            best = semver_range.max_version(constraint, refs.tags)
            if best is not None:
                target = best
        sha = match_ref(target, refs)
        if sha:
            return sha
        if _SHORT_SHA.match(rev):
            return self._resolve_short_sha(url, rev, creds)
        repo = redact(url)
        if constraint is not None:
            raise RevisionNotFoundError(
                f"unable to resolve revision {rev!r} in repository {repo}: no tag matches the semver "
                f"constraint among {len(refs.tags)} tags"
            )
        raise RevisionNotFoundError(
            f"unable to resolve revision {rev!r} to a commit SHA in repository {repo}: "
            "no such branch, tag or commit"
        )

    def _resolve_short_sha(self, url: str, short: str, creds: RepoCredentials | None) -> str:
        mirror = self._ensure_mirror(url)
        with file_lock(self._lock_path(url), self.config.exec_timeout * 2, f"repository {redact(url)}"):
            with git_env(creds, self.base, self.config.exec_timeout) as genv:
                sha = self._rev_parse(mirror, short, genv)
                if sha is None:
                    self._full_fetch(url, mirror, genv, short)
                    sha = self._rev_parse(mirror, short, genv)
        if sha is None:
            raise RevisionNotFoundError(
                f"unable to resolve revision {short!r} to a commit SHA in repository {redact(url)}: "
                "no such branch, tag or commit"
            )
        return sha

    @staticmethod
    def _rev_parse(mirror: Path, rev: str, genv) -> str | None:
        status, out, _ = run_git_raw(
            ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd=mirror, genv=genv, timeout=30
        )
        return out.strip() if status == 0 and out.strip() else None

    # -- mirror -------------------------------------------------------------------------------
    def _ensure_mirror(self, url: str) -> Path:
        mirror = self.mirror_path(url)
        if (mirror / "HEAD").exists():
            return mirror
        with file_lock(self._lock_path(url), self.config.exec_timeout * 2, f"repository {redact(url)}"):
            if not (mirror / "HEAD").exists():
                tmp = mirror.with_name(mirror.name + f".init{os.getpid()}")
                shutil.rmtree(tmp, ignore_errors=True)
                from git import Repo

                r = Repo.init(tmp, bare=True)
                with r.config_writer() as cw:
                    cw.set_value("gc", "auto", "0")
                    cw.set_value("core", "logAllRefUpdates", "false")
                    cw.set_value("kedge", "url", redact(url))
                r.close()
                os.replace(tmp, mirror)
        return mirror

    def has_commit(self, mirror: Path, sha: str) -> bool:
        from git.cmd import Git

        status, _, _ = Git(str(mirror)).execute(
            ["git", "cat-file", "-e", f"{sha}^{{commit}}"],
            with_extended_output=True,
            with_exceptions=False,
            kill_after_timeout=30,
        )
        return status == 0

    def ensure_commit(self, url: str, sha: str, creds: RepoCredentials | None) -> Path:
        """The mirror, guaranteed to contain commit ``sha`` (fetched shallowly if needed)."""
        mirror = self._ensure_mirror(url)
        if self.has_commit(mirror, sha):
            return mirror
        with file_lock(self._lock_path(url), self.config.exec_timeout * 2, f"repository {redact(url)}"):
            if self.has_commit(mirror, sha):
                return mirror
            with git_env(creds, self.base, self.config.exec_timeout) as genv:
                status, _, err = run_git_raw(
                    [
                        "fetch",
                        "--depth=1",
                        "--no-tags",
                        "--no-write-fetch-head",
                        url,
                        f"+{sha}:refs/kedge/{sha}",
                    ],
                    cwd=mirror,
                    genv=genv,
                    timeout=self.config.exec_timeout,
                )
                self.stats["fetch"] += 1
                if status != 0:
                    from kedge.repo.errors import RepoAuthError, RepoTimeoutError, RepoUnreachableError
                    from kedge.repo.gitexec import classify_failure

                    exc = classify_failure(
                        err, status, repo_url=url, what="fetching", revision=sha, secrets=genv.secrets
                    )
                    if isinstance(exc, RepoAuthError | RepoUnreachableError | RepoTimeoutError):
                        raise exc
                    # the server does not serve unadvertised commits: fetch everything instead
                    self._full_fetch(url, mirror, genv, sha)
            if not self.has_commit(mirror, sha):
                raise RevisionNotFoundError(
                    f"commit {sha} not found in repository {redact(url)} (it may have been force-pushed away)"
                )
        return mirror

    def _full_fetch(self, url: str, mirror: Path, genv, revision: str) -> None:
        args = ["fetch", "--force", "--prune", "--no-write-fetch-head"]
        status, out, _ = run_git_raw(
            ["rev-parse", "--is-shallow-repository"], cwd=mirror, genv=genv, timeout=30
        )
        if status == 0 and out.strip() == "true":
            args.append("--unshallow")
        args += [url, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
        run_git(
            args,
            cwd=mirror,
            genv=genv,
            timeout=self.config.exec_timeout,
            repo_url=url,
            what="fetching",
            revision=revision,
        )
        self.stats["full_fetch"] += 1

    # -- checkouts ----------------------------------------------------------------------------
    @contextmanager
    def checkout(self, url: str, sha: str, creds: RepoCredentials | None) -> Iterator[Path]:
        """The files of commit ``sha`` (materialised once, shared); hold it only inside the block."""
        name = f"{url_key(url)}-{sha}"
        root = self.base / "checkouts" / name
        meta = root.with_name(name + ".meta")
        lockfile = root.with_name(name + ".lock")
        if not meta.exists():
            self._materialise(url, sha, creds, root)
        co = _Checkout(root, lockfile)
        try:
            if not meta.exists():  # evicted between materialising and locking
                co.release()
                self._materialise(url, sha, creds, root)
                co = _Checkout(root, lockfile)
            os.utime(meta)
            yield root
        finally:
            co.release()

    def _materialise(self, url: str, sha: str, creds: RepoCredentials | None, root: Path) -> None:
        meta = root.with_name(root.name + ".meta")
        with file_lock(
            root.with_name(root.name + ".build.lock"), self.config.exec_timeout * 2, f"checkout {sha}"
        ):
            if meta.exists() and root.exists():
                return
            mirror = self.ensure_commit(url, sha, creds)
            tmp = root.with_name(root.name + f".tmp{os.getpid()}-{threading.get_ident()}")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                with git_env(creds, self.base, self.config.exec_timeout) as genv:
                    if self.config.submodules and self._has_submodules(mirror, sha, genv):
                        size = self._checkout_with_submodules(url, mirror, sha, tmp, genv)
                    else:
                        size = self._checkout_index(url, mirror, sha, tmp, genv)
                shutil.rmtree(root, ignore_errors=True)
                os.replace(tmp, root)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            meta.write_text(json.dumps({"url": redact(url), "sha": sha, "bytes": size}))
            self.stats["checkout"] += 1
        self._evict()

    def _checkout_index(self, url: str, mirror: Path, sha: str, dest: Path, genv) -> int:
        """Write the files of ``sha`` into ``dest`` exactly as ``git checkout`` would (unlike
        ``git archive``, ``export-ignore``/``export-subst`` attributes change nothing), through a
        private index file; refuse symlinks that point outside the repository."""
        index = dest.with_name(dest.name + ".index")
        env = dict(genv.env)
        env["GIT_INDEX_FILE"] = str(index)
        ienv = type(genv)(env, genv.secrets)
        base = ["--git-dir", str(mirror), "--work-tree", str(dest)]
        t = self.config.exec_timeout
        try:
            for args, what in (
                (["read-tree", sha], "reading the tree"),
                (["checkout-index", "--all", "--force"], "writing files (git checkout-index)"),
            ):
                run_git([*base, *args], cwd=dest, genv=ienv, timeout=t, repo_url=url, what=what, revision=sha)
        finally:
            index.unlink(missing_ok=True)
        from kedge.repo.paths import iter_out_of_bounds_symlinks

        for bad in iter_out_of_bounds_symlinks(dest):
            rel = bad.relative_to(dest)
            raise RepoError(
                f"repository {redact(url)} at revision {sha}: symlink {str(rel)!r} -> {os.readlink(bad)!r} "
                "points outside the repository"
            )
        size = 0
        for dirpath, _, filenames in os.walk(dest):
            for fn in filenames:
                p = os.path.join(dirpath, fn)
                if not os.path.islink(p):
                    size += os.path.getsize(p)
        return size

    def _has_submodules(self, mirror: Path, sha: str, genv) -> bool:
        status, _, _ = run_git_raw(
            ["cat-file", "-e", f"{sha}:.gitmodules"], cwd=mirror, genv=genv, timeout=30
        )
        return status == 0

    def _checkout_with_submodules(self, url: str, mirror: Path, sha: str, dest: Path, genv) -> int:
        """A temporary worktree of the mirror with submodules initialised; copied without .git."""
        work = dest.with_name(dest.name + ".work")
        shutil.rmtree(work, ignore_errors=True)
        t = self.config.exec_timeout

        def git(args: list[str], cwd: Path, what: str) -> None:
            run_git(args, cwd=cwd, genv=genv, timeout=t, repo_url=url, what=what, revision=sha)

        try:
            git(["config", "remote.origin.url", url], mirror, "preparing submodules")
            git(["worktree", "add", "--detach", "--force", str(work), sha], mirror, "checking out")
            git(["submodule", "update", "--init", "--recursive", "--depth=1"], work, "fetching submodules")
            size = 0
            for dirpath, dirnames, filenames in os.walk(work):
                if ".git" in dirnames:
                    dirnames.remove(".git")
                rel = Path(dirpath).relative_to(work)
                (dest / rel).mkdir(parents=True, exist_ok=True)
                for fn in filenames:
                    if fn == ".git":
                        continue
                    src = Path(dirpath) / fn
                    if src.is_symlink():
                        os.symlink(os.readlink(src), dest / rel / fn)
                    else:
                        shutil.copy2(src, dest / rel / fn)
                        size += src.stat().st_size
            from kedge.repo.paths import iter_out_of_bounds_symlinks

            for bad in iter_out_of_bounds_symlinks(dest):
                raise RepoError(
                    f"repository {redact(url)} at revision {sha} contains a symlink pointing outside "
                    f"the repository: {bad}"
                )
            return size
        finally:
            run_git_raw(["worktree", "remove", "--force", str(work)], cwd=mirror, genv=genv, timeout=30)
            shutil.rmtree(work, ignore_errors=True)
            run_git_raw(["worktree", "prune"], cwd=mirror, genv=genv, timeout=30)

    def _evict(self) -> None:
        """Remove least-recently-used checkouts above the byte budget (never one in use)."""
        budget = self.config.checkout_max_bytes
        with self._evict_lock:
            entries = []
            for meta in (self.base / "checkouts").glob("*.meta"):
                try:
                    size = json.loads(meta.read_text()).get("bytes", 0)
                    entries.append((meta.stat().st_mtime, size, meta))
                except (OSError, ValueError):
                    continue
            total = sum(e[1] for e in entries)
            for _, size, meta in sorted(entries):
                if total <= budget:
                    break
                name = meta.name[: -len(".meta")]
                lockfile = meta.with_name(name + ".lock")
                fd = os.open(lockfile, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # in use
                    meta.unlink(missing_ok=True)
                    shutil.rmtree(meta.with_name(name), ignore_errors=True)
                    total -= size
                    self.stats["evicted"] += 1
                    fcntl.flock(fd, fcntl.LOCK_UN)
                finally:
                    os.close(fd)

    # -- history ------------------------------------------------------------------------------
    def changed_files(self, url: str, old: str, new: str, creds: RepoCredentials | None) -> list[str]:
        """Paths (relative to the repository root) that differ between two commits (cached)."""
        key = (url_key(url), f"diff:{old}:{new}")
        with self._meta_lock:
            if key in self._meta:
                return list(self._meta[key]["files"])
        mirror = self.ensure_commit(url, old, creds)
        self.ensure_commit(url, new, creds)
        with git_env(creds, self.base, self.config.exec_timeout) as genv:
            out = run_git(
                ["diff", "--name-only", "--no-renames", "-z", old, new],
                cwd=mirror,
                genv=genv,
                timeout=self.config.exec_timeout,
                repo_url=url,
                what="comparing revisions",
                revision=new,
            )
        files = [p for p in out.split("\0") if p]
        with self._meta_lock:
            self._meta[key] = {"files": files}
            while len(self._meta) > 4096:
                self._meta.popitem(last=False)
        return files

    def metadata(self, url: str, sha: str, creds: RepoCredentials | None) -> dict:
        """Author, date (RFC 3339), message and tags of a commit (cached)."""
        key = (url_key(url), sha)
        with self._meta_lock:
            if key in self._meta:
                self._meta.move_to_end(key)
                return self._meta[key]
        mirror = self.ensure_commit(url, sha, creds)
        with git_env(creds, self.base, self.config.exec_timeout) as genv:
            out = run_git(
                ["show", "-s", "--format=%an <%ae>%n%aI%n%B", sha],
                cwd=mirror,
                genv=genv,
                timeout=self.config.exec_timeout,
                repo_url=url,
                what="reading commit metadata",
                revision=sha,
            )
            status, tags, _ = run_git_raw(["tag", "--points-at", sha], cwd=mirror, genv=genv, timeout=30)
        author, date, message = (out.split("\n", 2) + ["", "", ""])[:3]
        local_tags = tags.split() if status == 0 else []
        with self._refs_lock:
            refs = self._refs.get(url_key(url))
        remote_tags = (
            [n[len("refs/tags/") :] for n, c in refs.refs.items() if c == sha and n.startswith("refs/tags/")]
            if refs
            else []
        )
        meta = {
            "revision": sha,
            "author": author,
            "date": date,
            "message": message.strip(),
            "tags": sorted(set(local_tags) | set(remote_tags)),
        }
        with self._meta_lock:
            self._meta[key] = meta
            while len(self._meta) > 4096:
                self._meta.popitem(last=False)
        return meta


_shared: dict[str, GitRepos] = {}
_shared_lock = threading.Lock()
_last_shared: tuple[Any, Any, GitRepos] | None = None  # (config, its cache_dir, repos) of the last call


def shared(config: RepoServerConfig) -> GitRepos:
    """The process-wide :class:`GitRepos` for ``config.cache_dir``."""
    global _last_shared
    last = _last_shared  # one tuple, replaced as a whole: never a mix of two calls
    if last is not None and last[0] is config and last[1] == config.cache_dir:  # no path work
        return last[2]
    key = str(Path(config.cache_dir).resolve())
    with _shared_lock:
        repos = _shared.get(key)
        if repos is None or repos.config is not config and repos.config != config:
            repos = _shared[key] = GitRepos(config)
        _last_shared = (config, config.cache_dir, repos)
        return repos
