"""Shared helpers for the benchmarks: measure a command's process tree, summary lines, machine.

`measure` runs commands one after another and reports wall time, CPU time (user + system of
every child that was waited for, kernels and workers included, via RUSAGE_CHILDREN) and the
peak of the summed RSS of the whole process tree, sampled with psutil. The summed RSS counts
pages shared between forked processes (the batch's workers share the parent's pages) more than
once, so it is an upper bound; the peak summed PSS (each shared page split between the processes
that share it) is measured alongside as the tree's real footprint.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
MB = 1024 * 1024


@dataclass
class Measurement:
    wall: float
    cpu: float
    peak_rss: int  # bytes, summed over the process tree
    peak_pss: int  # bytes, summed over the process tree
    output: str = ""  # stdout + stderr of the last command


def _tree_memory(proc: psutil.Process) -> tuple[int, int]:
    """(summed RSS, summed PSS) of `proc` and all its descendants."""
    rss = pss = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    for p in procs:
        try:
            info = p.memory_full_info()
        except psutil.Error:
            continue
        rss, pss = rss + info.rss, pss + info.pss
    return rss, pss


def measure(
    commands: Sequence[Sequence[str]],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    interval: float = 0.05,
) -> Measurement:
    """Run `commands` in sequence (each must succeed); wall, CPU and peak tree RSS of all."""
    full_env = {**os.environ, **(env or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = peak_pss = 0
    t0 = time.perf_counter()
    for cmd in commands:
        proc = psutil.Popen(
            list(cmd), env=full_env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        out: list[bytes] = []
        reader = threading.Thread(target=lambda p=proc, o=out: o.append(p.stdout.read()))
        reader.start()
        while proc.poll() is None:
            rss, pss = _tree_memory(proc)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            time.sleep(interval)
        reader.join()
        if proc.returncode != 0:
            text = b"".join(out).decode(errors="replace")[-3000:]
            raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{text}")
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measurement(wall, cpu, peak, peak_pss, b"".join(out).decode(errors="replace"))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def line(name: str, value: str, target: str, met: bool | None) -> str:
    """One summary line: name, value, target, met/missed (or 'info' when there is no target)."""
    verdict = "info" if met is None else ("met" if met else "MISSED")
    return f"{name:<44} {value:>22}   target: {target:<22} {verdict}"


def machine() -> str:
    """cores, memory, load, Python, pandas: the context every result needs."""
    import pandas

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    mem = psutil.virtual_memory().total / 1024**3
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}  nproc={os.cpu_count()}  mem={mem:.1f} GB  "
        f"load(1/5/15 min)={load}  Python {platform.python_version()}  "
        f"pandas {pandas.__version__}"
    )
