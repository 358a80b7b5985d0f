"""Atomic writes: a stop at any moment leaves the old file or the new one, and no temporary
file (the name of a temporary file is known before the file exists)."""

from __future__ import annotations

import os

import pytest

from mipr_analysis import atomic
from mipr_analysis.atomic import atomic_write_bytes, atomic_write_many


@pytest.mark.parametrize("stop_at", ["open", "fdopen", "fsync", "replace"])
def test_a_stop_at_any_step_leaves_the_old_file_and_no_temporary_file(
    tmp_path, monkeypatch, stop_at
):
    target = tmp_path / "tabell.csv"
    target.write_bytes(b"gammel")
    real = {"open": os.open, "fdopen": os.fdopen, "fsync": os.fsync, "replace": os.replace}

    def stop(*args, **kwargs):  # as SIGTERM -> KeyboardInterrupt right after the real call
        real[stop_at](*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, stop_at, stop)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_many({target: b"ny", tmp_path / "annen.csv": b"x"})
    monkeypatch.undo()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert not [n for n in names if n.endswith(".tmp")], names
    assert target.read_bytes() in (b"gammel", b"ny")


def test_permissions_follow_the_umask_and_names_are_hidden(tmp_path):
    path = atomic_write_bytes(tmp_path / "a.txt", b"x")
    assert path.stat().st_mode & 0o044  # readable by others, as a file written the usual way
    temps: list = []
    with atomic.open_temp(tmp_path, ".a.txt.", temps) as fh:
        assert temps and temps[-1].name.startswith(".a.txt.") and temps[-1].exists()
        fh.write(b"y")
    temps[-1].unlink()
