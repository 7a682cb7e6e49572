"""Errors raised while fetching sources. Messages name the repository (credentials redacted)
and the revision, and never contain a secret: they are shown as Application conditions."""

from __future__ import annotations

from kedge.errors import RenderError


class RepoError(RenderError):
    """A source could not be fetched or resolved (a kind of manifest generation failure)."""


class RepoAuthError(RepoError):
    """The repository refused the credentials (or none were configured)."""


class RepoUnreachableError(RepoError):
    """The repository host could not be reached (DNS, connection refused, timeout)."""


class RevisionNotFoundError(RepoError):
    """A branch, tag, commit or semver range that matches nothing in the repository."""


class RepoTimeoutError(RepoError):
    """A git or HTTP operation took longer than its timeout."""
