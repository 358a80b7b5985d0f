"""Messages a user can see are one bokmål line, raised as `MiprError` (issue 17, item 6).

The errors that replaced English `KeyError`/`ValueError`/`FileNotFoundError` are still those
built-in classes too, so callers that catch them keep working.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

import mipr_analysis
from mipr_analysis.errors import DataError, MiprError, Missing, NotFound
from mipr_analysis.formatting import nb_table
from mipr_analysis.geo import regions
from mipr_analysis.indicators.registry import get_indicator
from mipr_analysis.report.html_export import export_html
from mipr_analysis.report.jobs import Job
from mipr_analysis.report.runner import run_batch
from tests.support.paths import FIXTURES

PACKAGE = Path(mipr_analysis.__file__).parent


def test_an_unknown_region_code_says_which_codes_work(data_dir):
    with pytest.raises(MiprError) as err:
        regions.region_name("5599")
    assert isinstance(err.value, KeyError)  # positions, page_data catch KeyError around names
    message = str(err.value)
    assert message.startswith("ingen region eller kommune har koden '5599'")  # no KeyError quotes
    assert "'3103' for Moss" in message and "'MIPR'" in message
    assert "mipr import-file FIL --table klass/kommuneendringer-ÅÅÅÅ" in message
    assert "\n" not in message and "regions.yaml" not in message


def test_an_unknown_region_id_names_the_councils(data_dir):
    with pytest.raises(NotFound) as err:
        regions.region_members("Follo")
    assert str(err.value) == (
        "'Follo' er verken en kommune eller en region. Bruk et kommunenummer fra 2024 som tekst "
        "(f.eks. '3103' for Moss) eller en av '0', 'IOR', 'MIPR'"
    )


def test_a_file_that_is_not_a_klass_list_is_named_without_its_folder(tmp_path):
    bad = tmp_path / "handlaget-ikke-klass.json"
    bad.write_text('{"codes": []}', encoding="utf-8")
    with pytest.raises(DataError) as err:
        regions.load_klass_changes(bad)
    assert isinstance(err.value, ValueError)  # `mipr import-file` turns it into ImportRefused
    assert str(err.value).startswith("handlaget-ikke-klass.json: er ikke en KLASS-endringsliste")
    assert str(tmp_path) not in str(err.value)


def test_an_unknown_indicator_lists_the_ids():
    with pytest.raises(NotFound) as err:
        get_indicator("finnes_ikke")
    assert str(err.value).startswith("ukjent indikator 'finnes_ikke'. Bruk en av: ")
    assert "befolkning" in str(err.value)


def test_nb_table_names_the_unknown_column_and_the_real_ones():
    frame = pd.DataFrame({"Kommune": ["Moss"], "Folketall": [1]})
    with pytest.raises(NotFound) as err:
        nb_table(frame, {"Andeler": "prosent"}, caption="Håndlaget tabell")
    assert str(err.value) == (
        "nb_table: tabellen har ingen kolonne 'Andeler'. Bruk et av kolonnenavnene: "
        "'Kommune', 'Folketall'"
    )


def test_export_without_an_executed_notebook_says_to_run_the_report(tmp_path):
    with pytest.raises(Missing) as err:
        export_html(tmp_path / "befolkning.ipynb", tmp_path / "befolkning.html", title="X")
    assert isinstance(err.value, FileNotFoundError)
    assert str(err.value) == (
        "ingen kjørt notatbok befolkning.ipynb: kjør `mipr report` først, så eksporteres sidene"
    )
    with pytest.raises(DataError, match="trenger en sidetittel"):
        export_html(tmp_path / "befolkning.ipynb", tmp_path / "befolkning.html", title=" ")


def test_job_definitions_are_checked_in_bokmal():
    notebook = FIXTURES / "batch_hello.ipynb"
    with pytest.raises(DataError, match="^jobbnavnet 'Mål 1' kan ikke brukes som filnavn"):
        Job(notebook, {}, "Mål 1", "T", "G")
    with pytest.raises(DataError) as err:
        Job(notebook, {"region": "3103", "kommuner": {"3103"}}, "x", "T", "G")
    assert str(err.value).startswith(
        "jobben 'x': parameteren 'kommuner' er set, ikke en enkel JSON-verdi"
    )


def test_two_jobs_with_one_name_stop_the_batch_before_anything_runs(tmp_path):
    notebook = FIXTURES / "batch_hello.ipynb"
    jobs = [Job(notebook, {}, "side", "A", "G"), Job(notebook, {}, "side", "B", "G")]
    with pytest.raises(DataError, match="^jobbnavnene må være unike; .*: side. Gi jobbene"):
        run_batch(jobs, reports_dir=tmp_path / "r", progress=False)
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------------------------------
# No English message left in a raise or a warning


ENGLISH = re.compile(
    r"\b(the|is|are|not|no|must|expected|needs?|use|found|unknown|missing|cannot|has|does|"
    r"should|run|invalid|only|failed|exist|of|and|with|to|in)\b",
    re.IGNORECASE,
)
"""Words that mark English prose."""
BOKMAL = re.compile(
    r"[æøå]|\b(og|er|ikke|eller|med|til|fra|som|har|kan|ingen|skal|må|bruk|kjør|av|på|"
    r"en|et|den|det|mangler|finnes)\b",
    re.IGNORECASE,
)
"""Words that mark bokmål prose."""
EXEMPT = {"AttributeError"}
"""A module's `__getattr__` raises Python's own `AttributeError` text (`hasattr` relies on it)."""


def _literal_text(node: ast.AST) -> str:
    """The literal parts of a message: a string, an f-string's text, concatenations of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(_literal_text(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) + " " + _literal_text(node.right)
    return ""


def english_messages(source: str) -> list[tuple[int, str]]:
    """(line, text) of every `raise X("...")` and `warnings.warn("...")` whose literal text reads
    as English and not as bokmål."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            call = node.exc
            if ast.unparse(call.func) in EXEMPT:
                continue
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("warnings.warn", "warn"):
            call = node
        else:
            continue
        text = " ".join(_literal_text(a) for a in call.args)
        if ENGLISH.search(text) and not BOKMAL.search(text):
            found.append((call.lineno, text.strip()))
    return found


def test_the_scan_finds_english_and_passes_bokmal():
    source = (
        "def f(x):\n"
        "    if x:\n"
        "        raise ValueError(f'{x} is not a boolean')\n"
        "    warnings.warn('the data is stale')\n"
        "    raise DataError(f'{x} er ikke sann eller usann (true/false)')\n"
        "    raise AttributeError(f'module {x!r} has no attribute')\n"
    )
    assert english_messages(source) == [(3, "is not a boolean"), (4, "the data is stale")]


def test_no_raise_or_warning_in_the_package_is_in_english():
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {text}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, text in english_messages(path.read_text(encoding="utf-8"))
    ]
    assert found == []
