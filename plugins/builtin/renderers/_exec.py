"""Running external tools (kubectl, helm, plugin commands) safely.

Every command runs in its own process group with a deadline; on timeout the whole group is
killed (children included), and output beyond a cap stops the command. Standard error is kept
apart from standard output.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

from kedge.errors import RenderError

DEFAULT_MAX_OUTPUT = 100 * 1024 * 1024
_STDERR_KEEP = 64 * 1024


@dataclass
class Completed:
    """A finished command: exit code, standard output (bytes) and standard error (text)."""

    returncode: int
    stdout: bytes
    stderr: str


def run(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str],
    env: dict[str, str],
    timeout: float,
    max_output: int = DEFAULT_MAX_OUTPUT,
    what: str = "",
    timeout_label: str = "",
) -> Completed:
    """Run ``argv``; raise :class:`RenderError` on timeout, oversize output or a missing binary.

    A non-zero exit is returned, not raised: the caller words the error.
    """
    label = what or os.path.basename(argv[0])
    shown = timeout_label or f"{timeout:g}s"
    try:
        proc = subprocess.Popen(  # noqa: S603 - argv comes from trusted settings or plugin specs
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise RenderError(f"{label}: command not found: {argv[0]}") from None
    except PermissionError:
        raise RenderError(f"{label}: command is not executable: {argv[0]}") from None
    except OSError as exc:
        raise RenderError(f"{label}: cannot start {argv[0]}: {exc.strerror or exc}") from None

    deadline = time.monotonic() + timeout
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    out_size = 0
    err_size = 0
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(proc.stderr, selectors.EVENT_READ, "err")
    open_streams = 2
    try:
        while open_streams:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill_group(proc)
                raise RenderError(
                    f"{label}: timed out after {shown} (the command and its children were killed)"
                )
            for key, _ in sel.select(timeout=min(remaining, 1.0)):
                data = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
                if not data:
                    sel.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                if key.data == "out":
                    out_size += len(data)
                    if out_size > max_output:
                        _kill_group(proc)
                        raise RenderError(
                            f"{label}: output exceeds the {max_output}-byte limit; command stopped"
                        )
                    out_chunks.append(data)
                else:
                    err_size += len(data)
                    if err_size <= _STDERR_KEEP:
                        err_chunks.append(data)
        remaining = max(deadline - time.monotonic(), 0.01)
        try:
            proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise RenderError(
                f"{label}: timed out after {shown} (the command and its children were killed)"
            ) from None
    finally:
        sel.close()
        proc.stdout.close()
        proc.stderr.close()
        if proc.poll() is None:
            _kill_group(proc)
        else:
            _kill_stragglers(proc)
    stderr = b"".join(err_chunks).decode("utf-8", "replace")
    return Completed(proc.returncode, b"".join(out_chunks), stderr)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _kill_stragglers(proc: subprocess.Popen[bytes]) -> None:
    """Background children left behind by a finished command die with its group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def base_env(extra: dict[str, str] | None = None, *, inherit: bool = False) -> dict[str, str]:
    """A minimal environment for tools: PATH, HOME, locale, TMPDIR; plus ``extra``.

    With ``inherit`` the repo server's whole environment is passed (kubectl and helm need
    their proxy/cache settings); plugins get the minimal one so the server's secrets stay out.
    """
    if inherit:
        env = dict(os.environ)
    else:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR")}
        env.setdefault("PATH", os.defpath)
    if extra:
        env.update(extra)
    return env
