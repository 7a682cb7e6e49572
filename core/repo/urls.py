"""Repository URLs: normalisation (one cache entry per repository), redaction, host matching.

Argo CD users write the same repository several ways (``https://github.com/org/repo``,
``...repo.git``, ``...repo/``, ``git@github.com:org/repo.git``); :func:`normalize_url` maps
them to one key so every app of a repository shares one mirror. :func:`redact` removes any
``user:password@`` from a URL or a message before it reaches a log or an error.
"""

from __future__ import annotations

import functools
import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/\s]+)@)?(?P<host>[^:/\s]+):(?P<path>(?!//)[^\s]*)$")
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")


def is_ssh_url(url: str) -> bool:
    """Whether git would talk SSH to this URL (``ssh://`` or the scp-like ``user@host:path``)."""
    if url.startswith("ssh://") or url.startswith("git+ssh://"):
        return True
    return "://" not in url and bool(_SCP_LIKE.match(url))


def is_http_url(url: str) -> bool:
    return url.startswith("http://") or url.startswith("https://")


@functools.lru_cache(maxsize=8192)
def normalize_url(url: str) -> str:
    """A canonical form of a repository URL, used as the cache key.

    Lower-cases the scheme and host, drops credentials, a trailing ``/`` and ``.git``, turns
    ``git@host:org/repo`` into ``ssh://git@host/org/repo``. The path keeps its case (servers
    may be case-sensitive).
    """
    u = url.strip()
    m = _SCP_LIKE.match(u) if "://" not in u else None
    if m:
        user = m.group("user")
        u = f"ssh://{user + '@' if user else ''}{m.group('host')}/{m.group('path').lstrip('/')}"
    parts = urlsplit(u)
    host = (parts.hostname or "").lower()
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username if parts.scheme in ("ssh", "git+ssh") and parts.username else ""
    netloc = f"{user}@{host}" if user else host
    path = parts.path.rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


def strip_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """``(url without user:password, username, password)`` for http(s) URLs; others unchanged.

    For SSH the user name is part of the address (``git@host``), not a credential.
    """
    if not is_http_url(url):
        return url, None, None
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    from urllib.parse import unquote

    return (
        urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)),
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


def redact(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """``text`` with URL userinfo replaced by ``***`` and every given secret string removed."""
    out = _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)
    for s in secrets:
        if s and len(s) >= 3:
            out = out.replace(s, "***")
    return out


def url_key(url: str) -> str:
    """A short stable hash of the normalised URL, safe as a directory name."""
    return hashlib.sha256(normalize_url(url).encode()).hexdigest()[:20]


def slug(url: str) -> str:
    """A readable, filesystem-safe label (host and last path part; never credentials)."""
    n = normalize_url(url)
    parts = urlsplit(n)
    label = f"{parts.hostname or 'local'}-{parts.path.rsplit('/', 1)[-1] or 'repo'}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label)[:60]


def host_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL (for "same host" checks)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}{':' + str(parts.port) if parts.port else ''}"


def host_port(url: str) -> tuple[str, int | None]:
    """Host name and port of a URL, including scp-like SSH addresses."""
    if "://" not in url:
        m = _SCP_LIKE.match(url)
        if m:
            return m.group("host").lower(), None
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.port
