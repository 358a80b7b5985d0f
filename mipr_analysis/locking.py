"""One `mipr` command at a time per data folder and per reports folder.

`mipr report`, `build`, `fetch` and the imports take the data folder's lock for their whole
run, so a report never reads data that an import is writing. `mipr report` and `mipr pdf` take
the reports folder's lock too, so a PDF is never printed from pages a report is rewriting, and
two reports (with different data folders) never write one reports folder together. A second
command gets `Busy` at once, with who holds the lock and since when.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout

from mipr_analysis import config
from mipr_analysis.atomic import atomic_write_text
from mipr_analysis.errors import Busy

LOCK_NAME = ".mipr.lock"
HOLDER_NAME = ".mipr.lock.json"


@contextmanager
def data_lock(command: str, data_dir: Path | str | None = None) -> Iterator[None]:
    """Hold the data folder's lock while the block runs; raise `Busy` when another has it."""
    with lock_folders(command, Path(data_dir or config.data_dir())):
        yield


@contextmanager
def lock_folders(command: str, *folders: Path | str) -> Iterator[None]:
    """Hold the locks of `folders` (in that order; a folder named twice is locked once) while
    the block runs; raise `Busy` when another command has one of them."""
    seen: set[Path] = set()
    with ExitStack() as stack:
        for folder in map(Path, folders):
            folder.mkdir(parents=True, exist_ok=True)
            if folder.resolve() in seen:
                continue
            seen.add(folder.resolve())
            stack.enter_context(_folder_lock(command, folder))
        yield


@contextmanager
def _folder_lock(command: str, folder: Path) -> Iterator[None]:
    lock = FileLock(folder / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise Busy(
            f"{folder} brukes nå av {_holder(folder)}. Vent til den er ferdig og prøv igjen"
        ) from None
    try:
        holder = {
            "command": command,
            "pid": os.getpid(),
            "started": datetime.now().isoformat(timespec="seconds"),
        }
        atomic_write_text(folder / HOLDER_NAME, json.dumps(holder))
        yield
    finally:
        (folder / HOLDER_NAME).unlink(missing_ok=True)
        lock.release()


def _holder(folder: Path) -> str:
    """'mipr report (prosess 1234, startet 12:03)' or a plain description."""
    try:
        info = json.loads((folder / HOLDER_NAME).read_text(encoding="utf-8"))
        started = datetime.fromisoformat(info["started"]).strftime("%H:%M")
        return f"mipr {info['command']} (prosess {info['pid']}, startet kl. {started})"
    except (OSError, ValueError, KeyError, TypeError):
        return "en annen mipr-kommando"
