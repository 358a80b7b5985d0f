"""Stopping a report batch: Ctrl-C, a second Ctrl-C, SIGTERM, and a second command on the same
data folder. The batch runs in a child process on hand-made notebooks (fixtures/batch_hello),
and the test sends it signals as a user or a service manager would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from mipr_analysis.cli import main
from mipr_analysis.locking import data_lock
from mipr_analysis.report import cache
from tests.support.process_support import as_from_a_terminal

pytestmark = pytest.mark.slow

DRIVER = textwrap.dedent("""
    import json
    import sys
    from pathlib import Path
    from mipr_analysis.report.jobs import Job
    from mipr_analysis.report.runner import run_batch

    fixtures, reports = Path(sys.argv[1]), Path(sys.argv[2])
    jobs = [Job(fixtures / "batch_hello.ipynb", {"region": "3103", "pause": 0.0}, "rask",
                "Rask", "G", 0)]
    jobs += [Job(fixtures / "batch_hello.ipynb", {"region": "3216", "pause": 60.0}, f"treg{i}",
                 f"Treg {i}", "G", i + 1) for i in range(4)]
    result = run_batch(jobs, reports_dir=reports, workers=2, progress=False)
    print("STATUS", json.dumps({r.name: r.status for r in result.results}), flush=True)
    sys.exit(130 if result.interrupted else 0)
""")


def start(tmp_path: Path, fixtures: Path) -> subprocess.Popen:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER, encoding="utf-8")
    env = {**os.environ, "MIPR_DATA_DIR": str(tmp_path / "data")}
    return subprocess.Popen(
        [sys.executable, str(script), str(fixtures), str(tmp_path / "r")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=as_from_a_terminal,
    )


def wait_until_running(proc: subprocess.Popen, reports: Path, timeout: float = 90) -> None:
    """Until the quick page is done and the slow pages have started on their kernels."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state, _ = cache.load_state(reports)
        jobs = state["jobs"]
        if jobs.get("rask", {}).get("status") == "ok" and sum(
            1 for n, j in jobs.items() if n.startswith("treg") and j["status"] == "running"
        ):
            time.sleep(1.0)  # let the slow cells begin
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    raise AssertionError("the batch did not start its pages in time")


def kernels_of(pid: int) -> list[psutil.Process]:
    try:
        return [
            p
            for p in psutil.Process(pid).children(recursive=True)
            if "ipykernel" in " ".join(p.cmdline())
        ]
    except psutil.NoSuchProcess:
        return []


def gone(processes: list[psutil.Process], timeout: float = 15) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return not alive


def test_one_ctrl_c_stops_promptly_and_keeps_what_finished(tmp_path, fixtures):
    proc = start(tmp_path, fixtures)
    wait_until_running(proc, tmp_path / "r")
    kernels = kernels_of(proc.pid)
    assert kernels
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)  # a hang guard; the statuses say it stopped
    assert proc.returncode == 130, err
    statuses = json.loads(out.split("STATUS", 1)[1])
    assert statuses["rask"] == "ran"
    assert all(statuses[f"treg{i}"] == "interrupted" for i in range(4)), statuses
    assert gone(kernels)
    state, _ = cache.load_state(tmp_path / "r")
    assert state["jobs"]["rask"]["status"] == "ok"
    assert not any(n.startswith("treg") for n in state["jobs"])  # never taken as up to date
    assert not (tmp_path / "r" / "executed" / "treg0.ipynb").exists()


def test_a_second_ctrl_c_never_hangs(tmp_path, fixtures):
    proc = start(tmp_path, fixtures)
    wait_until_running(proc, tmp_path / "r")
    kernels = kernels_of(proc.pid)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode in (130, -signal.SIGINT)
    assert gone(kernels)


def test_sigterm_ends_the_workers(tmp_path, fixtures):
    proc = start(tmp_path, fixtures)
    wait_until_running(proc, tmp_path / "r")
    kernels = kernels_of(proc.pid)
    assert kernels
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert gone(kernels)


def test_kill_of_the_parent_leaves_no_kernel_behind(tmp_path, fixtures):
    proc = start(tmp_path, fixtures)
    wait_until_running(proc, tmp_path / "r")
    kernels = kernels_of(proc.pid)
    assert kernels
    proc.kill()  # SIGKILL: no handler runs; the kernels notice that their parent is gone
    proc.communicate(timeout=30)
    assert gone(kernels, timeout=30)
    state, _ = cache.load_state(tmp_path / "r")
    assert all(j["status"] != "ok" for n, j in state["jobs"].items() if n.startswith("treg"))


def test_a_second_command_on_the_same_data_folder_is_refused(data_dir, capsys):
    with data_lock("report"):
        assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mipr build: ") and err.count("\n") == 1
    assert "brukes nå av mipr report" in err and "Vent til den er ferdig" in err
    holder = data_dir / ".mipr.lock.json"
    assert not holder.exists()  # the lock's note goes with the lock
