"""Steps for tests/test_isolation.py, importable by the spawned child (hand-made)."""

from __future__ import annotations

import os
from pathlib import Path


def write_pid(path: str) -> None:
    Path(path).write_text(str(os.getpid()), encoding="utf-8")


def refuse(what: str) -> None:
    raise ValueError(f"håndlaget feil: {what}")
