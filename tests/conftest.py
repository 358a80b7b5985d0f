"""Shared test fixtures: where the recorded SSB material is, and a private data folder per test."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from mipr_analysis import config

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


FIXTURES = Path(__file__).parent / "fixtures"


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


@pytest.fixture(scope="session")
def shipped_built(tmp_path_factory) -> Path:
    """A copy of the data the repository ships (`data/raw/`) with its processed tables built,
    shared by the tests that read pages' data (none of them writes to it)."""
    import shutil

    from mipr_analysis.indicators import build

    folder = tmp_path_factory.mktemp("shipped") / "data"
    shutil.copytree(config.REPO_ROOT / "data" / "raw", folder / "raw")
    build(folder)
    return folder
