"""Shared test fixtures: where the recorded SSB material is, and a private data folder per test."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest

from mipr_analysis import config
from tests.support.paths import FIXTURES

if TYPE_CHECKING:
    from mipr_analysis.report.runner import BatchResult

REAL_DATA_FIXTURES = {"shared_ssb", "shared_geo", "klass_data_dir", "population"}
"""Fixtures that read the recorded real data: tests using them are integration tests."""


def pytest_collection_modifyitems(items):
    """Mark tests on the real recordings `realdata`, so `make test-fast` can leave them out."""
    for item in items:
        if REAL_DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.realdata)


@pytest.fixture(scope="session", autouse=True)
def private_cache_dir(tmp_path_factory):
    """The rate limiter's machine-wide call log goes to a temporary folder, not ~/.cache."""
    os.environ["MIPR_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield


TODAY = date(2026, 6, 15)
"""The "today" every test sees (`config.today`): next year, the last plausible one, is 2027."""


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """No test depends on the clock: the plausibility rules read this date, not the machine's."""
    monkeypatch.setattr(config, "today", lambda: TODAY)


@pytest.fixture(scope="session")
def shared_ssb() -> Path:
    """The real SSB recordings (`MIPR_SHARED_SSB`, default `../shared/ssb`).

    Outside CI a missing folder skips the test with the reason; in CI (`CI=true`) it fails.
    """
    path = config.shared_ssb_dir()
    if not (path / "README.md").is_file():
        msg = f"real SSB recordings not found at {path} (set MIPR_SHARED_SSB)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + "; CI must have them")
        pytest.skip(msg)
    return path


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """An empty data folder, set as `MIPR_DATA_DIR` for the test."""
    path = tmp_path / "data"
    (path / "raw").mkdir(parents=True)
    (path / "processed").mkdir()
    monkeypatch.setenv("MIPR_DATA_DIR", str(path))
    monkeypatch.delenv("MIPR_OFFLINE", raising=False)
    return path


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """Hand-made fixtures (each says in its name or README that it is hand-made)."""
    return FIXTURES


@pytest.fixture(scope="session")
def shared_geo(shared_ssb) -> Path:
    """The recorded boundary files (`MIPR_SHARED_GEO`, default `geo/` beside the SSB recordings);
    skipped outside CI when missing, like `shared_ssb`."""
    path = Path(os.environ.get("MIPR_SHARED_GEO") or shared_ssb.parent / "geo")
    if not (path / "README.md").is_file():
        msg = f"boundary recordings not found at {path} (set MIPR_SHARED_GEO)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + "; CI must have them")
        pytest.skip(msg)
    return path


@pytest.fixture
def klass_data_dir(data_dir, shared_ssb) -> Path:
    """`data_dir` with the real KLASS 131 lists imported (what region codes are checked against)."""
    from mipr_analysis.ssb.imports import import_file

    codes = shared_ssb / "codes"
    for name, dataset in (
        ("klass131-changes-2017-2020.csv", "klass/kommuneendringer-2017-2020"),
        ("klass131-changes-2024.json", "klass/kommuneendringer-2024"),
        ("klass131-codes-at-2026-01-01.json", "klass/kommuner-2026"),
    ):
        import_file(codes / name, dataset, data_dir, source_text="SSB KLASS 131 (test)")
    return data_dir


class ReportRun(NamedTuple):
    root: Path
    """The folder with `data/` and `reports/` (`html/`, `run.json`)."""
    result: BatchResult


@pytest.fixture(scope="session")
def shipped_report(tmp_path_factory) -> ReportRun:
    """The report set as `mipr report` makes it from a copy of the repository's `data/raw`
    (offline), made once per test session for the tests that read it (end to end, PDF,
    accessibility). A page that failed is there as its failure page."""
    import shutil

    from mipr_analysis.indicators import build
    from mipr_analysis.report.plan import plan_jobs
    from mipr_analysis.report.runner import run_batch

    root = tmp_path_factory.mktemp("shipped-report")
    shutil.copytree(
        config.REPO_ROOT / "data" / "raw",
        root / "data" / "raw",
        ignore=shutil.ignore_patterns(".mipr.lock", "*.tmp"),
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIPR_DATA_DIR", str(root / "data"))
        mp.setenv("MIPR_REPORTS_DIR", str(root / "reports"))
        mp.setenv("MIPR_OFFLINE", "1")
        result = run_batch(plan_jobs(), prepare=build, progress=False)
    return ReportRun(root, result)
