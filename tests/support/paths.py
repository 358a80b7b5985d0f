"""Where the tests' files are: the one place for these paths."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
"""The `tests` folder."""
REPO = TESTS.parent
"""The repository root: on `sys.path`, `tests.support.*` is importable from there (the spawned
children and driver scripts of the process tests put it there)."""
FIXTURES = TESTS / "fixtures"
"""Hand-made fixtures (each says in its name or README that it is hand-made)."""
ARTIFACTS = REPO / "test-artifacts"
"""Screenshots of the browser tests (ignored by git)."""
