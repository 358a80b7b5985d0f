"""`mipr report` in a process of its own for the process tests, with its data build swapped for
a step that waits until it is stopped (`stop_steps.py`): the tests then know that the build's
child runs and the kernels are warm when they act."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from mipr_analysis.report.kernels import FOLDER_PREFIX
from tests.support.paths import REPO

DRIVER = textwrap.dedent(f"""
    import sys
    sys.path.insert(0, {str(REPO)!r})  # tests.support.stop_steps
    from mipr_analysis import cli
    from mipr_analysis.report import runner

    real_run_batch = runner.run_batch

    def run_batch(jobs, **kwargs):  # the real batch, with a build that waits to be stopped
        return real_run_batch(jobs, **{{**kwargs, "prepare": "tests.support.stop_steps:build_that_waits"}})

    if __name__ == "__main__":  # (the spawned child imports this file too)
        runner.run_batch = run_batch
        sys.exit(cli.main(sys.argv[1:]))
""")


def as_from_a_terminal() -> None:
    """`preexec_fn` for a child the test stops with signals: the stop signals at their defaults,
    as in a shell on a terminal. A test run started in the background (`make test &`, nohup, CI
    without job control) ignores SIGINT or SIGHUP, and `mipr` leaves an ignored signal ignored
    (`stopping.py`), so without this the child would not stop and the test would fail."""
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Report:
    """`mipr report` (with the waiting build) in a process group of its own."""

    def __init__(self, tmp_path: Path) -> None:
        self.step_pid_file = tmp_path / "step.pid"
        self.kernels_log = tmp_path / "reports" / "executed" / "kernels.log"
        script = tmp_path / "driver.py"
        script.write_text(DRIVER, encoding="utf-8")
        env = {
            **os.environ,
            "MIPR_DATA_DIR": str(tmp_path / "data"),
            "MIPR_REPORTS_DIR": str(tmp_path / "reports"),
            "MIPR_OFFLINE": "1",
            "MIPR_TEST_STEP_PID": str(self.step_pid_file),
        }
        self.env = env
        self.proc = subprocess.Popen(
            [sys.executable, str(script), "report", "--workers", "2", "--no-progress"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
            preexec_fn=as_from_a_terminal,
        )

    def wait_until_building_with_warm_kernels(self) -> list[psutil.Process]:
        """Until the build's child runs and both kernels are ready; every process it started."""

        def ready() -> bool:
            assert self.proc.poll() is None, self.proc.communicate()
            log = self.kernels_log.read_text("utf-8") if self.kernels_log.is_file() else ""
            return self.step_pid_file.is_file() and log.count("klar etter") == 2

        wait_for(ready, "the build's child and two warm kernels")
        started = psutil.Process(self.proc.pid).children(recursive=True)
        commands = [" ".join(p.cmdline()) for p in started]
        assert int(self.step_pid_file.read_text()) in {p.pid for p in started}
        assert any("resource_tracker" in c for c in commands), commands
        assert sum("ipykernel" in c for c in commands) == 2, commands
        return started

    def left_behind(self) -> list[psutil.Process]:
        """Processes still running in the report's process group, or kernels it started."""
        left = []
        for p in psutil.process_iter(["pid", "cmdline"]):
            try:
                if p.pid == self.proc.pid or p.status() == psutil.STATUS_ZOMBIE:
                    continue
                cmdline = " ".join(p.info["cmdline"] or [])
                if (
                    os.getpgid(p.pid) == self.proc.pid
                    or f"{FOLDER_PREFIX}{self.proc.pid}-" in cmdline
                ):
                    left.append(p)
            except (psutil.NoSuchProcess, ProcessLookupError):
                continue
        return left
