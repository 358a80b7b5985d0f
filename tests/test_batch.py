"""The papermill batch runner, with real kernels and tiny hand-made notebooks (fixtures/batch_*).

The SSB snapshots written here hold hand-made bodies, not SSB figures: only their sidecars matter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from mipr_analysis.errors import UsageError
from mipr_analysis.report import cache as batch_cache
from mipr_analysis.report.runner import (
    Job,
    check_parameters,
    git_state,
    resolve_kernel,
    run_batch,
    select_jobs,
)
from mipr_analysis.ssb.store import PXWEB, STATBANK_CSV, SnapshotStore

pytestmark = pytest.mark.slow


def hello(fixtures, name, region, group="Mål 1", order=0, **params):
    return Job(fixtures / "batch_hello.ipynb", {"region": region, **params}, name,
               f"Testside {region}", group, order)


def executed_output(reports, name) -> str:
    nb = json.loads((reports / "executed" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))


# --------------------------------------------------------------------------------------------
# One batch of three good notebooks and a broken one, shared by the tests below


@pytest.fixture(scope="module")
def first(tmp_path_factory, fixtures):
    data = tmp_path_factory.mktemp("data")
    store = SnapshotStore(data)
    older = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    newer = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # 09:30 in Oslo
    store.save("07459", b'{"hand-made": "old"}', source=PXWEB, query_key="q1", fetched_at=older,
               ssb_updated="2026-01-01T07:00:00Z")
    store.save("07459", b'{"hand-made": "new"}', source=PXWEB, query_key="q1", fetched_at=newer,
               ssb_updated="2026-02-25T07:00:00Z")
    store.save("13563", b'{"hand-made": "metadata"}', source=PXWEB, query_key="m", kind="metadata")
    for part in (1, 2):
        store.save("10781", b'{"hand-made": %d}' % part, source=PXWEB, query_key="q2",
                   fetched_at=newer, part=part, parts=2, ssb_updated="2025-07-23T06:00:00Z")
    store.save("09594", b"hand-made;csv\n", source=STATBANK_CSV, query_key="csv-1", ext="csv",
               fetched_at=newer, ssb_updated=None)
    (data / "raw" / "manual").mkdir()
    (data / "raw" / "manual" / "kommune_nm.csv").write_text("hand-made\n", encoding="utf-8")
    (data / "processed").mkdir()

    reports = tmp_path_factory.mktemp("reports")
    jobs = [hello(fixtures, f"side_{r}", r, order=i)
            for i, r in enumerate(["0104", "3103", "3216"])]
    jobs.append(Job(fixtures / "batch_broken.ipynb", {"region": "3112"}, "odelagt",
                    "Ødelagt side", "Mål 2", 10))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIPR_DATA_DIR", str(data))
        result = run_batch(jobs, reports_dir=reports, workers=2, timeout=60, progress=False)
    return result, reports


def test_three_notebooks_run_in_parallel(first):
    result, reports = first
    assert [r.name for r in result.ran] == ["side_0104", "side_3103", "side_3216"]
    for name in ("side_0104", "side_3103", "side_3216"):
        page = (reports / "html" / f"{name}.html").read_text(encoding="utf-8")
        assert 'lang="nb"' in page and "feilet" not in page
    # two workers: some notebooks ran at the same time (papermill records each run's span)
    spans = sorted(
        (m["start_time"], m["end_time"]) for m in (
            json.loads((reports / "executed" / f"{n}.ipynb").read_text())["metadata"]["papermill"]
            for n in ("side_0104", "side_3103", "side_3216", "odelagt"))
    )
    assert any(b_start < a_end for (_, a_end), (b_start, _) in zip(spans, spans[1:]))


def test_codes_stay_strings(first):
    _, reports = first
    assert "region='0104'" in executed_output(reports, "side_0104")


def test_broken_notebook_fails_alone(first):
    result, reports = first
    assert not result.ok
    [failed] = result.failed
    assert failed.name == "odelagt"
    assert failed.error == "ValueError: hand-made failure for 3112 (celle 4)"
    assert failed.cell == 4
    assert (reports / "executed" / "odelagt.ipynb").is_file()  # kept for debugging
    page = (reports / "html" / "odelagt.html").read_text(encoding="utf-8")
    assert "Denne siden feilet" in page and "hand-made failure for 3112" in page
    assert "Feilet: odelagt – ValueError: hand-made failure for 3112" in result.summary()
    assert result.summary().startswith("Rapporter: 3 kjørt, 0 uendret (hoppet over), 1 feilet")


def test_index_marks_failure_in_words_and_groups_pages(first):
    _, reports = first
    index = (reports / "html" / "index.html").read_text(encoding="utf-8")
    assert index.index("<h2>Mål 1</h2>") < index.index("<h2>Mål 2</h2>")
    for name in ("side_0104", "side_3103", "side_3216", "odelagt"):
        assert f'href="{name}.html"' in index
    row = next(line for line in index.splitlines() if 'href="odelagt.html"' in line)
    assert "feilet: ValueError: hand-made failure for 3112 (celle 4)" in row
    assert index.count("oppdatert i denne kjøringen") == 3


def test_index_lists_snapshots_and_provenance(first):
    result, reports = first
    index = (reports / "html" / "index.html").read_text(encoding="utf-8")
    assert f"<dd>{result.started_at:%d.%m.%Y %H:%M}</dd>" in index
    assert "mipr-analysis" in index and "git" in index
    rows = [line for line in index.splitlines() if line.startswith("<tr><td>")]
    assert rows == [
        f"<tr><td>07459</td><td>25.02.2026</td><td>02.03.2026 09:30</td><td>{PXWEB}</td>"
        "<td>07459/20260302T083000000000Z_q1</td></tr>",
        f"<tr><td>09594</td><td>ukjent</td><td>02.03.2026 09:30</td><td>{STATBANK_CSV}</td>"
        "<td>09594/20260302T083000000000Z_csv-1</td></tr>",
        f"<tr><td>10781</td><td>23.07.2025</td><td>02.03.2026 09:30</td><td>{PXWEB}</td>"
        "<td>10781/20260302T083000000000Z_q2_part1of2 (+1 deler)</td></tr>",
    ]
    assert "kommune_nm.csv" in index


# --------------------------------------------------------------------------------------------
# Skipping, changes, force and only


def test_rerun_skips_unchanged_and_reruns_what_changed(data_dir, tmp_path, fixtures, monkeypatch):
    # Other work in the tree must not change the package hash mid-test; its own test is below.
    monkeypatch.setattr(batch_cache, "package_fingerprint", lambda: "fixed")
    manual = data_dir / "raw" / "manual"
    manual.mkdir()
    (manual / "a.csv").write_text("hand-made a 1\n", encoding="utf-8")
    (manual / "b.csv").write_text("hand-made b 1\n", encoding="utf-8")
    builds = []

    def prepare():  # stands in for the data build: processed/ derived from raw/
        builds.append(1)
        for src in manual.iterdir():
            (data_dir / "processed" / src.name).write_text(src.read_text().upper())

    def jobs(label_a="a", label_b="b"):
        return [
            Job(fixtures / "batch_hello.ipynb", {"region": "3103", "label": label_a}, "a",
                "Side A", "Mål 1", 1, indicators=("ind_a",), inputs=("processed/a.csv",)),
            Job(fixtures / "batch_hello.ipynb", {"region": "3216", "label": label_b}, "b",
                "Side B", "Mål 1", 2, indicators=("ind_b",), inputs=("processed/b.csv",)),
        ]

    def run(**kw):
        kw = {"reports_dir": tmp_path / "r", "workers": 2, "progress": False, "prepare": prepare,
              **kw}
        return run_batch(kw.pop("jobs", jobs()), **kw)

    def status(result):
        return {r.name: r.status for r in result.results}

    first = run()
    assert status(first) == {"a": "ran", "b": "ran"} and first.ok and len(builds) == 1

    # nothing heavy on the no-change path: importing papermill or jupyter_client would fail
    monkeypatch.setitem(sys.modules, "papermill", None)
    monkeypatch.setitem(sys.modules, "jupyter_client", None)
    start = time.perf_counter()
    again = run()
    assert time.perf_counter() - start < 2
    monkeypatch.delitem(sys.modules, "papermill")
    monkeypatch.delitem(sys.modules, "jupyter_client")
    assert status(again) == {"a": "skipped", "b": "skipped"} and len(builds) == 1
    assert again.prepared is False and again.kernel is None
    index = (tmp_path / "r" / "html" / "index.html").read_text(encoding="utf-8")
    assert index.count("uendret, hoppet over") == 2

    assert status(run(jobs=jobs(label_b="ny"))) == {"a": "skipped", "b": "ran"}
    assert "label='ny'" in executed_output(tmp_path / "r", "b")

    (manual / "a.csv").write_text("hand-made a 2\n", encoding="utf-8")
    changed = run(jobs=jobs(label_b="ny"))
    assert status(changed) == {"a": "ran", "b": "skipped"} and len(builds) == 2

    # b is unchanged but forced; a changed but is not selected
    picked = run(jobs=jobs(label_a="x", label_b="ny"), force=True, only=["ind_b"])
    assert status(picked) == {"a": "not_selected", "b": "ran"} and len(builds) == 3
    index = (tmp_path / "r" / "html" / "index.html").read_text(encoding="utf-8")
    row_a = next(line for line in index.splitlines() if "Side A" in line)
    assert 'href="a.html"' in row_a and "ikke med i denne kjøringen" in row_a
    assert "label='a'" in executed_output(tmp_path / "r", "a")


def test_package_fingerprint_follows_source(tmp_path, monkeypatch):
    (tmp_path / "mod.py").write_text("x = 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    monkeypatch.setattr(batch_cache, "PACKAGE_DIR", tmp_path)
    before = batch_cache.package_fingerprint()
    (tmp_path / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\1")
    assert batch_cache.package_fingerprint() == before
    (tmp_path / "mod.py").write_text("x = 2\n")
    assert batch_cache.package_fingerprint() != before


def test_timeout_fails_the_job(data_dir, tmp_path, fixtures, monkeypatch):
    job = hello(fixtures, "treg", "3114", pause=30)
    monkeypatch.chdir(tmp_path)  # a relative reports folder survives papermill's chdir
    start = time.perf_counter()
    result = run_batch([job], reports_dir="r", timeout=2, progress=False)
    assert time.perf_counter() - start < 25
    assert not result.ok
    assert result.failed[0].error == "Tidsavbrudd: en celle brukte mer enn 2 s (celle 3)"
    assert (tmp_path / "r" / "executed" / "treg.ipynb").is_file()
    page = (tmp_path / "r" / "html" / "treg.html").read_text(encoding="utf-8")
    assert "Denne siden feilet" in page


# --------------------------------------------------------------------------------------------
# Checks before anything runs


def test_check_parameters_rejects_unknown_name(fixtures):
    check_parameters(hello(fixtures, "ok", "3103", label="x"))
    with pytest.raises(ValueError, match=r"'regon'.*declares: label, pause, region"):
        check_parameters(Job(fixtures / "batch_hello.ipynb", {"regon": "3103"}, "typo", "T", "G"))


def test_bad_parameter_stops_batch_before_running(data_dir, tmp_path, fixtures):
    jobs = [hello(fixtures, "ok", "3103"),
            Job(fixtures / "batch_hello.ipynb", {"regon": "3103"}, "typo", "T", "G")]
    with pytest.raises(ValueError, match="typo"):
        run_batch(jobs, reports_dir=tmp_path, progress=False)
    assert not list((tmp_path / "executed").iterdir())


def test_job_validation(fixtures):
    with pytest.raises(ValueError, match="safe file stem"):
        Job(fixtures / "batch_hello.ipynb", {}, "Mål 1", "T", "G")
    with pytest.raises(ValueError, match="plain JSON values"):
        Job(fixtures / "batch_hello.ipynb", {"region": {"3103"}}, "x", "T", "G")
    jobs = [Job(fixtures / "batch_hello.ipynb", {}, "a", "A", "G", indicators=("ind_1",)),
            Job(fixtures / "batch_hello.ipynb", {}, "b", "B", "G")]
    assert [j.name for j in select_jobs(jobs, ["ind_1"])] == ["a"]
    with pytest.raises(UsageError, match="nope.*Kjente sider og indikatorer: a, b"):
        select_jobs(jobs, ["b", "nope"])


def test_kernel_falls_back_to_python3(caplog):
    assert resolve_kernel("python3") == "python3"
    assert not caplog.records
    assert resolve_kernel("mipr-finnes-ikke") == "python3"
    [record] = caplog.records
    assert "'mipr-finnes-ikke' is not installed" in record.getMessage()


def test_git_state(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t",
                        *args], check=True, capture_output=True)

    assert git_state(tmp_path) == "ikke i et git-arkiv"
    git("init", "-q")
    assert git_state(tmp_path) == "git: ingen commit ennå"
    (tmp_path / "f.txt").write_text("1")
    git("add", "f.txt")
    git("commit", "-qm", "first")
    clean = git_state(tmp_path)
    assert clean.startswith("git ") and not clean.endswith("endringer")
    (tmp_path / "f.txt").write_text("2")
    assert git_state(tmp_path) == clean + " + endringer"



def test_index_warns_about_old_fetches_and_csv_imports():
    from mipr_analysis.report.runner import _staleness

    now = datetime(2026, 11, 23, tzinfo=UTC)
    rows = [("07459", "25.02.2026", "01.03.2026 10:00", "pxwebapi-v2", "a"),
            ("11618", "01.10.2026", "20.11.2026 10:00", "pxwebapi-v2", "b"),
            ("09594", "ukjent", "20.11.2026 10:00", "statbank-csv", "c")]
    text = _staleness(rows, now)
    assert "Tabell 07459 ble hentet for 267 dager siden" in text
    assert "11618" not in text  # fetched three days ago
    assert "Tabell 09594 er importert fra en CSV-fil" in text
    assert _staleness(rows[1:2], now) == ""
