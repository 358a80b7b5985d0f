"""Operating-system failures are one line in bokmål that names the path and says what to do,
and nothing half-written stays behind: a full disk, a read-only folder, no permission, and a
reader of the output that went away (`mipr list | head -1`).

A full disk and a read-only folder are simulated in this process, never made on the machine:
`full_disk` makes every fsync of a file under a folder fail with ENOSPC, as a full file system
reports it (without a file name); `read_only` makes every opening of a file for writing under a
folder fail with EROFS or EACCES (chmod would not do: the tests may run as root).
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mipr_analysis import atomic
from mipr_analysis.cli import EXIT_OUTPUT_CLOSED, main, os_error_text
from mipr_analysis.report import cache
from mipr_analysis.report.jobs import Job
from mipr_analysis.report.runner import run_batch


def _under(path: object, folder: Path) -> bool:
    return Path(os.path.abspath(os.fsdecode(path))).is_relative_to(folder)


def full_disk(monkeypatch, folder: Path) -> None:
    """The file system holding `folder` is full: a file written there fails when it is synced."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if _under(os.readlink(f"/proc/self/fd/{fd}"), folder):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def read_only(monkeypatch, folder: Path, code: int = errno.EROFS) -> None:
    """Nothing can be created or written under `folder` (reading still works)."""
    real_open, real_mkdir = os.open, os.mkdir
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def guarded_open(path, flags, *args, **kwargs):
        if flags & writing and _under(path, folder):
            raise OSError(code, os.strerror(code), os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    def guarded_mkdir(path, *args, **kwargs):
        if _under(path, folder) and not os.path.exists(path):
            raise OSError(code, os.strerror(code), os.fsdecode(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(os, "mkdir", guarded_mkdir)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def one_line_error(capsys, command: str) -> str:
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith(f"mipr {command}: ")
    return captured.err.strip()


def handmade_file(tmp_path: Path) -> Path:
    path = tmp_path / "handlaget.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Imports and the data build


def test_an_import_on_a_full_disk_says_so_and_stores_nothing(
    data_dir, tmp_path, capsys, monkeypatch
):
    full_disk(monkeypatch, data_dir / "raw")
    args = ["import-file", str(handmade_file(tmp_path)), "--table", "kartverket/handlaget"]
    assert main([*args, "--source", "håndlaget"]) == 1
    folder = data_dir / "raw" / "kartverket" / "handlaget"
    assert one_line_error(capsys, "import-file") == (
        f"mipr import-file: disken er full: {folder} kunne ikke skrives. Frigjør plass eller "
        "bruk en annen mappe (MIPR_DATA_DIR, MIPR_REPORTS_DIR) og kjør kommandoen igjen."
    )
    assert files(data_dir / "raw") == {}
    assert not (data_dir / ".mipr.lock.json").exists()


def test_an_import_into_a_data_folder_without_access_says_where(
    data_dir, tmp_path, capsys, monkeypatch
):
    read_only(monkeypatch, data_dir, errno.EACCES)
    args = ["import-file", str(handmade_file(tmp_path)), "--table", "kartverket/handlaget"]
    assert main([*args, "--source", "håndlaget"]) == 1
    assert one_line_error(capsys, "import-file") == (
        f"mipr import-file: ingen tilgang til {data_dir / '.mipr.lock'}: brukeren din har ikke "
        "rettighetene som trengs. Gi tilgang (f.eks. `chmod u+w` på mappen) eller bruk en "
        "annen mappe (MIPR_DATA_DIR, MIPR_REPORTS_DIR) og kjør kommandoen igjen."
    )
    assert files(data_dir) == {}


@pytest.fixture
def built(data_dir):
    import shutil

    from mipr_analysis import config

    shutil.copytree(config.REPO_ROOT / "data" / "raw" / "manual", data_dir / "raw" / "manual")
    assert main(["build"]) == 0
    return data_dir


def test_a_build_on_a_full_disk_keeps_the_tables_it_had(built, capsys, monkeypatch):
    processed = built / "processed"
    before = files(processed)
    assert "manifest.json" in before
    capsys.readouterr()
    full_disk(monkeypatch, processed)
    assert main(["build"]) == 1
    err = one_line_error(capsys, "build")
    assert err.startswith(f"mipr build: disken er full: {processed}{os.sep}")
    assert files(processed) == before  # the old set, whole; no temporary file


def test_writing_a_set_of_files_changes_none_when_one_fails(tmp_path, monkeypatch):
    (tmp_path / "a.csv").write_text("gammel a", encoding="utf-8")
    (tmp_path / "b.csv").write_text("gammel b", encoding="utf-8")
    real_fsync, synced = os.fsync, []

    def fsync(fd: int) -> None:
        synced.append(fd)
        if len(synced) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError) as caught:
        atomic.atomic_write_many({tmp_path / "a.csv": b"ny a", tmp_path / "b.csv": b"ny b"})
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == str(tmp_path / "b.csv")
    assert files(tmp_path) == {"a.csv": b"gammel a", "b.csv": b"gammel b"}


# --------------------------------------------------------------------------------------------
# The report


def pages(fixtures: Path) -> list[Job]:
    hello = fixtures / "batch_hello.ipynb"
    return [
        Job(hello, {"region": r}, f"side_{r}", f"Side {r}", "Mål 1", i)
        for i, r in enumerate(("0104", "3103", "3216"))
    ]


@pytest.fixture
def handmade_report(monkeypatch, fixtures, tmp_path):
    """`mipr report` on hand-made pages, without a data build (the data here is hand-made)."""
    from mipr_analysis.report import plan, runner

    real_run_batch = runner.run_batch
    monkeypatch.setattr(plan, "plan_jobs", lambda: pages(fixtures))
    monkeypatch.setattr(
        runner, "run_batch", lambda jobs, **kw: real_run_batch(jobs, **{**kw, "prepare": None})
    )
    reports = tmp_path / "reports"
    monkeypatch.setenv("MIPR_REPORTS_DIR", str(reports))
    return reports


@pytest.mark.slow
def test_a_report_on_a_full_disk_stops_with_the_path_and_keeps_no_half_page(
    data_dir, handmade_report, capsys, monkeypatch
):
    reports = handmade_report
    full_disk(monkeypatch, reports / "html")
    assert main(["report", "--no-progress", "--workers", "1"]) == 1
    err = one_line_error(capsys, "report")
    assert err.startswith(f"mipr report: disken er full: {reports / 'html'}{os.sep}side_")
    assert err.endswith(
        ".html kunne ikke skrives. Frigjør plass eller bruk en annen mappe "
        "(MIPR_DATA_DIR, MIPR_REPORTS_DIR) og kjør kommandoen igjen."
    )
    assert files(reports / "html") == {}
    hidden = sorted(p.name for p in reports.rglob(".*") if p.is_file())
    assert hidden == [".batch-state.json", ".mipr.lock"]  # no temporary or partial file
    state, _ = cache.load_state(reports)
    assert state["jobs"] == {}  # no page is taken as made


def test_a_read_only_reports_folder_is_one_line(data_dir, handmade_report, capsys, monkeypatch):
    reports = handmade_report
    reports.mkdir()
    read_only(monkeypatch, reports)
    assert main(["report", "--no-progress"]) == 1
    assert one_line_error(capsys, "report") == (
        f"mipr report: {reports / '.mipr.lock'} kan ikke skrives: filsystemet er "
        "skrivebeskyttet. Bruk en mappe du kan skrive i (MIPR_DATA_DIR, MIPR_REPORTS_DIR) og "
        "kjør kommandoen igjen."
    )
    assert not (data_dir / ".mipr.lock.json").exists()  # the data folder's lock was given back


@pytest.mark.slow
def test_a_batch_stopped_by_a_full_disk_leaves_the_pages_it_had(
    data_dir, tmp_path, fixtures, monkeypatch
):
    reports = tmp_path / "reports"
    jobs = pages(fixtures)
    assert run_batch(jobs, reports_dir=reports, workers=1, progress=False).ok
    before = files(reports / "html")
    with monkeypatch.context() as patched:
        full_disk(patched, reports / "html")
        with pytest.raises(OSError) as caught:
            run_batch(jobs, reports_dir=reports, workers=1, force=True, progress=False)
    assert caught.value.errno == errno.ENOSPC
    assert files(reports / "html") == before
    assert not [p for p in reports.rglob("*") if p.name.endswith((".tmp", ".partial.ipynb"))]


# --------------------------------------------------------------------------------------------
# The output's reader went away, and the messages


@pytest.mark.parametrize("command", ["list", "status"])
def test_a_closed_output_pipe_ends_quietly(data_dir, command):
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head -1` that has already read its line
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mipr_analysis.cli", command],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "MIPR_OFFLINE": "1"},
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == EXIT_OUTPUT_CLOSED


@pytest.mark.parametrize(
    ("code", "start"),
    [
        (errno.ENOSPC, "disken er full: /d/x.csv kunne ikke skrives. Frigjør plass"),
        (errno.EDQUOT, "diskkvoten din er brukt opp: /d/x.csv kunne ikke skrives."),
        (errno.EROFS, "/d/x.csv kan ikke skrives: filsystemet er skrivebeskyttet."),
        (errno.EACCES, "ingen tilgang til /d/x.csv: brukeren din har ikke rettighetene"),
        (errno.EPERM, "ingen tilgang til /d/x.csv: brukeren din har ikke rettighetene"),
        (errno.ENOENT, "/d/x.csv finnes ikke. Sjekk stien"),
        (errno.EIO, "operativsystemet stoppet kommandoen ved /d/x.csv: Input/output error (EIO)"),
    ],
)
def test_each_os_error_names_the_path_and_what_to_do(code, start):
    text = os_error_text(OSError(code, os.strerror(code), "/d/x.csv"))
    assert text.startswith(start)
    assert "kjør kommandoen igjen" in text or "Sjekk stien" in text
