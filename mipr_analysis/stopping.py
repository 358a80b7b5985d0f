"""Stopping a command the way a user expects: SIGTERM (a service manager, `kill`) and SIGHUP
(the terminal was closed) stop it like Ctrl-C.

Python ends a process on SIGTERM or SIGHUP at once, without running `finally` blocks, so the
processes it started (the data build's child, kernels) and its temporary files stayed behind.
Turned into `KeyboardInterrupt`, they take the same clean way out as Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def leave_terminal(signum: int) -> None:
    """After SIGHUP the terminal is gone: what is printed from now on goes nowhere instead of
    failing (a write to a closed terminal raises)."""
    if signum != signal.SIGHUP:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in (1, 2):
            os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _interrupt(signum: int, frame: object) -> None:
    leave_terminal(signum)
    raise KeyboardInterrupt


@contextmanager
def stop_like_ctrl_c(handler: Callable[[int, Any], None] = _interrupt) -> Iterator[None]:
    """While the block runs, Ctrl-C, SIGTERM and SIGHUP call `handler` (by default: raise
    `KeyboardInterrupt`); the handlers before are put back after. A signal that is ignored
    stays ignored (`nohup` ignores SIGHUP). Outside the main thread (where Python allows no
    signal handlers) the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    for s, previous in saved.items():
        if previous != signal.SIG_IGN:
            signal.signal(s, handler)
    try:
        yield
    finally:
        for s, previous in saved.items():
            signal.signal(s, previous)
