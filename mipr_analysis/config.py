"""The project's paths and settings in one place.

Every path can be moved with an environment variable so that tests, the batch and an analyst's
notebook all agree on where data lives.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The repository checkout (the package is installed editable from it)."""

SSB_API_URL = "https://data.ssb.no/api/pxwebapi/v2"
OSLO = ZoneInfo("Europe/Oslo")
"""The time zone of every date and time shown to a reader."""
KERNEL_NAME = "mipr"
"""The Jupyter kernel registered by `make` for this project's virtual environment."""


def data_dir() -> Path:
    """The data folder: `MIPR_DATA_DIR`, else the repository's `data/`."""
    return Path(os.environ.get("MIPR_DATA_DIR") or REPO_ROOT / "data")


def raw_dir() -> Path:
    return data_dir() / "raw"


def processed_dir() -> Path:
    return data_dir() / "processed"


def reports_dir() -> Path:
    """Where executed notebooks, HTML and figures go: `MIPR_REPORTS_DIR`, else `reports/`."""
    return Path(os.environ.get("MIPR_REPORTS_DIR") or REPO_ROOT / "reports")


def notebooks_dir() -> Path:
    return REPO_ROOT / "notebooks"


def shared_ssb_dir() -> Path:
    """The recorded real SSB material: `MIPR_SHARED_SSB`, else `../shared/ssb` beside the repo."""
    return Path(os.environ.get("MIPR_SHARED_SSB") or REPO_ROOT.parent / "shared" / "ssb")


def ssb_base_url() -> str:
    return os.environ.get("MIPR_SSB_URL") or SSB_API_URL


def offline() -> bool:
    """True when `MIPR_OFFLINE=1`: nothing is fetched, snapshots are used."""
    return os.environ.get("MIPR_OFFLINE", "").strip().lower() in {"1", "true", "yes"}


def cache_dir() -> Path:
    """Machine-wide state shared by every checkout (the SSB call log of the rate limiter):
    `MIPR_CACHE_DIR`, else `~/.cache/mipr`."""
    return Path(os.environ.get("MIPR_CACHE_DIR") or Path.home() / ".cache" / "mipr")


def today() -> date:
    """Today's date in Oslo: the one "today" the checks use (tests set it by patching this)."""
    return datetime.now(OSLO).date()
