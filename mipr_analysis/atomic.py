"""Atomic file writes: a temporary file in the same folder, then a rename.

A reader sees the old file or the new one, never half of one; an interrupted or failed write
(a full disk, a read-only folder) leaves nothing behind. An operating-system error from a write
names the file that was to be written (a full disk reports no file name by itself), so the
command line can say which path failed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def naming(path: str | os.PathLike) -> Iterator[None]:
    """An `OSError` from the block that names no file, or only a temporary one (a hidden file,
    as this project's temporary files are), names `path` instead."""
    try:
        yield
    except OSError as exc:
        temporary = exc.filename is not None and os.path.basename(
            os.fsdecode(exc.filename)
        ).startswith(".")
        if exc.errno is None or (exc.filename is not None and not temporary):
            raise
        raise type(exc)(exc.errno, exc.strerror, os.fspath(path)) from exc


def open_temp(folder: Path, prefix: str, temps: list[Path]) -> BinaryIO:
    """A new temporary file in `folder` ("<prefix><random>.tmp", mode 0666 less the umask),
    open for writing. Its name goes into `temps` before the file exists, so a stop at any
    moment (Ctrl-C, SIGTERM) leaves no file the caller does not know of and remove."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = folder / f"{prefix}{secrets.token_hex(4)}.tmp"
        temps.append(tmp)
        try:
            return os.fdopen(os.open(tmp, flags, 0o666), "wb")
        except FileExistsError:
            temps.remove(tmp)


def _write_temp(path: Path, data: bytes, temps: list[Path]) -> None:
    """`data` in a new, fsynced temporary file beside `path` (its name in `temps`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_temp(path.parent, f".{path.name}.", temps) as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    return atomic_write_many({path: data})[0]


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_many(files: Mapping[str | os.PathLike, bytes]) -> list[Path]:
    """Write several files as one: every file's data goes to a temporary file first, and only
    when all are written are they renamed into place (renames need no disk space). When a
    write fails, no file is changed and no temporary file stays. Returns the paths, in order.
    """
    paths = [Path(p) for p in files]
    temps: list[Path] = []
    try:
        for path, data in zip(paths, files.values()):
            with naming(path):
                _write_temp(path, data, temps)
        for path, tmp in zip(paths, temps):
            with naming(path):
                os.replace(tmp, path)
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    return paths
