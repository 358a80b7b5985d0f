"""A sliding-window rate limiter, one per SSB base URL, shared by every client in the process.

SSB allows 30 calls per 60 s per IP address (`/config`: `maxCallsPerTimeWindow`, `timeWindow`).
The client acquires the limiter before every HTTP attempt, retries included.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

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
    ) -> None:
        if max_calls < 1 or window <= 0:
            raise ValueError(f"a rate limit needs >= 1 call per window > 0 s: {max_calls}/{window}")
        self.max_calls = max_calls
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until a call is allowed, then record it."""
        with self._lock:  # held while sleeping: waiters queue up in order
            while True:
                now = self._clock()
                while self._calls and self._calls[0] <= now - self.window:
                    self._calls.popleft()
                if len(self._calls) < self.max_calls:
                    self._calls.append(now)
                    return
                self._sleep(self._calls[0] + self.window - now)

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
    """The process-wide limiter for `base_url` (created with SSB's defaults on first use)."""
    key = base_url.rstrip("/")
    with _REGISTRY_LOCK:
        if key not in _LIMITERS:
            _LIMITERS[key] = RateLimiter()
        return _LIMITERS[key]


def set_limiter(base_url: str, limiter: RateLimiter) -> None:
    """Use `limiter` for `base_url` from now on (tests and benchmarks use short windows)."""
    with _REGISTRY_LOCK:
        _LIMITERS[base_url.rstrip("/")] = limiter
