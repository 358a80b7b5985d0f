"""The report batch end to end, as `mipr report` runs it: every page of the plan through papermill
and nbconvert on (a) the repository's shipped data and (b) the plan's baseline alone; then what a
second run shows after one value changed, a failing page, and the exploration notebook.

Each test sets up its own data folder (no test depends on another's data).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import papermill
import pytest

from mipr_analysis import config
from mipr_analysis.indicators import build, load_registry, page_data
from mipr_analysis.report.jobs import FAILED, RAN, SKIPPED, Job
from mipr_analysis.report.plan import plan_jobs
from mipr_analysis.report.runner import check_parameters, run_batch
from tests.support.browser_support import check_page, require_chromium

pytestmark = pytest.mark.slow
NBSP = "\u00a0"
SHIPPED = config.REPO_ROOT / "data" / "raw"


def folder_with(tmp: Path, *, shipped: bool) -> Path:
    """A data folder with the repository's shipped data, or with its manual sources only."""
    data = tmp / "data"
    if shipped:
        shutil.copytree(SHIPPED, data / "raw")
    else:
        shutil.copytree(SHIPPED / "manual", data / "raw" / "manual")
    return data


@pytest.fixture(scope="module")
def shipped(shipped_report):
    """One batch on the repository's shipped data (what a fresh clone's `make report` shows),
    shared with the browser tests that read it."""
    return shipped_report


def run(**kwargs):
    return run_batch(plan_jobs(), prepare=build, progress=False, **kwargs)


def page(root: Path, name: str) -> str:
    return (root / "reports" / "html" / f"{name}.html").read_text(encoding="utf-8")


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
    results = {i.id for i in load_registry() if i.is_result}
    pages = {j.parameters["indicator_id"] for j in jobs if j.notebook.name == "indikator.ipynb"}
    assert pages == results
    assert [j.name for j in jobs if j.front] == ["forside"]


def test_shipped_data_gives_every_page_with_real_series(shipped):
    root, result = shipped
    assert result.ok, result.summary()
    html = root / "reports" / "html"
    assert {p.stem for p in html.glob("*.html")} == (
        {j.name for j in plan_jobs() if not j.front} | {"index"}
    )

    naering = text(page(root, "bakgrunn_naering"))
    assert f"85{NBSP}572" in naering  # MIPR 1 January 2024 = the sum of the municipalities
    assert "FHI, bearbeidet fra SSB tabell 07459" in naering  # 2025 and 2026
    assert "brudd i serien" in naering and "Råde" in naering  # Råde 2023 flagged
    assert "15–74 år, ikke handlingsplanens 20–66 år" in naering

    processed = root / "data" / "processed" / "indicator_values.csv"
    rows = processed.read_text(encoding="utf-8")
    assert "befolkning,3103,Moss,2019,48871.0" in rows  # 0104 Moss + 0136 Rygge
    assert "befolkning,MIPR,Mosseregionen,2024,85572.0" in rows

    samferdsel = text(page(root, "bakgrunn_samferdsel"))
    assert f"13{NBSP}116" in samferdsel  # live and work in Moss, 2022
    assert (
        "Kart: Kartverket (CC BY 4.0)" in page(root, "bakgrunn_samferdsel")
        or "Kartverket" in samferdsel
    )
    land = text(page(root, "bakgrunn_natur_vann"))
    assert "Jordbruksareal" in land and f"33,60{NBSP}km²" in land  # Moss 2021

    beredskap = text(page(root, "bakgrunn_beredskap"))
    assert "Rygge flystasjon" in beredskap and "ingen åpen kilde ennå" in beredskap.lower()

    employment = text(page(root, "indikator_sysselsettingsandel_20_66"))
    assert f"73,9{NBSP}%" in employment and f"75,5{NBSP}%" in employment
    assert "gir 74,0" in employment  # the plan's 73,9 against 23 030 / 31 123, reported
    for name in ("index", "bakgrunn_naering", "indikator_sysselsettingsandel_20_66"):
        assert "Traceback" not in page(root, name) and "Warning" not in text(page(root, name))


def test_front_page_answers_how_the_region_is_doing(shipped):
    root, _ = shipped
    index = text(page(root, "index"))
    assert "Slik ligger regionen an i landet" in index
    growth = page_data.key_positions(root / "data").set_index("measure").loc["befolkningsvekst_1"]
    assert f"{growth['value']} for Mosseregionen, {growth['ba_place']} blant BA-regionene" in index
    assert "Hovedmål" in index and "Mål 3" in index
    assert index.count("bare nullpunktet") == 1  # said once, not in every cell
    assert "Om denne kjøringen" in index and "tabell 07459" in index
    html = page(root, "index")
    assert 'href="indikator_sysselsettingsandel_20_66.html"' in html
    assert 'class="sparkline"' in html  # trend lines where there is a series


def test_rerun_with_nothing_changed_is_skipped(shipped, monkeypatch):
    root, _ = shipped
    monkeypatch.setenv("MIPR_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(root / "reports"))
    again = run()
    assert again.ok and {r.status for r in again.results} == {SKIPPED}
    assert again.prepared is False


def test_pages_in_a_real_browser(shipped):
    require_chromium()
    root, _ = shipped
    for name in ("index", "indikator_sysselsettingsandel_20_66", "bakgrunn_samferdsel"):
        report = check_page(
            root / "reports" / "html" / f"{name}.html", screenshot_name=f"e2e_{name}"
        )
        assert not report.problems, (name, report.problems)


def test_the_baseline_alone_gives_every_page_and_says_what_is_missing(tmp_path, monkeypatch):
    folder_with(tmp_path, shipped=False)
    monkeypatch.setenv("MIPR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(tmp_path / "reports"))
    result = run()
    assert result.ok, result.summary()
    employment = text(page(tmp_path, "indikator_sysselsettingsandel_20_66"))
    assert "Foreløpig finnes bare nullpunktet" in employment
    samferdsel = text(page(tmp_path, "bakgrunn_samferdsel"))
    assert "Ingen kart: kommunegrensene (Kartverket) er ikke lagret" in samferdsel
    assert "Ingen pendlingstall ennå" in samferdsel
    assert "Ingen tall ennå" in text(page(tmp_path, "bakgrunn_naering"))


def retype_moss_tax(data: Path, old: int, new: int) -> None:
    """Hand-made: Moss' typed tax figure in the plan's table 3 corrected, as a later edition
    might."""
    table = data / "raw" / "manual" / "handlingsplan_2026_tabell_3.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    moss = next(
        i for i, r in enumerate(rows) if r.startswith("skatteinntekt_per_innbygger,3103,2024,")
    )
    shown_old, shown_new = f"{old:,}".replace(",", " "), f"{new:,}".replace(",", " ")
    rows[moss] = rows[moss].replace(str(old), str(new), 1).replace(shown_old, shown_new, 1)
    table.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def test_a_changed_value_shows_on_the_front_page(tmp_path, monkeypatch):
    data = folder_with(tmp_path, shipped=False)
    monkeypatch.setenv("MIPR_DATA_DIR", str(data))
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(tmp_path / "reports"))
    pages = ["forside", "indikator_skatteinntekt_per_innbygger", "indikator_innbyggere_ks"]
    first = run(only=pages)
    assert first.ok, first.summary()
    assert "Dette er den første rapporten i endringsloggen" in text(page(tmp_path, "index"))

    retype_moss_tax(data, 35696, 35700)
    second = run(only=pages)
    assert second.ok and second.prepared is True
    index = text(page(tmp_path, "index"))
    assert "Nytt og endret siden rapporten" in index
    assert "Skatteinntekt per innbygger" in index and "revidert tall" in index
    tax = text(page(tmp_path, "indikator_skatteinntekt_per_innbygger"))
    assert f"35{NBSP}696{NBSP}kr" in tax and f"35{NBSP}700{NBSP}kr" in tax
    residents = text(page(tmp_path, "indikator_innbyggere_ks"))
    assert "Ingen nye eller endrede tall siden forrige rapport" in residents

    # A second correction: only the pages whose comparison changed run again.
    retype_moss_tax(data, 35700, 35704)
    third = run(only=pages)
    status = {r.name: r.status for r in third.results if r.name in pages}
    assert status == {
        "forside": RAN,
        "indikator_skatteinntekt_per_innbygger": RAN,
        "indikator_innbyggere_ks": SKIPPED,
    }
    tax = text(page(tmp_path, "indikator_skatteinntekt_per_innbygger"))
    assert f"35{NBSP}700{NBSP}kr" in tax and f"35{NBSP}704{NBSP}kr" in tax


def test_a_broken_notebook_fails_alone_and_the_front_page_says_so(tmp_path, monkeypatch, fixtures):
    folder_with(tmp_path, shipped=False)
    monkeypatch.setenv("MIPR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(tmp_path / "reports"))
    broken = Job(
        fixtures / "batch_broken.ipynb",
        {"region": "3103"},
        "odelagt",
        "Ødelagt testside",
        "Test",
        order=999,
    )
    result = run_batch(
        [*plan_jobs(), broken],
        prepare=build,
        progress=False,
        only=["odelagt", "forside", "indikator_innbyggere_ks"],
    )
    assert not result.ok
    assert [r.name for r in result.results if r.status == FAILED] == ["odelagt"]
    assert {r.name for r in result.results if r.status == RAN} == {
        "forside",
        "indikator_innbyggere_ks",
    }
    index = text(page(tmp_path, "index"))
    assert "Feilet:" in index and "Ødelagt testside" in index
    failure = text(page(tmp_path, "odelagt"))
    assert "Denne siden feilet" in failure


def test_exploration_notebook_runs_offline_on_the_shipped_data(tmp_path, monkeypatch):
    folder_with(tmp_path, shipped=True)
    monkeypatch.setenv("MIPR_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "utforsk.ipynb"
    papermill.execute_notebook(
        str(config.notebooks_dir() / "exploratory" / "utforsk.ipynb"),
        str(out),
        parameters={"offline": True},
        kernel_name="mipr",
        progress_bar=False,
    )
    executed = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)

    def shown_by(fragment: str) -> str:
        cell = next(c for c in executed["cells"] if fragment in "".join(c["source"]))
        return "".join("".join(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"])

    oslo = shown_by("to_oslo.pivot_table")  # Moss's old codes (0104, 0136, 3002) all on 3103
    assert all(str(year) in oslo for year in range(2017, 2023)) and "Moss" in oslo
    share = shown_by('share[share["year"] == share["year"].max()]')
    assert "2026" in share and "Våler" in share and "Mosseregionen" in share
