"""Steps for tests/test_stopping.py, importable by the spawned child (hand-made)."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def build_that_waits() -> None:
    """A data build that does not end by itself: says its process id (in the file named by
    `MIPR_TEST_STEP_PID`), then waits until it is stopped."""
    Path(os.environ["MIPR_TEST_STEP_PID"]).write_text(str(os.getpid()), encoding="utf-8")
    threading.Event().wait()


def write_until_stopped(folder: str, pid_file: str) -> None:
    """Write one file again and again (atomically, 20 MB each time) until stopped."""
    from mipr_analysis.atomic import atomic_write_bytes

    Path(pid_file).write_text(str(os.getpid()), encoding="utf-8")
    while True:
        atomic_write_bytes(Path(folder) / "tabell.csv", b"x" * 20_000_000)


def die() -> None:
    """End the process at once, as the kernel's out-of-memory killer would."""
    os._exit(7)
