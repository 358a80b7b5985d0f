"""What the repository carries: sources and shipped data, never what a run generates."""

from __future__ import annotations

import subprocess

from mipr_analysis import config

GENERATED = (
    ("data/processed/", "processed tables (`mipr build` writes them)"),
    ("data/.cache/", "a cache"),
    ("reports/", "report output (`mipr report` writes it)"),
    ("test-artifacts/", "test output"),
    ("build/", "setuptools' build output (`pip wheel .`)"),
)
KEPT = {"data/processed/.gitkeep", "reports/.gitkeep", "reports/README.md"}
GENERATED_SUFFIXES = (".pkl", ".pyc")


def test_no_generated_file_is_tracked():
    tracked = subprocess.run(
        ["git", "-C", str(config.REPO_ROOT), "ls-files"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert len(tracked) > 100, "not a checkout of the repository?"
    wrong = [
        f"{path}: {why}"
        for path in tracked
        if path not in KEPT
        for prefix, why in GENERATED
        if path.startswith(prefix)
    ] + [f"{path}: generated" for path in tracked if path.endswith(GENERATED_SUFFIXES)]
    assert not wrong, "tracked but generated:\n" + "\n".join(wrong[:20])
