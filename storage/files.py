"""Durable small files: the one place that writes a whole file atomically and fsyncs a directory.

The journal (storage/journal.py) and the device settings (sync/device.py) both rely on these:
after ``write_atomic`` returns, a crash or power loss leaves either the old file or the new
one, never a mix, and the rename itself is on disk.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def fsync_dir(path: str | os.PathLike) -> None:
    """Make the directory's entries (a rename, a new or deleted file) durable."""
    if sys.platform == "win32":  # directories cannot be opened for fsync there; NTFS journals renames
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``: temp file beside it, fsync, os.replace, fsync of the directory.

    ``mode`` applies to a new file (owner only by default: these files may hold a token).
    A failed write removes its temp file and leaves the previous file whole.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
