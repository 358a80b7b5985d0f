"""What the batch runner remembers between runs: content hashes, cache keys and the state file.

Everything here is cheap (hashlib and json only), so a batch where nothing changed decides to
skip every job without starting a kernel or importing papermill/nbconvert.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import mipr_analysis
from mipr_analysis import hashing
from mipr_analysis.atomic import atomic_write_text
from mipr_analysis.hashing import file_sha256

STATE_FILE = ".batch-state.json"
STATE_VERSION = 1
PACKAGE_DIR = Path(mipr_analysis.__file__).resolve().parent


def hash_tree(root: Path, prefix: str = "") -> dict[str, str]:
    """sha256 of every file under `root`, keyed by `prefix` + its POSIX path relative to `root`.

    Hidden files and folders (`.gitkeep`, `.ipynb_checkpoints`) and `__pycache__` are left out.
    """
    hashes: dict[str, str] = {}
    if not root.is_dir():
        return hashes
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for name in files:
            if name.startswith(".") or name.endswith(".pyc"):
                continue
            path = Path(folder, name)
            hashes[prefix + path.relative_to(root).as_posix()] = file_sha256(path)
    return hashes


def digest(*parts: Any) -> str:
    """sha256 of the canonical JSON of `parts` (sorted keys, so dicts hash by content)."""
    return hashing.digest(parts)


def package_fingerprint() -> str:
    """The package version and a hash of every source file in it (code, YAML, templates)."""
    return digest(mipr_analysis.__version__, hash_tree(PACKAGE_DIR))


def select_files(files: Mapping[str, str], patterns: Iterable[str]) -> dict[str, str]:
    """The entries of `files` whose key matches one of the glob `patterns` (all when none)."""
    patterns = list(patterns)
    if not patterns:
        return dict(files)
    return {k: v for k, v in files.items() if any(fnmatch.fnmatchcase(k, p) for p in patterns)}


def load_state(reports_dir: Path) -> dict[str, Any]:
    """The previous run's state, or an empty one (also when the file is unreadable or old)."""
    path = reports_dir / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {"version": STATE_VERSION, "prepare": {}, "jobs": {}}
    if state.get("version") != STATE_VERSION:
        return {"version": STATE_VERSION, "prepare": {}, "jobs": {}}
    return state


def save_state(reports_dir: Path, state: Mapping[str, Any]) -> None:
    """Write the state atomically, so an interrupted batch never leaves half a file."""
    text = json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True)
    atomic_write_text(reports_dir / STATE_FILE, text)
