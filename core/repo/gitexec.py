"""Running ``git`` (through GitPython) with credentials that never touch a URL, argv or log.

* HTTPS username/password or token: ``GIT_ASKPASS`` points at a tiny script that prints
  ``$KEDGE_GIT_USERNAME`` / ``$KEDGE_GIT_PASSWORD`` from the command's own environment.
* Bearer tokens and forced basic auth: ``http.extraHeader``, passed as ``GIT_CONFIG_*``
  environment variables (not ``-c`` arguments, which ``ps`` would show).
* SSH: ``GIT_SSH_COMMAND`` with the private key in a temporary 0600 file (deleted after the
  command), ``BatchMode`` and either strict host key checking against the configured
  ``ssh_known_hosts`` data or, with ``insecure: true``, none.
* TLS: client certificate/key and the host's CA bundle as temporary files for
  ``http.sslCert`` / ``http.sslKey`` / ``http.sslCAInfo``; ``insecure`` sets ``http.sslVerify=false``.

Every command has a timeout and ``GIT_TERMINAL_PROMPT=0``; failures raise a
:class:`~kedge.repo.errors.RepoError` whose message names the repository (userinfo redacted)
and what failed, with every secret scrubbed from git's stderr.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from kedge.repo.creds import RepoCredentials
from kedge.repo.errors import RepoAuthError, RepoError, RepoTimeoutError, RepoUnreachableError
from kedge.repo.urls import redact

_ASKPASS = """#!/bin/sh
# Kedge askpass helper: answers git's prompts from the environment of the git command.
case "$1" in
  Username*|username*) printf '%s\\n' "$KEDGE_GIT_USERNAME" ;;
  *) printf '%s\\n' "$KEDGE_GIT_PASSWORD" ;;
esac
"""

_AUTH_MARKERS = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "permission denied (publickey",
    "permission denied, please try again",
    "http basic: access denied",
    "the requested url returned error: 401",
    "the requested url returned error: 403",
    "invalid username or password",
    "host key verification failed",
    "no matching host key",
    "remote host identification has changed",
)
_UNREACHABLE_MARKERS = (
    "could not resolve host",
    "connection refused",
    "unable to connect",
    "failed to connect",
    "couldn't connect",
    "connection timed out",
    "no route to host",
    "network is unreachable",
    "could not resolve hostname",
    "name or service not known",
    "operation timed out",
    "connection reset",
    "connection closed by",
)
_NOT_FOUND_MARKERS = (
    "repository not found",
    "does not appear to be a git repository",
    "not found",
    "returned error: 404",
    "no such file or directory",
)


_askpass_ready: set[str] = set()
_askpass_lock = threading.Lock()


def askpass_script(base: Path) -> Path:
    """The askpass helper in ``base`` (written once, mode 0700; safe across threads and processes)."""
    path = base / "askpass.sh"
    key = str(path)
    if key in _askpass_ready:
        return path
    with _askpass_lock:
        if not path.exists() or path.read_text() != _ASKPASS:
            base.mkdir(parents=True, exist_ok=True)
            tmp = base / f".askpass.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_text(_ASKPASS)
            tmp.chmod(0o700)
            os.replace(tmp, path)
        _askpass_ready.add(key)
    return path


class GitEnv:
    """The environment for one git command against one repository, plus its secrets (for scrubbing)."""

    def __init__(self, env: dict[str, str], secrets: list[str]) -> None:
        self.env = env
        self.secrets = secrets


@contextmanager
def git_env(creds: RepoCredentials | None, base: Path, timeout: float) -> Iterator[GitEnv]:
    """Build the environment for git commands using ``creds``; temporary key files live in a
    private directory removed when the block ends."""
    creds = creds or RepoCredentials()
    username, password = creds.username or "", creds.password or ""
    secrets = creds.secrets()
    if creds.github_app_private_key and not password:
        from kedge.repo.githubapp import installation_token

        username, password = "x-access-token", installation_token(creds, timeout)
        secrets.append(password)
    env: dict[str, str] = {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": str(askpass_script(base)),
        "SSH_ASKPASS": "/bin/false",
        "GCM_INTERACTIVE": "never",
        "GIT_SSH_VARIANT": "ssh",
        "KEDGE_GIT_USERNAME": username,
        "KEDGE_GIT_PASSWORD": password,
    }
    config: list[tuple[str, str]] = [("credential.helper", ""), ("core.hooksPath", "/dev/null")]
    tmp = Path(tempfile.mkdtemp(prefix="kedge-git-", dir=_tmp_root(base)))
    os.chmod(tmp, 0o700)
    try:

        def secret_file(name: str, content: str) -> str:
            p = tmp / name
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(content if content.endswith("\n") else content + "\n")
            return str(p)

        if creds.bearer_token:
            config.append(("http.extraHeader", f"Authorization: Bearer {creds.bearer_token}"))
        elif creds.force_http_basic_auth and (username or password):
            import base64

            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            config.append(("http.extraHeader", f"Authorization: Basic {token}"))
        # GIT_SSL_* environment variables beat configuration: set both
        if creds.tls_client_cert_data:
            env["GIT_SSL_CERT"] = secret_file("client.crt", creds.tls_client_cert_data)
            config.append(("http.sslCert", env["GIT_SSL_CERT"]))
        if creds.tls_client_cert_key:
            env["GIT_SSL_KEY"] = secret_file("client.key", creds.tls_client_cert_key)
            config.append(("http.sslKey", env["GIT_SSL_KEY"]))
        if creds.insecure:
            env["GIT_SSL_NO_VERIFY"] = "true"
            config.append(("http.sslVerify", "false"))
        elif creds.ca_data:
            env["GIT_SSL_CAINFO"] = secret_file("ca.crt", creds.ca_data)
            config.append(("http.sslCAInfo", env["GIT_SSL_CAINFO"]))
        if creds.proxy:
            config.append(("http.proxy", creds.proxy))
        if creds.no_proxy:
            env["NO_PROXY"] = env["no_proxy"] = creds.no_proxy

        ssh = [
            "ssh",
            "-o",
            "BatchMode=yes",
            "-o",
            f"ConnectTimeout={max(1, int(min(timeout, 60)))}",
        ]
        if creds.ssh_private_key:
            ssh += ["-i", secret_file("id_key", creds.ssh_private_key), "-o", "IdentitiesOnly=yes"]
        if creds.insecure:
            ssh += [
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
            ]
        elif creds.known_hosts:
            kh = secret_file("known_hosts", creds.known_hosts)
            ssh += ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={kh}"]
        else:
            ssh += ["-o", "StrictHostKeyChecking=yes"]
        env["GIT_SSH_COMMAND"] = " ".join(shlex.quote(a) for a in ssh)

        env["GIT_CONFIG_COUNT"] = str(len(config))
        for i, (k, v) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{i}"] = k
            env[f"GIT_CONFIG_VALUE_{i}"] = v
        yield GitEnv(env, secrets)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _tmp_root(base: Path) -> str:
    root = base / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return str(root)


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None,
    genv: GitEnv,
    timeout: float,
    repo_url: str,
    what: str,
    revision: str = "",
) -> str:
    """Run ``git ARGS`` and return stdout (text); raise a classified :class:`RepoError` on failure."""
    status, out, err = run_git_raw(args, cwd=cwd, genv=genv, timeout=timeout)
    if status != 0:
        raise classify_failure(
            err, status, repo_url=repo_url, what=what, revision=revision, secrets=genv.secrets
        )
    return out


def run_git_raw(
    args: Sequence[str], *, cwd: Path | None, genv: GitEnv, timeout: float
) -> tuple[int, str, str]:
    """``(status, stdout, stderr)``; status -9 with a timeout message in stderr on timeout."""
    from git.cmd import Git
    from git.exc import GitCommandNotFound

    g = Git(str(cwd) if cwd else None)
    try:
        status, out, err = _execute(g, args, genv, timeout)
    except GitCommandNotFound:
        raise RepoError("the git command is not installed (apt-get install git)") from None
    if isinstance(err, bytes):
        err = err.decode("utf-8", "replace")
    if isinstance(out, bytes):
        out = out.decode("utf-8", "replace")
    if status != 0 and "did not complete in" in (err or ""):
        status = -9
    return int(status or 0), out or "", err or ""


def _execute(g, args: Sequence[str], genv: GitEnv, timeout: float):
    return g.execute(
        ["git", *args],
        with_extended_output=True,
        with_exceptions=False,
        kill_after_timeout=timeout,
        env=genv.env,
        stdout_as_string=True,
    )


def classify_failure(
    stderr: str, status: int, *, repo_url: str, what: str, revision: str = "", secrets: Sequence[str] = ()
) -> RepoError:
    """Turn git's stderr into a clear error naming the repository and revision, secrets removed."""
    repo = redact(repo_url, secrets)
    rev = f" at revision {revision!r}" if revision else ""
    detail = _tail(redact(stderr, list(secrets)))
    low = stderr.lower()
    if status == -9:
        return RepoTimeoutError(f"{what} for repository {repo}{rev} timed out (ARGOCD_EXEC_TIMEOUT)")
    if "host key verification failed" in low or "no matching host key" in low:
        return RepoAuthError(
            f"{what} for repository {repo} failed: SSH host key verification failed; add the host's key "
            f"to argocd-ssh-known-hosts-cm or set insecure: true on the repository Secret ({detail})"
        )
    if any(m in low for m in _AUTH_MARKERS):
        return RepoAuthError(
            f"{what} for repository {repo} failed: authentication required or credentials rejected; "
            f"check the repository Secret ({detail})"
        )
    if any(m in low for m in _UNREACHABLE_MARKERS):
        return RepoUnreachableError(f"{what} for repository {repo} failed: repository unreachable ({detail})")
    if any(m in low for m in _NOT_FOUND_MARKERS):
        return RepoError(f"{what} for repository {repo}{rev} failed: repository not found ({detail})")
    return RepoError(f"{what} for repository {repo}{rev} failed ({detail or f'git exited with {status}'})")


def _tail(stderr: str, limit: int = 400) -> str:
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.lower().startswith(("hint:", "warning: redirecting"))]
    text = "; ".join(lines[-4:])
    return text if len(text) <= limit else "..." + text[-limit:]
