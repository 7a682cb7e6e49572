"""Pure units of the repo server: semver constraints, URL handling, credentials selection."""

from __future__ import annotations

import base64

import pytest

from kedge.repo import semver_range as sv
from kedge.repo.creds import CredentialStore, RepoCredentials, pick_credentials
from kedge.repo.urls import normalize_url, redact, strip_userinfo

TAGS = ["v0.1.0", "v0.2.3", "v1.0.0", "v1.2.0", "v1.2.9", "v1.3.0-rc.1", "v1.10.0", "v2.0.0", "main", "1.5"]


@pytest.mark.parametrize(
    "constraint,expected",
    [
        ("1.2.*", "v1.2.9"),
        ("1.2.x", "v1.2.9"),
        (">=1.0.0 <2.0.0", "v1.10.0"),
        (">=1.0.0, <1.3.0", "v1.2.9"),
        ("~1.2", "v1.2.9"),
        ("~1.2.3", "v1.2.9"),
        ("~1.2.10", None),
        ("~1", "v1.10.0"),
        ("^1.2", "v1.10.0"),
        ("^0.2", "v0.2.3"),
        ("^0.1.0", "v0.1.0"),
        ("*", "v2.0.0"),
        ("1.*", "v1.10.0"),
        (">1.2", "v2.0.0"),
        ("<=1.2", "v1.2.9"),
        ("<1.2", "v1.0.0"),
        ("1.0.0 - 1.2.0", "v1.2.0"),
        ("<1.0.0 || >=2.0.0", "v2.0.0"),
        ("<0.2 || 1.2.0", "v1.2.0"),
        (">=1.3.0-0", "v2.0.0"),
        (">=1.3.0-0 <1.4.0-0", "v1.3.0-rc.1"),
        ("!=2.0.0", "v1.10.0"),
        (">=3", None),
    ],
)
def test_max_version_masterminds_semantics(constraint, expected):
    assert sv.is_constraint(constraint)
    assert sv.max_version(constraint, TAGS) == expected


@pytest.mark.parametrize("text", ["1.2.3", "v1.2.3", "1.2", "v1", "1.2.3-rc.1+b"])
def test_versions_are_pins_not_constraints(text):
    assert sv.is_version(text) and not sv.is_constraint(text)


@pytest.mark.parametrize("text", ["main", "HEAD", "feature/x", "abc1234", "refs/heads/main"])
def test_ref_names_are_not_constraints(text):
    assert not sv.is_constraint(text)


def test_normalize_url():
    same = [
        "https://github.com/Org/Repo",
        "https://github.com/Org/Repo.git",
        "https://github.com/Org/Repo/",
        "HTTPS://GitHub.com/Org/Repo.git",
        "https://user:pw@github.com/Org/Repo.git",
    ]
    assert len({normalize_url(u) for u in same}) == 1
    assert normalize_url("git@github.com:org/repo.git") == "ssh://git@github.com/org/repo"
    assert normalize_url("ssh://git@github.com/org/repo.git") == "ssh://git@github.com/org/repo"


def test_redact_and_strip():
    assert (
        redact("fatal: https://bob:hunter22@example.com/x.git failed")
        == "fatal: https://***@example.com/x.git failed"
    )
    assert redact("token abcdef in text", ["abcdef"]) == "token *** in text"
    assert strip_userinfo("https://bob:p%40ss@example.com/x") == ("https://example.com/x", "bob", "p@ss")


def _secret(name, stype, **fields):
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "labels": {"argocd.argoproj.io/secret-type": stype}},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in fields.items()},
    }


def test_pick_credentials_exact_then_longest_prefix():
    repos = [
        _secret("one", "repository", url="https://git.example.com/org/app.git", username="u1", password="p1")
    ]
    creds = [
        _secret("org", "repo-creds", url="https://git.example.com/org", username="org", password="porg"),
        _secret("all", "repo-creds", url="https://git.example.com", username="all", password="pall"),
    ]
    assert pick_credentials("https://git.example.com/org/app", repos, creds).username == "u1"
    assert pick_credentials("https://git.example.com/org/other.git", repos, creds).username == "org"
    assert pick_credentials("https://git.example.com/else/x", repos, creds).username == "all"
    assert pick_credentials("https://elsewhere.example.com/x", repos, creds) is None
    # a repository Secret without credentials inherits the template's
    bare = [{"url": "https://git.example.com/org/app2", "type": "git"}]
    c = pick_credentials("https://git.example.com/org/app2", bare, creds)
    assert (c.username, c.password) == ("org", "porg")


def test_credentials_repr_hides_secrets():
    c = RepoCredentials.from_mapping(
        {"url": "https://x", "password": "topsecret", "sshPrivateKey": "KEY", "insecure": "true"}
    )
    assert "topsecret" not in repr(c) and "KEY" not in repr(c) and c.insecure is True


def test_credential_store_moves_userinfo_out_of_url():
    store = CredentialStore(tls_certs={"git.example.com": "PEM"})
    c = store.for_url("https://me:tok@git.example.com/a.git")
    assert c.url == "https://git.example.com/a.git" and (c.username, c.password) == ("me", "tok")
    assert c.ca_data == "PEM"


def test_project_scoped_credentials():
    repos = [
        {"url": "https://git.example.com/a", "username": "global"},
        {"url": "https://git.example.com/a", "username": "team", "project": "team"},
        {"url": "https://git.example.com/b", "username": "other-only", "project": "other"},
    ]
    assert pick_credentials("https://git.example.com/a", repos, project="team").username == "team"
    assert pick_credentials("https://git.example.com/a", repos, project="default").username == "global"
    assert pick_credentials("https://git.example.com/b", repos, project="default") is None
