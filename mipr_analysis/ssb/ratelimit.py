"""A sliding-window rate limiter, one per SSB base URL, shared by every client in the process
and, through a call log under a file lock, by every process on the machine.

SSB allows 30 calls per 60 s per IP address (`/config`: `maxCallsPerTimeWindow`, `timeWindow`):
two `mipr fetch` runs one after the other share that quota, so the limiter's memory must outlive
the process. The client acquires the limiter before every HTTP attempt, retries included. A
margin is added to the window because the server counts arrivals, a little after we count sends.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

from mipr_analysis.atomic import atomic_write_text
from mipr_analysis.hashing import sha256_bytes

DEFAULT_MAX_CALLS = 30
DEFAULT_WINDOW = 60.0


class RateLimiter:
    """At most `max_calls` acquisitions in any window of `window` seconds (thread-safe)."""

    def __init__(
        self,
        max_calls: int = DEFAULT_MAX_CALLS,
        window: float = DEFAULT_WINDOW,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        state_file: Path | None = None,
        margin: float = 0.0,
    ) -> None:
        """`state_file`: a JSON call log shared with other processes (then `clock` must be wall
        time, `time.time`). `margin`: seconds added to the window before a slot counts as free."""
        if max_calls < 1 or window <= 0:
            raise ValueError(
                f"en rategrense trenger minst 1 kall per vindu på over 0 s, ikke {max_calls}/{window}"
            )
        self.max_calls = max_calls
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()
        self.state_file = state_file
        self.margin = margin

    def acquire(self, on_wait: Callable[[float], None] | None = None) -> float:
        """Block until a call is allowed, then record it; the seconds spent waiting.

        `on_wait(seconds)` is called before each sleep (so a caller can tell the user)."""
        waited = 0.0
        with self._lock:  # held while sleeping: waiters queue up in order
            while True:
                with self._log() as calls:
                    now = self._clock()
                    span = self.window + self.margin
                    while calls and calls[0] <= now - span:
                        calls.popleft()
                    if len(calls) < self.max_calls:
                        calls.append(now)
                        return waited
                    wait = calls[0] + span - now
                if on_wait is not None:
                    on_wait(wait)
                self._sleep(wait)
                waited += wait

    @contextmanager
    def _log(self) -> Iterator[deque[float]]:
        """The call times: this process's, or the shared file's under its lock (written back)."""
        if self.state_file is None:
            yield self._calls
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.state_file) + ".lock"):
            try:
                calls = deque(sorted(json.loads(self.state_file.read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError):
                calls = deque()  # missing or unreadable: start a new log
            yield calls
            atomic_write_text(self.state_file, json.dumps(list(calls)))

    def tighten(self, max_calls: int | None = None, window: float | None = None) -> None:
        """Adopt a server's limits where they are stricter (fewer calls, longer window)."""
        with self._lock:
            if max_calls is not None and 0 < max_calls < self.max_calls:
                self.max_calls = int(max_calls)
            if window is not None and window > self.window:
                self.window = float(window)


_LIMITERS: dict[str, RateLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def limiter_for(base_url: str) -> RateLimiter:
    """The limiter for `base_url`: SSB's defaults, shared by this machine's processes through a
    call log in `config.cache_dir()`, with a one-second margin."""
    from mipr_analysis import config

    key = base_url.rstrip("/")
    with _REGISTRY_LOCK:
        if key not in _LIMITERS:
            name = sha256_bytes(key.encode())[:16]
            _LIMITERS[key] = RateLimiter(
                clock=time.time,
                margin=1.0,
                state_file=config.cache_dir() / f"ssb-calls-{name}.json",
            )
        return _LIMITERS[key]


def set_limiter(base_url: str, limiter: RateLimiter) -> None:
    """Use `limiter` for `base_url` from now on (tests and benchmarks use short windows)."""
    with _REGISTRY_LOCK:
        _LIMITERS[base_url.rstrip("/")] = limiter
