"""Git webhooks: signatures checked in constant time, payload limits, and exactly the matching
apps refreshed (repository URL, revision, manifest-generate-paths)."""

import base64
import hashlib
import hmac
import json

import pytest
from conftest import application, unique, wait_for

from kedge.server.errors import APIError
from kedge.server.webhook import Push, matching_apps, parse, repo_key

REFRESH = "argocd.argoproj.io/refresh"


def github_push(url, ref="refs/heads/main", files=("app/a.yaml",), default="main"):
    return {
        "ref": ref,
        "repository": {
            "html_url": url,
            "clone_url": url + ".git",
            "ssh_url": "git@github.com:org/repo.git",
            "default_branch": default,
        },
        "commits": [{"added": [], "modified": list(files), "removed": []}],
    }


def sign(secret, body, algo="sha256"):
    return f"{algo}=" + hmac.new(secret.encode(), body, getattr(hashlib, algo)).hexdigest()


def test_repo_keys_normalise():
    assert (
        repo_key("https://github.com/Org/Repo.git")
        == repo_key("git@github.com:org/repo")
        == "github.com/org/repo"
    )
    assert repo_key("ssh://git@github.com:22/org/repo.git") == "github.com/org/repo"
    assert repo_key("https://user@bitbucket.example.com/scm/prj/repo.git") == "bitbucket.example.com/prj/repo"


def _app(name, url, rev="HEAD", path="app", ann=None):
    a = application(name, url, "default", path=path)
    a["spec"]["source"]["targetRevision"] = rev
    a["metadata"]["annotations"] = ann or {}
    return a


def test_matching_rules():
    url = "https://github.com/org/repo"
    apps = [
        _app("head", url + ".git"),
        _app("main", "git@github.com:org/repo.git", "main"),
        _app("other-branch", url, "dev"),
        _app("other-repo", "https://github.com/org/else"),
        _app("paths-hit", url, ann={"argocd.argoproj.io/manifest-generate-paths": "."}),
        _app("paths-miss", url, path="svc", ann={"argocd.argoproj.io/manifest-generate-paths": "."}),
        _app("abs-path", url, path="svc", ann={"argocd.argoproj.io/manifest-generate-paths": "/app"}),
        _app("tagged", url, "refs/heads/main"),
    ]
    push = Push("github", {url}, ["main"], "main", {"app/a.yaml"})
    assert matching_apps(apps, push) == ["abs-path", "head", "main", "paths-hit", "tagged"]
    # a push to another branch refreshes only apps tracking it
    assert matching_apps(apps, Push("github", {url}, ["dev"], "main", {"app/a.yaml"})) == ["other-branch"]
    # unknown changed files: the annotation cannot exclude anything
    assert "paths-miss" in matching_apps(apps, Push("bitbucket", {url}, ["main"], "main", None))


def test_parse_verifies_every_provider():
    body = json.dumps(github_push("https://github.com/org/repo")).encode()
    secret = {"webhook.github.secret": "s"}
    ok = parse({"x-github-event": "push", "x-hub-signature-256": sign("s", body)}, body, secret)
    assert ok.provider == "github" and ok.revisions == ["main"] and ok.changed == {"app/a.yaml"}
    assert parse({"x-github-event": "push", "x-hub-signature": sign("s", body, "sha1")}, body, secret)
    for bad in ({}, {"x-hub-signature-256": sign("wrong", body)}, {"x-hub-signature-256": "sha256=zz"}):
        with pytest.raises(APIError) as e:
            parse({"x-github-event": "push", **bad}, body, secret)
        assert e.value.status == 401
    assert parse({"x-github-event": "ping", "x-hub-signature-256": sign("s", body)}, body, secret) is None
    gl = json.dumps(
        {
            "ref": "refs/heads/main",
            "project": {"web_url": "https://gitlab.com/a/b", "default_branch": "main"},
            "commits": [],
        }
    ).encode()
    assert (
        parse(
            {"x-gitlab-event": "Push Hook", "x-gitlab-token": "t"}, gl, {"webhook.gitlab.secret": "t"}
        ).provider
        == "gitlab"
    )
    with pytest.raises(APIError):
        parse({"x-gitlab-event": "Push Hook", "x-gitlab-token": "x"}, gl, {"webhook.gitlab.secret": "t"})
    bb = json.dumps(
        {
            "repository": {"full_name": "a/b"},
            "push": {"changes": [{"new": {"type": "branch", "name": "main"}}]},
        }
    ).encode()
    p = parse({"x-event-key": "repo:push", "x-hook-uuid": "{u}"}, bb, {"webhook.bitbucket.uuid": "{u}"})
    assert p.revisions == ["main"] and repo_key("https://bitbucket.org/a/b") in {repo_key(u) for u in p.urls}
    with pytest.raises(APIError):
        parse({"x-event-key": "repo:push", "x-hook-uuid": "{v}"}, bb, {"webhook.bitbucket.uuid": "{u}"})
    bbs = json.dumps(
        {
            "repository": {"links": {"clone": [{"href": "https://bbs/scm/p/r.git"}]}},
            "changes": [{"ref": {"displayId": "main"}}],
        }
    ).encode()
    p = parse(
        {"x-event-key": "repo:refs_changed", "x-hub-signature": sign("k", bbs)},
        bbs,
        {"webhook.bitbucketserver.secret": "k"},
    )
    assert p.provider == "bitbucketserver" and p.revisions == ["main"]
    gogs = json.dumps(github_push("https://gogs.example.com/a/b")).encode()
    sig = hmac.new(b"g", gogs, hashlib.sha256).hexdigest()
    assert (
        parse({"x-gogs-event": "push", "x-gogs-signature": sig}, gogs, {"webhook.gogs.secret": "g"}).provider
        == "gogs"
    )
    az = json.dumps(
        {
            "eventType": "git.push",
            "resource": {
                "refUpdates": [{"name": "refs/heads/main"}],
                "repository": {
                    "remoteUrl": "https://dev.azure.com/o/p/_git/r",
                    "defaultBranch": "refs/heads/main",
                },
            },
        }
    ).encode()
    auth = "Basic " + base64.b64encode(b"u:p").decode()
    creds = {"webhook.azuredevops.username": "u", "webhook.azuredevops.password": "p"}
    assert parse({"authorization": auth}, az, creds).revisions == ["main"]
    with pytest.raises(APIError):
        parse({"authorization": "Basic eDp5"}, az, creds)
    with pytest.raises(APIError) as e:
        parse({"content-type": "application/json"}, b"{}", {})
    assert e.value.status == 400


def test_webhook_refreshes_matching_apps(server, admin):
    import httpx

    url = f"https://github.com/org/{unique('hook')}"
    hit, miss = unique("hit"), unique("miss")
    assert admin.post("/api/v1/applications", json=_app(hit, url + ".git", "main")).status_code == 200
    assert admin.post("/api/v1/applications", json=_app(miss, url, "release")).status_code == 200
    wait_for(lambda: server.backend.controller.apps.get(miss) is not None)
    body = json.dumps(github_push(url)).encode()
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.post(
            "/api/webhook",
            content=body,
            headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": sign("wrong", body)},
        )
        assert r.status_code == 401 and "signature" in r.json()["message"]
        r = c.post(
            "/api/webhook",
            content=body,
            headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": sign("gh-secret", body)},
        )
        assert r.status_code == 200, r.text
        assert r.json()["refreshed"] == [hit]
        big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
        r = c.post(
            "/api/webhook",
            content=big,
            headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": sign("gh-secret", big)},
        )
        assert r.status_code == 413
        r = c.post(
            "/api/webhook",
            content=b"not json",
            headers={"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "gl-secret"},
        )
        assert r.status_code == 400
