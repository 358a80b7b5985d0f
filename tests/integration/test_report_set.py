"""One consistent report set: `mipr pdf` and `mipr report` share the locks, a reports folder is
used by one command at a time, and the PDF is made only from one finished report set of the
data, notebooks and code that are there now.

The sets here are made by the real batch from hand-made notebooks (fixtures/batch_*); the
manifest digests written are hand-made too: only their effect on what is up to date matters.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from mipr_analysis.cli import main
from mipr_analysis.errors import MiprError
from mipr_analysis.locking import data_lock, lock_folders
from mipr_analysis.report import cache
from mipr_analysis.report.jobs import Job
from mipr_analysis.report.pdf import make_pdf
from mipr_analysis.report.runner import DATA_BUILD, outdated, run_batch
from tests.support.process_support import Report


def write_manifest(data: Path, digests: dict[str, str]) -> None:
    (data / "processed").mkdir(parents=True, exist_ok=True)
    (data / "processed" / "manifest.json").write_text(
        json.dumps({"schema_version": 2, "files": {}, "indicators": digests}), encoding="utf-8"
    )


def plan(fixtures: Path) -> list[Job]:
    """Two pages and a front page; page `a` shows indicator ind_a, page `b` ind_b."""
    hello = fixtures / "batch_hello.ipynb"
    return [
        Job(hello, {"region": "3103"}, "a", "Side A", "Mål 1", 1, indicators=("ind_a",)),
        Job(hello, {"region": "3216"}, "b", "Side B", "Mål 1", 2, indicators=("ind_b",)),
        Job(
            fixtures / "batch_front.ipynb",
            {},
            "forside",
            "Forside",
            "Forside",
            0,
            all_indicators=True,
            front=True,
        ),
    ]


def made_set(data_dir: Path, reports: Path, jobs: list[Job], **options) -> None:
    write_manifest(data_dir, {"ind_a": "1", "ind_b": "1"})
    result = run_batch(jobs, reports_dir=reports, workers=2, timeout=60, progress=False, **options)
    assert result.ok


# --------------------------------------------------------------------------------------------
# Locks


def test_a_pdf_while_a_report_holds_the_data_folder_is_refused(
    data_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(tmp_path / "reports"))
    with data_lock("report"):
        assert main(["pdf"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"mipr pdf: {data_dir} brukes nå av mipr report (prosess ")
    assert err.count("\n") == 1


def test_a_report_folder_in_use_refuses_a_report_with_another_data_folder(
    data_dir, tmp_path, capsys, monkeypatch
):
    reports = tmp_path / "reports"
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(reports))
    with lock_folders("report", tmp_path / "andre-data", reports):
        assert main(["report", "--no-progress"]) == 1
        assert main(["pdf"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"mipr report: {reports} brukes nå av mipr report (prosess ")
    assert err[1].startswith(f"mipr pdf: {reports} brukes nå av mipr report (prosess ")
    assert not (reports / ".mipr.lock.json").exists()  # the holder's note went with the lock
    assert not (data_dir / ".mipr.lock.json").exists()  # and ours was given back


def test_one_folder_for_data_and_reports_is_locked_once(tmp_path):
    with lock_folders("report", tmp_path, tmp_path):
        assert (tmp_path / ".mipr.lock.json").is_file()
    assert not (tmp_path / ".mipr.lock.json").exists()


@pytest.mark.slow
def test_a_pdf_while_a_real_report_runs_is_refused_with_who_runs_it(tmp_path):
    report = Report(tmp_path)
    report.wait_until_building_with_warm_kernels()
    try:
        pdf = subprocess.run(
            [sys.executable, "-m", "mipr_analysis.cli", "pdf"],
            capture_output=True,
            text=True,
            env=report.env,
            timeout=120,
        )
    finally:
        report.proc.send_signal(signal.SIGTERM)
        report.proc.communicate(timeout=120)
    assert pdf.returncode == 1
    assert pdf.stderr.startswith(f"mipr pdf: {tmp_path / 'data'} brukes nå av mipr report ")
    assert f"(prosess {report.proc.pid}, startet kl. " in pdf.stderr
    assert pdf.stderr.count("\n") == 1
    assert not list((tmp_path / "reports").glob("*.pdf"))


# --------------------------------------------------------------------------------------------
# What the PDF may be made from


@pytest.mark.slow
def test_a_finished_set_is_current_until_its_data_changes(data_dir, tmp_path, fixtures):
    jobs, reports = plan(fixtures), tmp_path / "reports"
    made_set(data_dir, reports, jobs)
    assert outdated(jobs, reports) == []
    write_manifest(data_dir, {"ind_a": "2", "ind_b": "1"})  # new figures for page a
    assert outdated(jobs, reports) == ["a"]
    with pytest.raises(MiprError) as caught:
        make_pdf(reports, jobs=jobs)
    assert str(caught.value) == (
        f"rapportsettet i {reports} er ikke én ferdig rapport av det som ligger der nå: 1 "
        "side(r) er ikke ferdige eller eldre enn dataene, notatbøkene eller programmet (a). "
        "Kjør `mipr report` først (eller `make pdf`, som gjør begge)"
    )
    assert run_batch(jobs, reports_dir=reports, workers=2, timeout=60, progress=False).ok
    assert outdated(jobs, reports) == []


@pytest.mark.slow
def test_a_run_that_did_not_finish_leaves_a_set_the_pdf_refuses(data_dir, tmp_path, fixtures):
    jobs, reports = plan(fixtures), tmp_path / "reports"
    made_set(data_dir, reports, jobs)
    # What a batch killed while it ran page b again leaves: b "running", its old page in html/
    state, _ = cache.load_state(reports)
    state["jobs"]["b"] = {"status": "running", "key": state["jobs"]["b"]["key"]}
    cache.save_state(reports, state)
    assert outdated(jobs, reports) == ["b"]


@pytest.mark.slow
def test_the_front_page_must_show_the_pages_as_they_stand(data_dir, tmp_path, fixtures):
    jobs, reports = plan(fixtures), tmp_path / "reports"
    made_set(data_dir, reports, jobs)
    write_manifest(data_dir, {"ind_a": "2", "ind_b": "1"})
    only_a = run_batch(jobs, reports_dir=reports, only=["a"], workers=1, progress=False)
    assert [r.name for r in only_a.ran] == ["a"]
    assert outdated(jobs, reports) == ["forside"]  # it still lists page a as made before


@pytest.mark.slow
def test_a_page_that_failed_on_the_current_data_is_part_of_the_set(data_dir, tmp_path, fixtures):
    jobs = [
        *plan(fixtures),
        Job(fixtures / "batch_broken.ipynb", {"region": "3112"}, "odelagt", "Ødelagt", "Mål 2", 9),
    ]
    reports = tmp_path / "reports"
    write_manifest(data_dir, {"ind_a": "1", "ind_b": "1"})
    result = run_batch(jobs, reports_dir=reports, workers=2, timeout=60, progress=False)
    assert [r.name for r in result.failed] == ["odelagt"]
    assert outdated(jobs, reports) == []


@pytest.mark.slow
def test_figure_files_do_not_make_a_set_outdated(data_dir, tmp_path, fixtures):
    jobs, reports = plan(fixtures), tmp_path / "reports"
    made_set(data_dir, reports, jobs, figure_files=True)
    assert outdated(jobs, reports) == []


@pytest.mark.slow
def test_new_raw_data_not_built_yet_makes_the_set_outdated(data_dir, tmp_path, fixtures):
    jobs, reports = plan(fixtures), tmp_path / "reports"
    write_manifest(data_dir, {"ind_a": "1", "ind_b": "1"})
    (data_dir / "raw" / "manual").mkdir()
    (data_dir / "raw" / "manual" / "handlaget.csv").write_text("a\n1\n", encoding="utf-8")
    run_batch(jobs, reports_dir=reports, prepare=lambda: None, workers=2, progress=False)
    assert outdated(jobs, reports) == []
    (data_dir / "raw" / "manual" / "handlaget.csv").write_text("a\n2\n", encoding="utf-8")
    assert outdated(jobs, reports) == [DATA_BUILD]
    with pytest.raises(MiprError, match="dataene i data/raw er endret siden rapporten ble laget"):
        make_pdf(reports, jobs=jobs)


def test_no_state_means_nothing_is_known_to_be_current(tmp_path, fixtures):
    jobs = plan(fixtures)
    assert outdated(jobs, tmp_path / "reports") == ["a", "b"]


@pytest.mark.slow
@pytest.mark.browser
def test_the_pdf_of_a_current_set_says_which_run_it_is(data_dir, tmp_path, fixtures):
    from pypdf import PdfReader

    from tests.support.browser_support import require_chromium

    require_chromium()
    jobs, reports = plan(fixtures), tmp_path / "reports"
    made_set(data_dir, reports, jobs)
    run = json.loads((reports / "run.json").read_text(encoding="utf-8"))
    started = datetime.fromisoformat(run["started_at"])
    lines: list[str] = []
    path = make_pdf(reports, jobs=jobs, echo=lines.append)
    assert lines[0].startswith(
        f"Lager PDF av rapportsettet fra kjøringen {started:%d.%m.%Y} kl. {started:%H:%M} "
        f"({run['git']}): 3 sider"
    )
    contents = PdfReader(path).pages[0].extract_text()
    assert f"Rapport kjørt {started:%d.%m.%Y} kl. {started:%H:%M}" in contents
