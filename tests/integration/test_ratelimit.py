"""The rate limiter's call log is shared between processes: SSB counts calls per IP address."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from mipr_analysis.ssb.ratelimit import RateLimiter


def test_two_limiters_on_one_log_share_the_quota(tmp_path):
    now = [1000.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    log = tmp_path / "calls.json"
    first = RateLimiter(2, 10.0, clock=lambda: now[0], sleep=sleep, state_file=log, margin=0.5)
    second = RateLimiter(2, 10.0, clock=lambda: now[0], sleep=sleep, state_file=log, margin=0.5)
    first.acquire()
    first.acquire()
    assert slept == []
    second.acquire()  # the log is full: waits for the oldest call plus window and margin
    assert slept == [10.5]


def test_another_process_uses_up_the_window(tmp_path):
    """Another process made two calls at t = 1000 s; this one, at 1000.5 s, must wait for the
    first of them to leave the 1.5 s window (clocks fixed, so no test waits on real time)."""
    log = tmp_path / "calls.json"
    script = (
        "from pathlib import Path; "
        "from mipr_analysis.ssb.ratelimit import RateLimiter; "
        f"r = RateLimiter(2, 1.5, clock=lambda: 1000.0, state_file=Path({str(log)!r})); "
        "r.acquire(); r.acquire()"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    assert json.loads(log.read_text(encoding="utf-8")) == [1000.0, 1000.0]
    now = [1000.5]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    mine = RateLimiter(2, 1.5, clock=lambda: now[0], sleep=sleep, state_file=log)
    mine.acquire()
    assert slept == [pytest.approx(1.0)]  # until 1001.5, when the first call leaves the window


def test_an_unreadable_log_starts_afresh(tmp_path):
    log = tmp_path / "calls.json"
    log.write_text("not json", encoding="utf-8")
    limiter = RateLimiter(1, 60.0, clock=time.time, sleep=lambda s: None, state_file=log)
    limiter.acquire()
    assert len(log.read_text(encoding="utf-8").strip("[]").split(",")) == 1
