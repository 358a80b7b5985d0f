"""Notebooks as git stores them: no outputs, a `parameters` cell, headings in markdown.

git stores every notebook through the nbstripout filter that `make install` sets up
(`.gitattributes`), so an analyst who runs and saves a notebook in JupyterLab changes nothing
git sees. The tests read each notebook the same way: through the repository's clean filter.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mipr_analysis import config

NOTEBOOKS = sorted(
    p for p in config.notebooks_dir().rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)
"""The notebooks (JupyterLab's checkpoint copies, ignored by git, are not)."""


def _git(*args: str, cwd: Path = config.REPO_ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def stored_form(path: Path, repo: Path = config.REPO_ROOT) -> dict:
    """The notebook as git would store it: the working file through the clean filter."""
    return json.loads(_stored_text(path, repo, path.stat().st_mtime_ns))


@functools.cache
def _stored_text(path: Path, repo: Path, mtime: int) -> bytes:
    attribute = _git("check-attr", "filter", "--", str(path.relative_to(repo)), cwd=repo)
    assert attribute.endswith("filter: nbstripout"), f".gitattributes: {attribute}"
    clean = _git("config", "filter.nbstripout.clean", cwd=repo)
    stored = subprocess.run(
        clean, shell=True, cwd=repo, input=path.read_bytes(), capture_output=True, check=True
    )
    return stored.stdout


def test_git_stores_notebooks_through_nbstripout():
    """`make install` set the filter up (CI runs `make test`, which installs first)."""
    assert "nbstripout" in _git("config", "filter.nbstripout.clean")
    assert "metadata.language_info.version" in _git("config", "filter.nbstripout.extrakeys")


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
    nb = stored_form(path)
    headings = [
        c
        for c in nb["cells"]
        if c["cell_type"] == "markdown"
        and any(line.startswith("#") for line in "".join(c["source"]).splitlines())
    ]
    assert headings, f"{path.name}: no markdown heading (JupyterLab's table of contents is empty)"


def _outputs(nb: dict) -> list[int]:
    return [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    assert not _outputs(stored_form(path)), f"{path.name}: git would store outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell(path):
    nb = stored_form(path)
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"


def test_a_notebook_saved_with_outputs_is_no_change_to_git(tmp_path):
    """What JupyterLab writes after Run All and Save: outputs, counts, the kernel's language
    info. In a clone with the same filter, git sees no change and stores no output."""
    clone = tmp_path / "clone"
    _git("clone", "-q", "--no-checkout", "--shared", str(config.REPO_ROOT), str(clone))
    for key in ("clean", "smudge", "required", "extrakeys"):
        _git(
            "config",
            f"filter.nbstripout.{key}",
            _git("config", f"filter.nbstripout.{key}"),
            cwd=clone,
        )
    _git("checkout", "-q", "HEAD", "--", "notebooks", ".gitattributes", cwd=clone)
    path = clone / "notebooks" / "reports" / "forside.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["execution_count"] = 3
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["saved output\n"]}]
    nb["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": "3.11.7",
    }
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert _git("status", "--porcelain", "--", "notebooks", cwd=clone) == ""
    assert not _outputs(stored_form(path, clone))
    assert _outputs(json.loads(path.read_text(encoding="utf-8")))  # the file itself has them
    shutil.rmtree(clone)
