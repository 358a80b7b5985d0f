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


def read_json(path: Path) -> dict:
    """A small JSON record the package wrote itself (a manifest, a run record), or {} when it
    is absent or unreadable (the caller then treats everything as new)."""
    import json

    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


MANIFEST = "manifest.json"
"""The processed tables' manifest (`indicators.processed.write_all` writes it)."""


def manifest_path(folder: Path | str | None = None) -> Path:
    """The manifest of the data folder `folder` (default: `data_dir()`)."""
    return (Path(folder) if folder else data_dir()) / "processed" / MANIFEST


FRONT_PAGE = "index.html"
"""The front page's file name in a report set; every other page links back to it."""


class ReportSet:
    """The folders and files of one report set (`reports_dir()` by default): the executed
    notebooks, the HTML pages, the figures and workbook, the dated records, the run record and
    the batch's state. The one place their names are written."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root else reports_dir()
        self.executed = self.root / "executed"
        self.html = self.root / "html"
        self.figures = self.root / "figures"
        self.records = self.root / "records"
        self.run_record = self.root / "run.json"
        self.batch_state = self.root / ".batch-state.json"
        self.kernel_log = self.executed / "kernels.log"
        self.front_page = self.html / FRONT_PAGE
        self.reference = self.records / "reference.json"

    def notebook(self, name: str) -> Path:
        """Where a page's executed notebook is kept."""
        return self.executed / f"{name}.ipynb"

    def partial(self, name: str) -> Path:
        """Where a page's notebook is written while it runs (renamed when it is complete)."""
        return self.executed / f".{name}.partial.ipynb"

    def page(self, html_name: str) -> Path:
        return self.html / html_name
