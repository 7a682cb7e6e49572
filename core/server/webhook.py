"""``/api/webhook``: Git push events from GitHub, GitLab, Bitbucket Cloud, Bitbucket Server,
Gogs and Azure DevOps. Each push refreshes exactly the applications whose source repository
(URLs normalised: scheme, user, ``.git`` and case ignored) and target revision match the
pushed ref, and, for apps with the ``argocd.argoproj.io/manifest-generate-paths`` annotation,
whose paths match a changed file.

Secrets (argocd-secret) are checked in constant time: ``webhook.github.secret`` (HMAC-SHA256
``X-Hub-Signature-256``, or SHA1 ``X-Hub-Signature``), ``webhook.gitlab.secret``
(``X-Gitlab-Token``), ``webhook.bitbucket.uuid`` (``X-Hook-UUID``),
``webhook.bitbucketserver.secret`` (HMAC ``X-Hub-Signature``), ``webhook.gogs.secret``
(``X-Gogs-Signature``), ``webhook.azuredevops.username`` / ``.password`` (basic auth).
When a provider's secret is not configured its events are accepted unauthenticated, as in
Argo CD (a push can only trigger a refresh). Bodies over ``webhook.maxPayloadSizeMB``
(argocd-cm, default 50) are refused with 413 before they are read whole.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool

from kedge.server.errors import APIError
from kedge.server.http import APIRequest, read_body
from kedge.server.routes import route

log = logging.getLogger(__name__)
MANIFEST_GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"
DEFAULT_MAX_MB = 50


@dataclass
class Push:
    provider: str
    urls: set[str]
    revisions: list[str]  # branch or tag names
    default_branch: str = ""
    changed: set[str] | None = None  # None when the provider does not say
    extra: dict[str, Any] = field(default_factory=dict)


_SCP = re.compile(r"^(?:[^@/]+@)?([^:/]+):(?!//)(.+)$")


def repo_key(url: str) -> str:
    """``host/path`` in lower case: https, ssh and scp-like forms of one repository are equal."""
    u = url.strip().lower()
    m = re.match(r"^[a-z][a-z0-9+.-]*://(.*)$", u)
    if m:
        rest = m.group(1)
        rest = rest.split("@", 1)[1] if "@" in rest.split("/", 1)[0] else rest
        host, _, path = rest.partition("/")
        host = host.split(":", 1)[0]
    else:
        sm = _SCP.match(u)
        if not sm:
            return u.rstrip("/").removesuffix(".git")
        host, path = sm.group(1), sm.group(2)
    path = path.strip("/").removesuffix(".git")
    if path.startswith("scm/"):  # Bitbucket Server clone URLs
        path = path[4:]
    return f"{host}/{path}"


def _branch(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def _files(commits: Any) -> set[str] | None:
    if not isinstance(commits, list):
        return None
    out: set[str] = set()
    for c in commits:
        if not isinstance(c, dict):
            continue
        for k in ("added", "modified", "removed"):
            out.update(str(f) for f in c.get(k) or [])
    return out


def _eq(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _hmac_ok(secret: str, body: bytes, given: str, algo: str = "sha256") -> bool:
    given = given.split("=", 1)[1] if "=" in given else given
    digest = hmac.new(secret.encode(), body, getattr(hashlib, algo)).hexdigest()
    return _eq(digest, given.strip().lower())


def parse(headers: Any, body: bytes, secret: dict[str, str]) -> Push | None:
    """Verify and parse one delivery; None for events that are not pushes (ping...)."""

    def payload() -> dict[str, Any]:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise APIError(400, f"webhook payload is not valid JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise APIError(400, "webhook payload must be a JSON object")
        return doc

    if "x-github-event" in headers:
        key = secret.get("webhook.github.secret")
        if key:
            sig256, sig1 = headers.get("x-hub-signature-256"), headers.get("x-hub-signature")
            ok = (sig256 and _hmac_ok(key, body, sig256)) or (sig1 and _hmac_ok(key, body, sig1, "sha1"))
            if not ok:
                raise APIError(
                    401,
                    "webhook signature verification failed (X-Hub-Signature-256 and webhook.github.secret)",
                )
        if headers["x-github-event"] != "push":
            return None
        doc = payload()
        repo = doc.get("repository") or {}
        urls = {
            str(repo.get(k)) for k in ("html_url", "clone_url", "ssh_url", "git_url", "url") if repo.get(k)
        }
        return Push(
            "github",
            urls,
            [_branch(str(doc.get("ref", "")))],
            str(repo.get("default_branch") or ""),
            _files(doc.get("commits")),
        )
    if "x-gitlab-event" in headers:
        key = secret.get("webhook.gitlab.secret")
        if key and not _eq(key, headers.get("x-gitlab-token", "")):
            raise APIError(
                401, "webhook token verification failed (X-Gitlab-Token and webhook.gitlab.secret)"
            )
        if headers["x-gitlab-event"] not in ("Push Hook", "Tag Push Hook"):
            return None
        doc = payload()
        proj = doc.get("project") or doc.get("repository") or {}
        urls = {
            str(proj.get(k))
            for k in ("web_url", "git_http_url", "git_ssh_url", "http_url", "ssh_url", "homepage")
            if proj.get(k)
        }
        return Push(
            "gitlab",
            urls,
            [_branch(str(doc.get("ref", "")))],
            str(proj.get("default_branch") or ""),
            _files(doc.get("commits")),
        )
    if "x-gogs-event" in headers:
        key = secret.get("webhook.gogs.secret")
        if key and not _hmac_ok(key, body, headers.get("x-gogs-signature", "")):
            raise APIError(
                401, "webhook signature verification failed (X-Gogs-Signature and webhook.gogs.secret)"
            )
        if headers["x-gogs-event"] != "push":
            return None
        doc = payload()
        repo = doc.get("repository") or {}
        urls = {str(repo.get(k)) for k in ("html_url", "clone_url", "ssh_url") if repo.get(k)}
        return Push(
            "gogs",
            urls,
            [_branch(str(doc.get("ref", "")))],
            str(repo.get("default_branch") or ""),
            _files(doc.get("commits")),
        )
    if "x-event-key" in headers:
        event = headers["x-event-key"]
        if "x-hook-uuid" in headers or event == "repo:push":
            key = secret.get("webhook.bitbucket.uuid")
            if key and not _eq(key, headers.get("x-hook-uuid", "")):
                raise APIError(
                    401, "webhook UUID verification failed (X-Hook-UUID and webhook.bitbucket.uuid)"
                )
            if event != "repo:push":
                return None
            doc = payload()
            repo = doc.get("repository") or {}
            full = str(repo.get("full_name") or "")
            urls = {f"https://bitbucket.org/{full}", f"git@bitbucket.org:{full}.git"} if full else set()
            html = ((repo.get("links") or {}).get("html") or {}).get("href")
            if html:
                urls.add(str(html))
            revs = [
                str((c.get("new") or {}).get("name"))
                for c in (doc.get("push") or {}).get("changes") or []
                if isinstance(c, dict) and (c.get("new") or {}).get("name")
            ]
            main = ((repo.get("mainbranch") or {}).get("name")) or ""
            return Push("bitbucket", urls, revs, str(main), None)
        key = secret.get("webhook.bitbucketserver.secret")
        if key and not _hmac_ok(key, body, headers.get("x-hub-signature", "")):
            raise APIError(
                401,
                "webhook signature verification failed (X-Hub-Signature and webhook.bitbucketserver.secret)",
            )
        if event not in ("repo:refs_changed",):
            return None
        doc = payload()
        repo = doc.get("repository") or {}
        urls = {
            str(link.get("href"))
            for link in ((repo.get("links") or {}).get("clone") or [])
            if isinstance(link, dict) and link.get("href")
        }
        revs = [
            str((c.get("ref") or {}).get("displayId") or _branch(str(c.get("refId", ""))))
            for c in doc.get("changes") or []
            if isinstance(c, dict)
        ]
        return Push("bitbucketserver", urls, revs, "", None)
    if headers.get("x-vss-activityid") or b'"eventType"' in body[:4096] or "authorization" in headers:
        user, pw = secret.get("webhook.azuredevops.username"), secret.get("webhook.azuredevops.password")
        if user or pw:
            given = headers.get("authorization", "")
            expected = "Basic " + base64.b64encode(f"{user or ''}:{pw or ''}".encode()).decode()
            if not _eq(expected, given):
                raise APIError(
                    401, "webhook basic authentication failed (webhook.azuredevops.username/password)"
                )
        doc = payload()
        if doc.get("eventType") != "git.push":
            return None
        res = doc.get("resource") or {}
        repo = res.get("repository") or {}
        urls = {str(repo.get(k)) for k in ("remoteUrl", "sshUrl", "webUrl") if repo.get(k)}
        revs = [_branch(str(u.get("name", ""))) for u in res.get("refUpdates") or [] if isinstance(u, dict)]
        return Push("azuredevops", urls, revs, _branch(str(repo.get("defaultBranch") or "")), None)
    raise APIError(
        400,
        "unknown webhook event: expected a GitHub, GitLab, Bitbucket, Bitbucket Server, Gogs or Azure DevOps push",
    )


def matching_apps(apps: list[dict[str, Any]], push: Push) -> list[str]:
    from kedge.repo.server import generate_paths, path_matches

    keys = {repo_key(u) for u in push.urls}
    out: list[str] = []
    for app in apps:
        meta, spec = app.get("metadata") or {}, app.get("spec") or {}
        sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
        annotation = (meta.get("annotations") or {}).get(MANIFEST_GENERATE_PATHS)
        for src in sources:
            if not isinstance(src, dict) or repo_key(str(src.get("repoURL", ""))) not in keys:
                continue
            target = str(src.get("targetRevision") or "HEAD")
            target = _branch(target)
            if target == "HEAD":
                hit = not push.default_branch or push.default_branch in push.revisions
            else:
                hit = target in push.revisions
            if not hit:
                continue
            if annotation and push.changed is not None:
                paths = generate_paths(annotation, str(src.get("path") or ""))
                if not any(path_matches(f, paths) for f in push.changed):
                    continue
            out.append(meta.get("name", ""))
            break
    return sorted(out)


@route(
    "POST",
    "/api/webhook",
    summary="Git push webhook (GitHub, GitLab, Bitbucket, Bitbucket Server, Gogs, Azure DevOps)",
    tag="Webhook",
    public=True,
    response="WebhookResponse",
)
async def webhook(req: APIRequest) -> dict[str, Any]:
    b = req.backend
    s = b.settings.current
    try:
        limit_mb = float(s.get("webhook.maxPayloadSizeMB") or DEFAULT_MAX_MB)
    except ValueError:
        limit_mb = DEFAULT_MAX_MB
    body = await read_body(req.request, int(limit_mb * 1024 * 1024))
    push = parse(req.request.headers, body, s.secret)
    if push is None:
        return {"refreshed": [], "message": "event ignored (not a push)"}
    names = matching_apps(b.controller.apps.list(), push)

    def refresh() -> list[str]:
        done = []
        for n in names:
            try:
                b.controller.refresh(n)
                done.append(n)
            except Exception as exc:  # noqa: BLE001 - one app must not stop the others
                log.warning("webhook: refreshing %s failed: %s", n, exc)
        return done

    done = await run_in_threadpool(refresh)
    return {"refreshed": done, "event": push.provider}
