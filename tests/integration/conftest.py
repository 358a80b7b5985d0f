"""Fixtures of the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from mipr_analysis import config


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
