"""The report batch end to end, as `mipr report` runs it: every notebook of the plan through
papermill and nbconvert, on (a) the plan's baseline only and (b) the real 07459 population
imported from Statistikkbanken CSV files; then the pages in a real browser."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import papermill
import pytest
from browser_support import check_page, require_chromium

from mipr_analysis import config
from mipr_analysis.indicators import build, load_registry
from mipr_analysis.report.plan import plan_jobs
from mipr_analysis.report.runner import FAILED, RAN, SKIPPED, Job, check_parameters, run_batch
from mipr_analysis.ssb.statbank_csv import import_statbank_csv

pytestmark = pytest.mark.slow
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A data folder holding only the repository's manual sources, and a reports folder."""
    root = tmp_path_factory.mktemp("e2e")
    data = root / "data"
    shutil.copytree(config.REPO_ROOT / "data" / "raw" / "manual", data / "raw" / "manual")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIPR_DATA_DIR", str(data))
        mp.setenv("MIPR_REPORTS_DIR", str(root / "reports"))
        mp.setenv("MIPR_OFFLINE", "1")
        yield root


def run(**kwargs):
    return run_batch(plan_jobs(), prepare=build, progress=False, **kwargs)


def page(env: Path, name: str) -> str:
    return (env / "reports" / "html" / f"{name}.html").read_text(encoding="utf-8")


def text(html: str) -> str:
    """Visible text of a page, roughly: tags removed, ASCII whitespace collapsed (no-break
    spaces, the thousands separator, are kept)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", body))


def test_every_job_matches_its_notebook_parameters_and_the_registry():
    jobs = plan_jobs()
    ids = {i.id for i in load_registry()}
    for job in jobs:
        check_parameters(job)  # papermill's inspection: no unknown parameter
        assert set(job.indicators) <= ids
        declared = papermill.inspect_notebook(str(job.notebook))
        assert set(job.parameters) <= set(declared)
    results = {i.id for i in load_registry() if i.is_result}
    assert results == {i for j in jobs if j.notebook.name == "indikator.ipynb" for i in j.indicators}


def test_a_baseline_only(env):
    result = run()
    assert result.ok, result.summary()
    assert {r.status for r in result.results} == {RAN}
    html = env / "reports" / "html"
    assert {p.stem for p in html.glob("*.html")} == {j.name for j in plan_jobs()} | {"index"}

    employment = text(page(env, "indikator_sysselsettingsandel_20_66"))
    assert "Foreløpig finnes bare nullpunktet" in employment
    assert f"73,9{NBSP}%" in employment and f"75,5{NBSP}%" in employment
    assert "gir 74,0" in employment  # the plan's 73,9 against 23 030 / 31 123, reported
    tax = text(page(env, "indikator_skatteinntekt_per_innbygger"))
    assert f"35{NBSP}696{NBSP}kr" in tax and f"34{NBSP}657{NBSP}kr" in tax

    overview = text(page(env, "oversikt"))
    assert "bygger foreløpig bare på nullpunktet" in overview
    assert "ingen åpen kilde ennå" in text(page(env, "bakgrunn_beredskap")).lower()

    for name in ("index", "oversikt", "indikator_sysselsettingsandel_20_66"):
        assert "Traceback" not in page(env, name) and "Warning" not in text(page(env, name))

    figures = env / "reports" / "figures"
    assert (figures / "sysselsettingsandel_20_66.png").stat().st_size > 10_000
    assert (figures / "sysselsettingsandel_20_66.svg").is_file()
    csv = (figures / "oversikt.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf") and b";" in csv.splitlines()[0]


def test_a_rerun_with_nothing_changed_is_skipped(env):
    result = run()
    assert result.ok and {r.status for r in result.results} == {SKIPPED}
    assert result.prepared is False


def test_a_pages_in_a_real_browser(env):
    require_chromium()
    for name in ("index", "indikator_sysselsettingsandel_20_66", "bakgrunn_naering"):
        report = check_page(env / "reports" / "html" / f"{name}.html",
                            screenshot_name=f"e2e_baseline_{name}")
        assert not report.problems, (name, report.problems)


def test_b_real_population_from_statbank_csv(env, shared_ssb):
    data = env / "data"
    for path in sorted((shared_ssb / "statbank-csv" / "07459").glob("Personer*.csv")):
        import_statbank_csv(path, "07459", data)
    result = run()
    assert result.ok, result.summary()
    assert result.prepared is True and result.ran

    values = (data / "processed" / "indicator_values.csv").read_text(encoding="utf-8")
    assert "befolkning,3103,Moss,2024,52051.0" in values
    assert "befolkning,MIPR,Mosseregionen,2024,85572.0" in values

    naering = text(page(env, "bakgrunn_naering"))
    assert f"52{NBSP}051" in naering and f"85{NBSP}572" in naering
    assert "brudd i serien" in naering  # Råde 2023 in the 07459 files
    assert "Personer2024.csv" in naering  # the source file is named

    index = text(page(env, "index"))
    assert "07459" in index
    require_chromium()
    report = check_page(env / "reports" / "html" / "bakgrunn_naering.html",
                        screenshot_name="e2e_population_bakgrunn_naering")
    assert not report.problems, report.problems


def test_c_a_broken_notebook_fails_alone(env, fixtures):
    broken = Job(fixtures / "batch_broken.ipynb", {"region": "3103"}, "odelagt",
                 "Ødelagt testside", "Test", order=999)
    jobs = [*plan_jobs(), broken]
    result = run_batch(jobs, prepare=build, progress=False, only=["odelagt", "oversikt"],
                       force=True)
    assert not result.ok
    assert [r.name for r in result.results if r.status == FAILED] == ["odelagt"]
    assert any(r.name == "oversikt" and r.status == RAN for r in result.results)
    index = text(page(env, "index"))
    assert "feilet" in index and "Ødelagt testside" in index
    assert (env / "reports" / "html" / "oversikt.html").is_file()
    executed = json.loads((env / "reports" / "executed" / "odelagt.ipynb").read_text())
    assert executed["cells"]


def test_d_exploration_notebook_runs_offline_on_imported_data(env, tmp_path):
    # After test_b the data folder holds the imported 07459 CSVs but no fetched query, so the
    # notebook shows the NoSnapshot message and falls back to the imported table.
    out = tmp_path / "utforsk.ipynb"
    papermill.execute_notebook(str(config.notebooks_dir() / "utforsk.ipynb"), str(out),
                               parameters={"offline": True}, kernel_name="mipr",
                               progress_bar=False, cwd=str(config.notebooks_dir()))
    executed = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    shown = json.dumps(outputs, ensure_ascii=False)
    assert "mipr fetch" in shown and "Mosseregionen" in shown
    assert any("image/png" in o.get("data", {}) for o in outputs)
