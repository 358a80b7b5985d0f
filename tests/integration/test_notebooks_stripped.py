"""Notebooks as git stores them: no outputs, a `parameters` cell, headings in markdown.

git stores every notebook through the nbstripout filter that `make install` sets up
(`.gitattributes`), so an analyst who runs and saves a notebook in JupyterLab changes nothing
git sees. The tests read each notebook the same way: through the repository's clean filter.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbstripout import strip_output

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
    """The notebook as git would store it: the working file through the repository's clean
    filter, nbstripout with the configured extra keys (run in this process: the filter's own
    command is proved end to end by the JupyterLab-save test below)."""
    attribute = _git("check-attr", "filter", "--", str(path.relative_to(repo)), cwd=repo)
    assert attribute.endswith("filter: nbstripout"), f".gitattributes: {attribute}"
    extra = _git("config", "filter.nbstripout.extrakeys", cwd=repo).split()
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    return strip_output(nb, keep_output=False, keep_count=False, keep_id=False, extra_keys=extra)


def test_git_stores_notebooks_through_nbstripout():
    """`make install` set the filter up (CI runs `make test`, which installs first)."""
    assert _git("config", "filter.nbstripout.clean").endswith("-m nbstripout")
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
    info. In a clone with the same filter, `git diff` shows nothing and `git add` stages
    nothing. (`git status` may list the file until it is added: git compares file sizes before
    it runs a filter.)"""
    clone = tmp_path / "clone"
    _git("clone", "-q", "--no-checkout", "--shared", str(config.REPO_ROOT), str(clone))
    for key in ("clean", "smudge", "required", "extrakeys"):
        _git(
            "config",
            f"filter.nbstripout.{key}",
            _git("config", f"filter.nbstripout.{key}"),
            cwd=clone,
        )
    _git(
        "checkout",
        "-q",
        "HEAD",
        "--",
        "notebooks/reports/forside.ipynb",
        ".gitattributes",
        cwd=clone,
    )
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
    saved = str(path.relative_to(clone))
    _git("diff", "--quiet", "--", saved, cwd=clone)  # raises when git sees a change
    _git("add", "--", saved, cwd=clone)
    assert _git("status", "--porcelain", "--", saved, cwd=clone) == ""  # nothing to commit
    assert not _outputs(stored_form(path, clone))
    assert _outputs(json.loads(path.read_text(encoding="utf-8")))  # the file itself has them
    shutil.rmtree(clone)
