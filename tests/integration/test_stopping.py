"""SIGTERM, a closed terminal (SIGHUP), Ctrl-C and SIGKILL end every process `mipr report`
started: the data build's child, multiprocessing's resource tracker and the kernels.

`mipr report` runs in a process group of its own, with its data build swapped for a step that
waits until it is stopped (`stop_steps.py`), so the test knows that the build's child is
running when the signal comes. The test waits on conditions, with generous time limits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from mipr_analysis.report.kernels import FOLDER_PREFIX
from tests.support.paths import FIXTURES, REPO
from tests.support.process_support import Report, as_from_a_terminal, wait_for

pytestmark = pytest.mark.slow


def assert_all_ended(report: Report, started: list[psutil.Process]) -> None:
    _, alive = psutil.wait_procs(started, timeout=60)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]
    wait_for(lambda: not report.left_behind(), "the report's processes to end", timeout=60)
    folders = list(Path("/tmp").glob(f"{FOLDER_PREFIX}{report.proc.pid}-*"))
    assert not folders


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(lambda p: p.send_signal(signal.SIGTERM), id="SIGTERM"),
        pytest.param(lambda p: p.send_signal(signal.SIGHUP), id="SIGHUP"),
        pytest.param(lambda p: os.killpg(p.pid, signal.SIGINT), id="Ctrl-C"),
    ],
)
def test_a_stopped_report_ends_every_process_it_started(tmp_path, send, request):
    report = Report(tmp_path)
    started = report.wait_until_building_with_warm_kernels()
    send(report.proc)
    out, err = report.proc.communicate(timeout=120)
    assert report.proc.returncode == 130, err
    assert_all_ended(report, started)
    if request.node.callspec.id != "SIGHUP":  # after SIGHUP, the terminal is gone
        assert err.splitlines()[-1] == "mipr report: avbrutt."


def test_a_killed_report_leaves_no_process_behind(tmp_path):
    report = Report(tmp_path)
    started = report.wait_until_building_with_warm_kernels()
    report.proc.kill()  # SIGKILL: nothing runs in the report; its children notice
    report.proc.communicate(timeout=60)
    _, alive = psutil.wait_procs(started, timeout=60)
    assert not alive, [(p.pid, p.cmdline()) for p in alive]
    wait_for(lambda: not report.left_behind(), "the report's processes to end", timeout=60)


def test_a_build_whose_parent_was_killed_stops_and_leaves_no_temporary_file(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(
        textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(REPO)!r})  # tests.support.stop_steps
            from mipr_analysis.report.isolation import FreshProcess

            if __name__ == "__main__":
                with FreshProcess() as child:
                    child.run("tests.support.stop_steps:write_until_stopped", sys.argv[1], sys.argv[2])
        """),
        encoding="utf-8",
    )
    folder, pid_file = tmp_path / "processed", tmp_path / "step.pid"
    folder.mkdir()
    proc = subprocess.Popen([sys.executable, str(script), str(folder), str(pid_file)])
    wait_for(lambda: (folder / "tabell.csv").is_file(), "the first write")
    step = psutil.Process(int(pid_file.read_text()))
    proc.kill()
    proc.wait(timeout=60)
    step.wait(timeout=60)  # it noticed that its parent is gone
    assert [p.name for p in folder.iterdir()] == ["tabell.csv"]


def test_a_build_process_that_dies_is_an_error_not_a_hang():
    from mipr_analysis.errors import MiprError
    from mipr_analysis.report.isolation import FreshProcess

    with FreshProcess() as child, pytest.raises(MiprError) as caught:
        child.run("tests.support.stop_steps:die")
    assert "kjørte tests.support.stop_steps:die" in str(caught.value)
    assert "stoppet uventet (kode 7)" in str(caught.value)


PDF_DRIVER = textwrap.dedent(f"""
    import sys
    from pathlib import Path
    from mipr_analysis import cli
    from mipr_analysis.report import plan
    from mipr_analysis.report.jobs import Job

    def handmade_plan():
        hello = Path({str(FIXTURES / "batch_hello.ipynb")!r})
        front = Path({str(FIXTURES / "batch_front.ipynb")!r})
        return [Job(hello, {{"region": "3103"}}, f"side{{i}}", f"Side {{i}}", "G", i)
                for i in range(8)] + [Job(front, {{}}, "forside", "Forside", "Forside",
                                          all_indicators=True, front=True)]

    if __name__ == "__main__":
        plan.plan_jobs = handmade_plan
        sys.exit(cli.main(["pdf"]))
""")


@pytest.mark.browser
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stopped_pdf_ends_its_browser_and_writes_nothing(data_dir, tmp_path, signum):
    from mipr_analysis.report.jobs import Job
    from mipr_analysis.report.runner import run_batch
    from tests.support.browser_support import require_chromium

    require_chromium()
    reports = tmp_path / "reports"
    hello = FIXTURES / "batch_hello.ipynb"
    jobs = [Job(hello, {"region": "3103"}, f"side{i}", f"Side {i}", "G", i) for i in range(8)]
    front = FIXTURES / "batch_front.ipynb"
    jobs.append(Job(front, {}, "forside", "Forside", "Forside", all_indicators=True, front=True))
    assert run_batch(jobs, reports_dir=reports, workers=2, progress=False).ok
    script = tmp_path / "pdf_driver.py"
    script.write_text(PDF_DRIVER, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        env={**os.environ, "MIPR_REPORTS_DIR": str(reports)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_from_a_terminal,
    )

    def printing() -> list[psutil.Process]:
        assert proc.poll() is None, proc.communicate()
        started = psutil.Process(proc.pid).children(recursive=True)
        return started if any("chrom" in p.name() for p in started) else []

    wait_for(printing, "Chromium to print")
    started = printing()
    proc.send_signal(signum)
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    _, alive = psutil.wait_procs(started, timeout=60)
    assert not alive, [(p.pid, p.name()) for p in alive]
    assert not list(reports.glob("*.pdf")) and not list(reports.glob(".*.tmp"))
