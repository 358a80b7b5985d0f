"""Shared test fixtures: where the recorded SSB material is, and a private data folder per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mipr_analysis import config


@pytest.fixture(scope="session", autouse=True)
def private_cache_dir(tmp_path_factory):
    """The rate limiter's machine-wide call log goes to a temporary folder, not ~/.cache."""
    os.environ["MIPR_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield


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
