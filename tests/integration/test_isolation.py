"""Memory-heavy steps in a fresh process: one child for steps in a row, errors come back."""

from __future__ import annotations

import os

import pytest

from mipr_analysis.report.isolation import FreshProcess


def test_steps_in_a_row_share_one_fresh_process(tmp_path):
    with FreshProcess() as child:
        child.run("tests.support.isolation_steps:write_pid", str(tmp_path / "first"))
        child.run("tests.support.isolation_steps:write_pid", str(tmp_path / "second"))
    first, second = ((tmp_path / n).read_text() for n in ("first", "second"))
    assert first == second != str(os.getpid())


def test_a_new_block_is_a_new_process(tmp_path):
    for name in ("first", "second"):
        with FreshProcess() as child:
            child.run("tests.support.isolation_steps:write_pid", str(tmp_path / name))
    assert (tmp_path / "first").read_text() != (tmp_path / "second").read_text()


def test_an_error_in_the_child_comes_back_as_raised():
    with FreshProcess() as child, pytest.raises(ValueError, match="håndlaget feil: tabell"):
        child.run("tests.support.isolation_steps:refuse", "tabell")
