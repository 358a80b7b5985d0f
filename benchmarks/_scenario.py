"""Temporary data folders for the benchmarks (never the repository's own data/ or reports/).

Scenario a: the repository as cloned (only `data/raw/manual/`, the action plan's baseline).
Scenario b: the same plus the real table 07459 population from `../shared/ssb/statbank-csv/`,
imported with `mipr import-csv` (all `Personer*.csv` files).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from _measure import REPO, VENV_BIN

SHARED_CSV = REPO.parent / "shared" / "ssb" / "statbank-csv" / "07459"
SCENARIOS = {"a": "repository as cloned (baseline only)",
             "b": "with the real 07459 population imported"}


def make_data_dir(root: Path, scenario: str) -> Path:
    """A fresh data folder under `root` for `scenario` ("a" or "b"); returns its path."""
    data = root / f"data-{scenario}"
    if data.exists():
        shutil.rmtree(data)
    (data / "raw").mkdir(parents=True)
    shutil.copytree(REPO / "data" / "raw" / "manual", data / "raw" / "manual")
    if scenario == "b":
        files = sorted(SHARED_CSV.glob("Personer*.csv"))
        if not files:
            raise SystemExit(f"no Personer*.csv in {SHARED_CSV}: scenario b needs the shared "
                             "Statistikkbanken downloads")
        for f in files:
            subprocess.run([str(VENV_BIN / "mipr"), "import-csv", str(f), "--table", "07459"],
                           env=env_for(data, root / "unused-reports"), check=True,
                           capture_output=True)
    return data


def env_for(data: Path, reports: Path) -> dict[str, str]:
    import os

    return {**os.environ, "MIPR_DATA_DIR": str(data), "MIPR_REPORTS_DIR": str(reports),
            "MIPR_OFFLINE": "1"}
