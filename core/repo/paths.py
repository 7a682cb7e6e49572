"""Path safety for untrusted repositories.

A repository is untrusted input: a ``source.path``, a Helm ``valueFiles`` entry, a Jsonnet
import or a symlink committed to Git may try to reach files outside the checkout (``..``,
absolute paths, ``link -> /etc``). Everything in the repo server that turns a user-supplied
path into a file goes through :func:`safe_join`; trees handed to external tools are checked
with :func:`check_tree` (or copied with :func:`copy_tree`).

Example::

    from kedge.repo.paths import safe_join
    values = safe_join(checkout, "charts/app", "values-prod.yaml")   # Path inside checkout
    safe_join(checkout, "../../etc/passwd")                          # raises UnsafePathError
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from kedge.errors import RenderError

__all__ = [
    "UnsafePathError",
    "safe_join",
    "is_within",
    "relative_to_root",
    "check_tree",
    "copy_tree",
    "iter_out_of_bounds_symlinks",
]


class UnsafePathError(RenderError):
    """A path that would leave its root (``..``, absolute path, or symlink pointing outside)."""


def _clean_parts(parts: tuple[str | os.PathLike[str], ...]) -> list[str]:
    """Split every part on ``/`` and normalise ``.``/``..`` lexically; raise on escapes."""
    out: list[str] = []
    for part in parts:
        text = os.fspath(part)
        if "\x00" in text:
            raise UnsafePathError(f"path {text!r} contains a NUL byte")
        if text.startswith(("/", "\\")) or PurePosixPath(text).is_absolute() or _has_drive(text):
            raise UnsafePathError(
                f"absolute path {text!r} is not allowed: paths must be relative to the repository"
            )
        for comp in text.replace("\\", "/").split("/"):
            if comp in ("", "."):
                continue
            if comp == "..":
                if not out:
                    raise UnsafePathError(f"path {_show(parts)!r} leaves the repository root ('..' escape)")
                out.pop()
                continue
            out.append(comp)
    return out


def _has_drive(text: str) -> bool:
    return len(text) >= 2 and text[1] == ":" and text[0].isalpha()


def _show(parts: tuple[str | os.PathLike[str], ...]) -> str:
    return "/".join(os.fspath(p) for p in parts if os.fspath(p) not in ("", "."))


def is_within(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` (after resolving symlinks) is ``root`` or inside it."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def safe_join(root: str | os.PathLike[str], *parts: str | os.PathLike[str]) -> Path:
    """Join ``parts`` under ``root``, refusing anything that would leave it.

    Each part may contain ``/``. Refused, with :class:`UnsafePathError`:

    * absolute paths (``/etc/passwd``, ``C:\\x``) and NUL bytes;
    * ``..`` components that climb above ``root`` (``a/../../b``); ``..`` that stays inside is fine;
    * a result that, once symlinks are resolved, lies outside ``root`` (``link -> /etc``).

    The returned path is ``root / <normalised parts>`` (symlinks inside the repo are kept, not
    resolved, so error messages show the user's path). It need not exist.
    """
    comps = _clean_parts(parts)
    base = Path(root)
    joined = base.joinpath(*comps) if comps else base
    if not is_within(base, joined):
        target = os.path.realpath(joined)
        raise UnsafePathError(
            f"path {_show(parts)!r} resolves outside the repository "
            f"(a symlink points to {_describe_target(base, target)})"
        )
    return joined


def _describe_target(root: Path, target: str) -> str:
    # Never print absolute host paths of the server beyond what is needed: show the target as
    # the symlink spells it when it leaves the root.
    return repr(target) if not str(target).startswith(os.path.realpath(root)) else "inside the repository"


def relative_to_root(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> str:
    """``path`` as a POSIX path relative to ``root`` (for error messages); ``path`` unchanged if outside."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
    except ValueError:
        return os.fspath(path)
    text = rel.as_posix()
    return "." if text == "" else text


def iter_out_of_bounds_symlinks(
    root: str | os.PathLike[str], top: str | os.PathLike[str] | None = None
) -> Iterator[Path]:
    """Yield every symlink under ``top`` (default ``root``) whose target resolves outside ``root``.

    ``.git`` directories are skipped. Dangling symlinks whose target would be inside ``root``
    are not reported.
    """
    real_root = os.path.realpath(root)
    prefix = real_root.rstrip(os.sep) + os.sep
    start = os.fspath(top if top is not None else root)
    for dirpath, dirnames, filenames in os.walk(start):
        if ".git" in dirnames:
            dirnames.remove(".git")
        for name in (*dirnames, *filenames):
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                real = os.path.realpath(full)
                if real != real_root and not real.startswith(prefix):
                    yield Path(full)


def check_tree(root: str | os.PathLike[str], top: str | os.PathLike[str] | None = None) -> None:
    """Raise :class:`UnsafePathError` if any symlink under ``top`` (default ``root``) leaves ``root``.

    Use before handing a directory to an external tool (kustomize, a plugin command) that would
    follow symlinks on its own.
    """
    for link in iter_out_of_bounds_symlinks(root, top):
        raise UnsafePathError(
            f"repository contains an out-of-bounds symlink: {relative_to_root(root, link)} "
            f"-> {os.readlink(link)} (symlinks must stay inside the repository)"
        )


def copy_tree(
    root: str | os.PathLike[str],
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    preserve_mode: bool = True,
    max_file_bytes: int | None = None,
) -> None:
    """Copy the directory ``src`` (inside ``root``) to the new directory ``dst``.

    Symlinks pointing inside ``root`` are copied as the files they point to (so the copy is
    self-contained); symlinks leaving ``root`` raise :class:`UnsafePathError`. ``.git`` is
    skipped. Files larger than ``max_file_bytes`` raise :class:`UnsafePathError`.
    ``preserve_mode=False`` drops the executable bits (Argo CD's default for plugins).
    """
    check_tree(root, src)
    src_s, dst_s = os.fspath(src), os.fspath(dst)
    for dirpath, dirnames, filenames in os.walk(src_s, followlinks=False):
        if ".git" in dirnames:
            dirnames.remove(".git")
        rel = os.path.relpath(dirpath, src_s)
        target_dir = dst_s if rel == "." else os.path.join(dst_s, rel)
        os.makedirs(target_dir, exist_ok=True)
        for name in list(dirnames):
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                # a symlinked directory inside the repo: copy its contents (it was checked above)
                dirnames.remove(name)
                shutil.copytree(
                    os.path.realpath(full),
                    os.path.join(target_dir, name),
                    symlinks=False,
                    ignore=shutil.ignore_patterns(".git"),
                )
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            try:
                st = os.stat(full)  # follows in-repo symlinks
            except OSError:
                continue  # dangling symlink
            if not stat.S_ISREG(st.st_mode):
                continue  # fifos, sockets, dangling links: never copied
            if max_file_bytes is not None and st.st_size > max_file_bytes:
                raise UnsafePathError(
                    f"file {relative_to_root(root, full)} is {st.st_size} bytes, over the "
                    f"{max_file_bytes}-byte limit"
                )
            out = os.path.join(target_dir, name)
            shutil.copyfile(full, out)
            mode = st.st_mode & 0o777 if preserve_mode else (st.st_mode & 0o666)
            os.chmod(out, mode | 0o600)
