"""Run memory-heavy steps in a fresh Python process.

The data build reads every stored table into pandas; run in the batch's parent, those frames
(and pandas itself) would stay in its memory while the kernels run the pages. In a child
process (started with "spawn": the parent has threads) the memory is given back when the
process ends. Steps that follow each other (the build, then the change record) share one
child, which imports pandas once. Steps are run for what they write; their return value stays
in the child. Exceptions come back as they were raised (type and message).

The child never outlives its command: a parent that stops while a step runs (Ctrl-C, SIGTERM,
a closed terminal) ends the child, which stops like on Ctrl-C (its writes remove their
temporary files); a parent that is killed outright is noticed by the child, which then ends
the same way.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import Connection, wait
from typing import Any

from mipr_analysis.errors import MiprError

STOP_SECONDS = 10
"""How long a child that was told to stop may take before it is killed."""


class FreshProcess:
    """One fresh Python process for a few steps in a row: started by the first step, ended
    with the `with` block (at once, if a step is still running)."""

    def __init__(self) -> None:
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._busy = False

    def run(self, target: str, *args: Any) -> None:
        """Run `module.function(*args)` (`target` "module:function") in the child."""
        if self._process is None:
            context = multiprocessing.get_context("spawn")
            self._conn, child_end = context.Pipe()
            self._process = context.Process(target=_serve, args=(child_end,), daemon=True)
            self._process.start()
            child_end.close()  # the child's end lives in the child only: its death is EOF here
        assert self._conn is not None
        self._busy = True
        self._conn.send((target, args))
        wait([self._conn, self._process.sentinel])
        try:
            ok, value = self._conn.recv()
        except EOFError:
            self._process.join(STOP_SECONDS)
            code = self._process.exitcode
            raise MiprError(
                f"hjelpeprosessen som kjørte {target} (prosess {self._process.pid}) stoppet "
                f"uventet (kode {code}). Kjør kommandoen igjen; skjer det igjen, sjekk om "
                "maskinen har nok minne"
            ) from None
        self._busy = False
        if not ok:
            raise value

    def __enter__(self) -> FreshProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the child: when it is idle, by asking; while a step runs (the parent was
        stopped), by SIGTERM, and by SIGKILL if it has not ended within `STOP_SECONDS`."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is None or conn is None:
            return
        if not self._busy:
            with contextlib.suppress(OSError):  # already gone
                conn.send(None)
            process.join(STOP_SECONDS)
        if process.is_alive():
            process.terminate()
            process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
        conn.close()
        self._busy = False


# --------------------------------------------------------------------------------------------
# In the child


def _serve(conn: Connection) -> None:
    """The child's loop: run each step sent, send back (True, None) or (False, exception)."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    _end_with_parent()
    try:
        while True:
            try:
                request = conn.recv()
            except EOFError:
                return
            if request is None:
                return
            target, args = request
            try:
                _call(target, *args)
                reply: tuple[bool, BaseException | None] = (True, None)
            except Exception as exc:
                reply = (False, exc)
            try:
                conn.send(reply)
            except OSError:  # the parent is gone
                return
            except Exception:  # an exception that cannot be pickled: its type and message
                error = reply[1]
                conn.send((False, RuntimeError(f"{type(error).__name__}: {error}")))
    except KeyboardInterrupt:  # stopped: what the step wrote has cleaned up after itself
        raise SystemExit(128 + signal.SIGTERM) from None


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _end_with_parent() -> None:
    """A thread that stops this process like on SIGTERM when the parent is gone (killed
    outright: nothing told the child), and ends it outright if that does not work in time."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os.kill(os.getpid(), signal.SIGTERM)
        threading.Event().wait(STOP_SECONDS)
        os._exit(128 + signal.SIGKILL)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _call(target: str, *args: Any) -> None:
    module, _, name = target.partition(":")
    getattr(importlib.import_module(module), name)(*args)
