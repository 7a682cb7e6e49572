"""GitRepos.ls_remote coalescing against a real git daemon: concurrent hard refreshes share a
listing, but a refresh is only ever answered by a listing that started after it was asked."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from kedge.repo.git import GitRepos
from kedge.repo.urls import url_key


def _resolve_all(repos: GitRepos, url: str, n: int) -> list[str]:
    start = threading.Barrier(n)

    def one(_: int) -> str:
        start.wait(10)
        return repos.resolve(url, "HEAD", None, refresh=True)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_sixteen_concurrent_hard_refreshes_share_listings(work_repo, git_daemon, repo_config):
    r = work_repo()
    c1 = r.commit({"a.yaml": "a: 1\n"})
    url = git_daemon.url(r.name)
    repos = GitRepos(repo_config)
    shas = _resolve_all(repos, url, 16)
    assert shas == [c1] * 16
    assert 1 <= repos.stats["ls_remote"] <= 3


def test_coalescing_is_bounded_even_when_the_first_listing_is_slow(work_repo, git_daemon, repo_config):
    """Hold the first listing until all 16 callers have asked: whoever asked before it started
    shares it, everyone else shares the second one; never more than two."""
    r = work_repo()
    c1 = r.commit({"a.yaml": "a: 1\n"})
    url = git_daemon.url(r.name)
    repos = GitRepos(repo_config)
    n = 16
    asked = threading.Semaphore(0)
    real_lock, real_list = repos._refs_key_lock, repos._ls_remote_with_retry
    calls = []

    def key_lock(key):  # called by ls_remote right after it noted when it was asked
        asked.release()
        return real_lock(key)

    def listing(u, creds):
        calls.append(u)
        out = real_list(u, creds)
        if len(calls) == 1:
            for _ in range(n):
                assert asked.acquire(timeout=10)
        return out

    repos._refs_key_lock = key_lock
    repos._ls_remote_with_retry = listing
    shas = _resolve_all(repos, url, n)
    assert shas == [c1] * n
    assert 1 <= repos.stats["ls_remote"] == len(calls) <= 2


def test_a_listing_that_started_before_the_refresh_is_never_reused(work_repo, git_daemon, repo_config):
    """A refresh asked while an older listing is still running (it began before the new commit)
    waits for it, then lists again instead of taking its stale answer."""
    r = work_repo()
    c1 = r.commit({"a.yaml": "a: 1\n"})
    url = git_daemon.url(r.name)
    repos = GitRepos(repo_config)
    real_lock, real_list = repos._refs_key_lock, repos._ls_remote_with_retry
    first_listed = threading.Event()
    release_first = threading.Event()
    second_asked = threading.Event()
    calls = []

    def listing(u, creds):
        calls.append(u)
        out = real_list(u, creds)
        if len(calls) == 1:
            first_listed.set()
            assert release_first.wait(10)
        return out

    def key_lock(key):
        if threading.current_thread().name == "second":
            second_asked.set()
        return real_lock(key)

    repos._ls_remote_with_retry = listing
    repos._refs_key_lock = key_lock
    got: dict[str, str] = {}
    first = threading.Thread(
        target=lambda: got.__setitem__("first", repos.resolve(url, "HEAD", None, refresh=True)), name="first"
    )
    first.start()
    assert first_listed.wait(10)  # the first listing has read the refs (c1) and is still "running"
    c2 = r.commit({"a.yaml": "a: 2\n"})
    second = threading.Thread(
        target=lambda: got.__setitem__("second", repos.resolve(url, "main", None, refresh=True)),
        name="second",
    )
    second.start()
    assert second_asked.wait(10)  # the second refresh was asked while the first listing runs
    release_first.set()
    first.join(20)
    second.join(20)
    assert got == {"first": c1, "second": c2}
    assert repos.stats["ls_remote"] == 2
    # and the cache now holds the newer listing
    assert repos.resolve(url, "HEAD", None) == c2
    assert repos.stats["ls_remote"] == 2


def test_refresh_after_a_commit_sees_it_and_the_ttl_cache_does_not(work_repo, git_daemon, repo_config):
    r = work_repo()
    c1 = r.commit({"a.yaml": "a: 1\n"})
    url = git_daemon.url(r.name)
    repo_config.revision_cache_expiration = 600
    repos = GitRepos(repo_config)
    assert repos.resolve(url, "HEAD", None) == c1
    assert repos.stats["ls_remote"] == 1
    c2 = r.commit({"a.yaml": "a: 2\n"})
    # within the TTL, without refresh: the cached (old) answer, no new listing
    assert repos.resolve(url, "HEAD", None) == c1
    assert repos.resolve(url, "main", None) == c1
    assert repos.stats["ls_remote"] == 1
    # a refresh asked now: the cached listing started before it, so it lists again
    assert repos.resolve(url, "HEAD", None, refresh=True) == c2
    assert repos.stats["ls_remote"] == 2
    # every refresh lists again (each is asked after the previous listing started)
    c3 = r.commit({"a.yaml": "a: 3\n"})
    assert repos.resolve(url, "main", None, refresh=True) == c3
    assert repos.stats["ls_remote"] == 3
    # and the non-refresh path now serves the newest listing from the cache
    assert repos.resolve(url, "HEAD", None) == c3
    assert repos.stats["ls_remote"] == 3
    refs = repos._refs[url_key(url)]
    assert refs.started_at <= refs.fetched_at


def test_concurrent_refreshes_of_different_repositories_do_not_share(work_repo, git_daemon, repo_config):
    a, b = work_repo(), work_repo()
    ca, cb = a.commit({"a.yaml": "a\n"}), b.commit({"b.yaml": "b\n"})
    ua, ub = git_daemon.url(a.name), git_daemon.url(b.name)
    repos = GitRepos(repo_config)
    start = threading.Barrier(8)

    def one(i: int) -> tuple[str, str]:
        start.wait(10)
        url = ua if i % 2 else ub
        return url, repos.resolve(url, "HEAD", None, refresh=True)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    assert all(sha == (ca if url == ua else cb) for url, sha in results)
    # (stats is a plain dict: increments under two different repositories' locks may race)
    assert repos.stats["ls_remote"] <= 6


def test_callers_waiting_on_a_failed_listing_share_its_error(git_daemon, repo_config):
    """An unknown repository: the callers that asked while the listing ran get its error instead
    of each running their own listing one after another."""
    from kedge.repo.errors import RepoError

    url = git_daemon.url("no-such-repository")
    repos = GitRepos(repo_config)
    n = 12
    start = threading.Barrier(n)
    errors: list[str] = []

    def one(_: int) -> None:
        start.wait(10)
        try:
            repos.resolve(url, "HEAD", None, refresh=True)
        except RepoError as exc:
            errors.append(str(exc))

    with ThreadPoolExecutor(n) as pool:
        list(pool.map(one, range(n)))
    assert len(errors) == n
    assert len(set(errors)) == 1 and "no-such-repository" in errors[0]
    assert 1 <= repos.stats["ls_remote_failed"] <= 3
    assert repos.stats["ls_remote"] == 0
    # a later refresh (asked after that failure) tries again
    before = repos.stats["ls_remote_failed"]
    try:
        repos.resolve(url, "HEAD", None, refresh=True)
    except RepoError:
        pass
    assert repos.stats["ls_remote_failed"] == before + 1
