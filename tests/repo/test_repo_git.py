"""The Git source against real servers: git daemon, smart HTTP with basic auth, sshd."""

from __future__ import annotations

import pytest
from conftest import HTTP_PASSWORD, HTTP_USER

from kedge.repo.creds import RepoCredentials
from kedge.repo.errors import RepoAuthError, RepoUnreachableError, RevisionNotFoundError
from kedge.repo.git import GitRepos


def _repo_with_history(work_repo):
    r = work_repo()
    c1 = r.commit({"app/cm.yaml": "kind: ConfigMap\n", "other/x.yaml": "a: 1\n"}, "first")
    r.tag("v1.0.0")
    c2 = r.commit({"app/cm.yaml": "kind: ConfigMap\nv: 2\n"}, "second")
    r.tag("v1.2.0", annotated=True)
    r.tag("v1.2.5-rc.1")
    c3 = r.commit({"other/x.yaml": "a: 2\n"}, "third")
    r.tag("v2.0.0")
    r.branch("release")
    return r, (c1, c2, c3)


def test_resolve_branch_tag_sha_head_and_semver(work_repo, git_daemon, repo_config):
    r, (c1, c2, c3) = _repo_with_history(work_repo)
    url = git_daemon.url(r.name)
    repos = GitRepos(repo_config)
    assert repos.resolve(url, "HEAD", None) == c3
    assert repos.resolve(url, "", None) == c3
    assert repos.resolve(url, "main", None) == c3
    assert repos.resolve(url, "refs/heads/release", None) == c3
    assert repos.resolve(url, "v1.0.0", None) == c1
    assert repos.resolve(url, "v1.2.0", None) == c2  # annotated tag peeled to its commit
    assert repos.resolve(url, c1, None) == c1
    assert repos.resolve(url, "1.2.*", None) == c2  # pre-release 1.2.5-rc.1 is excluded
    assert repos.resolve(url, ">=1.0.0 <2.0.0", None) == c2
    assert repos.resolve(url, "~1.0", None) == c1
    assert repos.resolve(url, "^1.0", None) == c2
    assert repos.resolve(url, "*", None) == c3
    assert repos.resolve(url, "1.2.*-0", None) is not None
    assert repos.resolve(url, c1[:8], None) == c1  # short SHA needs a full fetch
    assert repos.stats["ls_remote"] == 1  # one ls-remote, cached


def test_ls_remote_cache_expiry_and_hard_refresh(work_repo, git_daemon, repo_config):
    r = work_repo()
    c1 = r.commit({"a.yaml": "a: 1\n"})
    url = git_daemon.url(r.name)
    repos = GitRepos(repo_config)
    assert repos.resolve(url, "main", None) == c1
    c2 = r.commit({"a.yaml": "a: 2\n"})
    assert repos.resolve(url, "main", None) == c1  # cached for the revision cache expiration
    assert repos.resolve(url, "main", None, refresh=True) == c2  # hard refresh bypasses
    repo_config.revision_cache_expiration = 0
    c3 = r.commit({"a.yaml": "a: 3\n"})
    assert repos.resolve(url, "main", None) == c3


def test_unknown_revision_names_repo_and_revision(work_repo, git_daemon, repo_config):
    r = work_repo()
    r.commit({"a.yaml": "a: 1\n"})
    url = git_daemon.url(r.name)
    repos = GitRepos(repo_config)
    with pytest.raises(RevisionNotFoundError) as e:
        repos.resolve(url, "no-such-branch", None)
    assert "no-such-branch" in str(e.value) and url in str(e.value)
    with pytest.raises(RevisionNotFoundError) as e:
        repos.resolve(url, "~9.0", None)
    assert "semver" in str(e.value)
    with pytest.raises(RevisionNotFoundError):
        repos.resolve(url, "deadbeefdeadbeef", None)


def test_checkout_shared_per_commit_and_shallow(work_repo, git_daemon, repo_config):
    r, (c1, c2, c3) = _repo_with_history(work_repo)
    url = git_daemon.url(r.name)
    repos = GitRepos(repo_config)
    with repos.checkout(url, c2, None) as root:
        assert (root / "app/cm.yaml").read_text() == "kind: ConfigMap\nv: 2\n"
        assert not (root / ".git").exists()
    with repos.checkout(url, c2, None) as root2:
        assert root2 == root
    assert repos.stats["checkout"] == 1 and repos.stats["fetch"] == 1 and repos.stats["full_fetch"] == 0
    mirror = repos.mirror_path(url)
    assert (mirror / "shallow").exists()  # a single commit was fetched
    assert repos.changed_files(url, c1, c3, None) == ["app/cm.yaml", "other/x.yaml"]
    assert repos.changed_files(url, c2, c3, None) == ["other/x.yaml"]
    assert repos.resolve(url, "v1.2.0", None) == c2
    meta = repos.metadata(url, c2, None)
    assert meta["author"] == "Test Author <author@example.com>"
    assert meta["message"] == "second" and meta["date"][:2] == "20"
    assert "v1.2.0" in meta["tags"]


def test_fallback_to_full_fetch_when_server_refuses_sha(work_repo, git_daemon, repo_config, monkeypatch):
    r = work_repo()
    c1 = r.commit({"other/x.yaml": "a: 1\n"})
    r.commit({"other/x.yaml": "a: 2\n"})  # c1 is no longer advertised
    url = git_daemon.url(r.name)
    # protocol v0 servers refuse unadvertised commits: the fetch falls back to a full fetch
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'protocol.version'='0'")
    repos = GitRepos(repo_config)
    with repos.checkout(url, c1, None) as root:
        assert (root / "other/x.yaml").read_text() == "a: 1\n"
    assert repos.stats["full_fetch"] == 1


def test_checkout_eviction_lru(work_repo, git_daemon, repo_config):
    r = work_repo()
    shas = [r.commit({"big.txt": str(i) * 4000}) for i in range(4)]
    url = git_daemon.url(r.name)
    repo_config.checkout_max_bytes = 9000
    repos = GitRepos(repo_config)
    for sha in shas:
        with repos.checkout(url, sha, None) as root:
            assert (root / "big.txt").exists()
    kept = sorted(p.name for p in (repo_config.cache_dir / "checkouts").glob("*.meta"))
    assert len(kept) == 2 and repos.stats["evicted"] == 2
    assert any(shas[-1] in k for k in kept)
    # a checkout in use is never evicted, even when it is the least recently used
    with repos.checkout(url, shas[0], None) as held:
        for sha in shas[1:]:
            with repos.checkout(url, sha, None):
                pass
        assert (held / "big.txt").read_text() == "0" * 4000


def test_out_of_bounds_symlink_is_refused(work_repo, git_daemon, repo_config):
    r = work_repo()
    r.write({"a.yaml": "a: 1\n"})
    (r.work / "evil").symlink_to("/etc/passwd")
    sha = r.commit(message="evil")
    repos = GitRepos(repo_config)
    from kedge.repo.errors import RepoError

    with pytest.raises(RepoError) as e:
        with repos.checkout(git_daemon.url(r.name), sha, None):
            pass
    assert "evil" in str(e.value) and "outside" in str(e.value)


def test_http_basic_auth(work_repo, git_http, repo_config):
    r = work_repo()
    c1 = r.commit({"a.yaml": "a: 1\n"})
    url = git_http.url(r.name)
    repos = GitRepos(repo_config)
    creds = RepoCredentials(url=url, username=HTTP_USER, password=HTTP_PASSWORD)
    assert repos.resolve(url, "main", creds) == c1
    with repos.checkout(url, c1, creds) as root:
        assert (root / "a.yaml").read_text() == "a: 1\n"
    assert not any(HTTP_PASSWORD in p.name for p in repo_config.cache_dir.rglob("*"))
    for f in repo_config.cache_dir.rglob("config"):
        assert HTTP_PASSWORD not in f.read_text()


def test_http_wrong_credentials_message_is_clean(work_repo, git_http, repo_config):
    r = work_repo()
    r.commit({"a.yaml": "a: 1\n"})
    url = git_http.url(r.name)
    repos = GitRepos(repo_config)
    bad = RepoCredentials(url=url, username=HTTP_USER, password="wrong-Secret-123")
    with pytest.raises(RepoAuthError) as e:
        repos.resolve(url, "main", bad)
    msg = str(e.value)
    assert url in msg and "credentials" in msg and "wrong-Secret-123" not in msg
    with pytest.raises(RepoAuthError):
        repos.resolve(url, "main", None)
    # credentials written into the URL are redacted from messages
    userinfo_url = url.replace("http://", f"http://{HTTP_USER}:wrong-Secret-123@")
    with pytest.raises(RepoAuthError) as e:
        repos.resolve(userinfo_url, "main", bad)
    assert "wrong-Secret-123" not in str(e.value)


def test_unreachable_repo(repo_config):
    from gitservers import free_port

    url = f"http://127.0.0.1:{free_port()}/nothing.git"
    repos = GitRepos(repo_config)
    with pytest.raises(RepoUnreachableError) as e:
        repos.resolve(url, "main", None)
    assert url in str(e.value) and "unreachable" in str(e.value)


def test_ssh_with_key_and_known_hosts(work_repo, ssh_server, repo_config):
    r = work_repo()
    c1 = r.commit({"a.yaml": "a: ssh\n"})
    url = ssh_server.url(r.bare)
    repos = GitRepos(repo_config)
    creds = RepoCredentials(
        url=url, ssh_private_key=ssh_server.private_key, known_hosts=ssh_server.known_hosts
    )
    assert repos.resolve(url, "main", creds) == c1
    with repos.checkout(url, c1, creds) as root:
        assert (root / "a.yaml").read_text() == "a: ssh\n"
    # temporary key files are gone
    assert not list((repo_config.cache_dir / "tmp").iterdir())
    # unknown host key: refused unless insecure
    strict = RepoCredentials(url=url, ssh_private_key=ssh_server.private_key, known_hosts="# none\n")
    with pytest.raises(RepoAuthError) as e:
        repos.resolve(url, "main", strict, refresh=True)
    assert "host key" in str(e.value) and "BEGIN OPENSSH" not in str(e.value)
    insecure = RepoCredentials(url=url, ssh_private_key=ssh_server.private_key, insecure=True)
    assert repos.resolve(url, "main", insecure, refresh=True) == c1
    # no key: authentication error
    with pytest.raises(RepoAuthError):
        repos.resolve(url, "main", RepoCredentials(url=url, insecure=True), refresh=True)


def test_https_custom_ca_and_client_certificate(work_repo, git_root, tmp_path, repo_config):
    from gitservers import GitHTTPServer, make_tls, server_ssl_context

    from kedge.repo.errors import RepoError

    tls = make_tls(tmp_path)
    srv = GitHTTPServer(git_root / "srv", ssl_context=server_ssl_context(tls))
    try:
        r = work_repo()
        c1 = r.commit({"a.yaml": "a: tls\n"})
        url = srv.url(r.name)
        assert url.startswith("https://")
        repos = GitRepos(repo_config)
        good = RepoCredentials(
            url=url,
            ca_data=tls["ca"],
            tls_client_cert_data=tls["client_cert"],
            tls_client_cert_key=tls["client_key"],
        )
        assert repos.resolve(url, "main", good) == c1
        with repos.checkout(url, c1, good) as root:
            assert (root / "a.yaml").read_text() == "a: tls\n"
        # unknown CA: refused, and the message says why
        no_ca = RepoCredentials(
            url=url, tls_client_cert_data=tls["client_cert"], tls_client_cert_key=tls["client_key"]
        )
        with pytest.raises(RepoError) as e:
            repos.resolve(url, "main", no_ca, refresh=True)
        assert "certificate" in str(e.value).lower() and "PRIVATE KEY" not in str(e.value)
        # insecure skips server verification (the client certificate is still required)
        insecure = RepoCredentials(
            url=url,
            insecure=True,
            tls_client_cert_data=tls["client_cert"],
            tls_client_cert_key=tls["client_key"],
        )
        assert repos.resolve(url, "main", insecure, refresh=True) == c1
        # no client certificate: the server refuses the handshake
        with pytest.raises(RepoError):
            repos.resolve(url, "main", RepoCredentials(url=url, ca_data=tls["ca"]), refresh=True)
    finally:
        srv.stop()


def test_checkout_matches_git_checkout_not_git_archive(work_repo, git_daemon, repo_config):
    r = work_repo()
    sha = r.commit(
        {
            ".gitattributes": "app/hidden.yaml export-ignore\napp/subst.yaml export-subst\n",
            "app/hidden.yaml": "a: 1\n",
            "app/subst.yaml": "commit: $Format:%H$\n",
        }
    )
    (r.work / "app" / "link.yaml").symlink_to("hidden.yaml")
    sha = r.commit(message="link")
    repos = GitRepos(repo_config)
    with repos.checkout(git_daemon.url(r.name), sha, None) as root:
        assert (root / "app/hidden.yaml").read_text() == "a: 1\n"
        assert (root / "app/subst.yaml").read_text() == "commit: $Format:%H$\n"
        assert (root / "app/link.yaml").is_symlink() and (root / "app/link.yaml").read_text() == "a: 1\n"
