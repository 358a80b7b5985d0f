"""Temporary data folders for the benchmarks (never the repository's own data/ or reports/).

Scenario a: the repository as cloned: everything `data/raw/` ships (the plan's baseline, SSB's
07459, 11618, 03321 and 09594, FHI's population, KLASS lists, Kartverket's boundaries).
Scenario b: the action plan's baseline alone (`data/raw/manual/`), the data the report had
before real series were shipped.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from _measure import REPO

SCENARIOS = {
    "a": "repository as cloned (shipped real data)",
    "b": "the action plan's baseline only",
}


def make_data_dir(root: Path, scenario: str) -> Path:
    """A fresh data folder under `root` for `scenario` ("a" or "b"); returns its path."""
    data = root / f"data-{scenario}"
    if data.exists():
        shutil.rmtree(data)
    if scenario == "a":
        shutil.copytree(REPO / "data" / "raw", data / "raw")
    else:
        shutil.copytree(REPO / "data" / "raw" / "manual", data / "raw" / "manual")
    return data


def env_for(data: Path, reports: Path) -> dict[str, str]:
    """The measured commands' environment: the temporary folders, offline, and Python as it is
    set up on a user's machine (this sandbox sets PYTHONDONTWRITEBYTECODE, which makes every
    command compile the package's modules again)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {
        **env,
        "MIPR_DATA_DIR": str(data),
        "MIPR_REPORTS_DIR": str(reports),
        "MIPR_OFFLINE": "1",
    }
