"""Safe extraction of tar archives from untrusted sources (Git archives, Helm charts).

Refused with a clear error naming the archive and the member: absolute paths, ``..``
components, symlinks or hard links pointing outside the destination, device files, and
archives larger than the byte or file-count cap (tar/gzip bombs: sizes are checked from the
headers *before* any data is written).
"""

from __future__ import annotations

import tarfile
from pathlib import Path, PurePosixPath
from typing import IO

from kedge.repo.errors import RepoError


class UnsafeArchiveError(RepoError):
    """An archive member that would escape the destination, or an archive over its caps."""


def safe_extract(
    fileobj: IO[bytes] | None,
    dest: Path,
    *,
    what: str,
    path: Path | None = None,
    max_bytes: int = 256 * 2**20,
    max_files: int = 10_000,
    allow_links: bool = True,
) -> int:
    """Extract a tar (optionally gzip-compressed) into ``dest``; return the bytes written.

    ``what`` names the archive in messages (e.g. ``chart nginx-1.2.3.tgz from https://...``).
    """
    dest.mkdir(parents=True, exist_ok=True)
    total = 0
    count = 0
    try:
        tf = tarfile.open(name=str(path) if path else None, fileobj=fileobj, mode="r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnsafeArchiveError(f"{what} is not a valid tar archive: {exc}") from None
    with tf:
        try:
            for member in tf:
                count += 1
                if count > max_files:
                    raise UnsafeArchiveError(f"{what} has more than {max_files} files; refusing to extract")
                name = member.name
                pure = PurePosixPath(name)
                if pure.is_absolute() or name.startswith("\\"):
                    raise UnsafeArchiveError(f"{what}: member {name!r} has an absolute path")
                if ".." in pure.parts:
                    raise UnsafeArchiveError(f"{what}: member {name!r} contains '..'")
                if member.isdev() or member.isfifo():
                    raise UnsafeArchiveError(f"{what}: member {name!r} is a device or FIFO")
                if (member.issym() or member.islnk()) and not allow_links:
                    raise UnsafeArchiveError(f"{what}: member {name!r} is a link; links are not allowed")
                if member.isfile():
                    total += member.size
                    if total > max_bytes:
                        raise UnsafeArchiveError(
                            f"{what} expands to more than {max_bytes} bytes; refusing to extract (archive bomb?)"
                        )
                try:
                    tf.extract(member, dest, filter="data")
                except tarfile.LinkOutsideDestinationError:
                    raise UnsafeArchiveError(
                        f"{what}: symlink {name!r} -> {member.linkname!r} points outside the repository"
                    ) from None
                except tarfile.AbsoluteLinkError:
                    raise UnsafeArchiveError(
                        f"{what}: symlink {name!r} -> {member.linkname!r} is absolute (points outside the repository)"
                    ) from None
                except tarfile.FilterError as exc:
                    raise UnsafeArchiveError(f"{what}: member {name!r} refused: {exc}") from None
        except (tarfile.TarError, EOFError, OSError) as exc:
            if isinstance(exc, UnsafeArchiveError):
                raise
            raise UnsafeArchiveError(f"{what} is corrupt or truncated: {exc}") from None
    return total
