"""Committed notebooks carry no outputs and each has a cell tagged `parameters`."""

from __future__ import annotations

import json

import pytest

from mipr_analysis import config

NOTEBOOKS = sorted(
    p for p in config.notebooks_dir().rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)
"""The committed notebooks: JupyterLab's checkpoint copies (ignored by git) may hold outputs."""


def test_there_are_notebooks():
    names = {p.relative_to(config.notebooks_dir()).as_posix() for p in NOTEBOOKS}
    assert {
        "reports/forside.ipynb",
        "reports/indikator.ipynb",
        "exploratory/utforsk.ipynb",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_headings_and_text_are_markdown(path):
    """The analysis is read in markdown cells: at least one heading in a markdown cell."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    headings = [
        c
        for c in nb["cells"]
        if c["cell_type"] == "markdown"
        and any(line.startswith("#") for line in "".join(c["source"]).splitlines())
    ]
    assert headings, f"{path.name}: no markdown heading (JupyterLab's table of contents is empty)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_stripped(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; run `make strip`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
