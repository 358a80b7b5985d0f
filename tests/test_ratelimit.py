"""The rate limiter's call log is shared between processes: SSB counts calls per IP address."""

from __future__ import annotations

import json
import subprocess
import sys
import time

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
    log = tmp_path / "calls.json"
    script = (
        "import time; from pathlib import Path; "
        "from mipr_analysis.ssb.ratelimit import RateLimiter; "
        f"r = RateLimiter(2, 1.5, clock=time.time, state_file=Path({str(log)!r})); "
        "r.acquire(); r.acquire()"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    first_call = min(json.loads(log.read_text(encoding="utf-8")))
    mine = RateLimiter(2, 1.5, clock=time.time, state_file=log)
    mine.acquire()
    # not before the other process's first call has aged out of the window
    assert time.time() >= first_call + 1.5


def test_an_unreadable_log_starts_afresh(tmp_path):
    log = tmp_path / "calls.json"
    log.write_text("not json", encoding="utf-8")
    limiter = RateLimiter(1, 60.0, clock=time.time, sleep=lambda s: None, state_file=log)
    limiter.acquire()
    assert len(log.read_text(encoding="utf-8").strip("[]").split(",")) == 1
