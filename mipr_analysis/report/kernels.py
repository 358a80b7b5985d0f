"""Warm Jupyter kernels for the batch, and the papermill engine that runs a page on one.

A fresh kernel spends about two seconds importing pandas, matplotlib and seaborn before a page
can do anything; a page's own work takes a tenth of that. So the batch starts its kernels
before it needs them, imports the heavy libraries once (`WARM_UP`), and runs page after page
on the same kernel. Each page is still an ordinary, separately executed papermill notebook in
a clean namespace: before every page the kernel's user namespace, execution count and figures
are reset (`RESET`); only imported modules stay in memory. The warm-up ends by moving what it
made into the garbage collector's permanent generation (`gc.freeze`): the reset's collection
then looks only at what the last page made, not at the libraries (0.014 s instead of 0.09 s).

Starting reliably on a loaded machine. The batch's own client asks the kernel manager, not
the heartbeat, whether a starting kernel is alive: a client on its own takes one missed
heartbeat (1 s) for a dead kernel, and a kernel that needs more than a second to start (any
loaded machine) was reported as "Kernel died before replying to kernel_info" while it was
still starting. The kernel talks over Unix domain sockets in a private temporary folder
(`ipc`), not TCP: with TCP, jupyter_client picks five free ports and closes them, and the
kernel binds exactly those with one attempt, so a port taken meanwhile by any other process
killed the kernel at start (and TCP sends code and output unencrypted on the loopback).
`kernels.log` gets a line for every kernel: ready after how long, or how it died and the last
lines it wrote.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from jupyter_client.manager import KernelManager
from jupyter_client.provisioning import LocalProvisioner
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from mipr_analysis.config import OSLO

if TYPE_CHECKING:
    from jupyter_client.asynchronous import AsyncKernelClient

log = logging.getLogger(__name__)

ENGINE_NAME = "mipr-warm"
WARM_UP = """\
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot
import pandas
import seaborn
import mipr_analysis.formatting
import mipr_analysis.indicators.page_data
import mipr_analysis.report.theme
import gc
gc.collect()
gc.freeze()
"""
RESET = """\
import matplotlib as _mpl, matplotlib.pyplot as _plt
_plt.close("all")
_mpl.rcdefaults()
get_ipython().reset(new_session=True, aggressive=False)
"""
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]
"""No input history database: a batch kernel's history is never read, and writing it to
SQLite costs CPU on every cell."""
STARTUP_TIMEOUT = 120
TRANSPORT = "ipc"
SOCKET_PATH_LIMIT = 100
"""Longest Unix socket path used: the system's limit is 107 bytes on Linux, 103 on macOS."""
TAIL_LINES = 15
"""How many of its last output lines a kernel that died at start leaves in `kernels.log`."""


class KernelError(RuntimeError):
    """A warm kernel could not be started or reset."""


class KernelLog:
    """`kernels.log`: one line per kernel start and stop, and what a kernel wrote itself."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, line: str, details: str = "") -> None:
        """`line` with the time in front, then `details` indented under it."""
        stamp = datetime.now(OSLO).strftime("%Y-%m-%d %H:%M:%S")
        text = f"{stamp} {line}\n" + "".join(f"    {d}\n" for d in details.splitlines())
        with self._lock:
            if not self._file.closed:
                self._file.write(text)
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


FOLDER_PREFIX = "mipr-kernel-"


def _folder_base() -> str:
    """Where the kernels' folders go: the temporary folder, or /tmp when its path is long."""
    base = tempfile.gettempdir()
    return "/tmp" if len(base) > SOCKET_PATH_LIMIT - 40 and Path("/tmp").is_dir() else base


def _private_folder() -> Path:
    """A new folder that only this user can enter, with a path short enough for the kernel's
    sockets; its name carries this process's id (see `remove_stale_folders`)."""
    base = _folder_base()
    folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-", dir=base))
    if len(str(folder / "k-99999")) > SOCKET_PATH_LIMIT:
        shutil.rmtree(folder, ignore_errors=True)
        raise KernelError(
            f"den midlertidige mappen {base} har for lang sti for kjernens sokler: sett TMPDIR "
            "til en kortere sti (f.eks. /tmp)"
        )
    return folder


def remove_stale_folders() -> None:
    """Remove this user's kernel folders left by a batch process that no longer runs (one
    ended by SIGKILL cannot remove its own)."""
    for folder in Path(_folder_base()).glob(f"{FOLDER_PREFIX}*-*"):
        pid = folder.name[len(FOLDER_PREFIX) :].split("-", 1)[0]
        try:
            if not pid.isdigit() or folder.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # gone meanwhile, or a process of another user: not ours to judge
            continue


def _seconds(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + " s"


class WarmKernel:
    """One running kernel with its client, warmed up and reset between pages."""

    def __init__(self, kernel_name: str, kernel_log: KernelLog | None = None) -> None:
        self.kernel_name = kernel_name
        self._log = kernel_log
        self._page_clients: dict[int, Any] = {}
        self._shutdown_lock = threading.Lock()
        self._shut_down = False
        self.pid: int | None = None
        # The kernel's sockets, connection file and own output, in a folder of its own.
        self.folder = _private_folder()
        self._output = self.folder / "output.log"
        # nbclient asks the manager for an asynchronous client per page (it needs one for its
        # timeouts); warm-up and resets go through this process's own blocking client.
        self.km = KernelManager(
            kernel_name=kernel_name,
            client_class="jupyter_client.asynchronous.AsyncKernelClient",
            transport=TRANSPORT,
            ip=str(self.folder / "k"),
            connection_file=str(self.folder / "kernel.json"),
        )
        started = time.monotonic()
        try:
            with self._output.open("wb") as output:
                self.km.start_kernel(stdout=output, stderr=output, extra_arguments=KERNEL_ARGUMENTS)
            provisioner = self.km.provisioner
            self.pid = provisioner.pid if isinstance(provisioner, LocalProvisioner) else None
            # A client with the manager as parent: "alive" means the process runs (a client on
            # its own would judge by one heartbeat, which a starting kernel can miss).
            self.kc = self.km.blocking_client()
            self.kc.start_channels()
            self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
            ready = time.monotonic() - started
            self.run(WARM_UP)
        except Exception as exc:
            reason, tail = self._why(exc)
            self.shutdown(note=False)
            self._note(f"startet ikke: {reason}", tail)
            raise KernelError(f"kjernen «{kernel_name}» startet ikke: {reason}") from exc
        self._note(
            f"klar etter {_seconds(ready)}, varmet opp etter {_seconds(time.monotonic() - started)}"
        )

    def _note(self, what: str, details: str = "") -> None:
        if self._log is not None:
            self._log.write(
                f"kjerne «{self.kernel_name}» (prosess {self.pid or '?'}, {TRANSPORT}): {what}",
                details,
            )

    def _why(self, exc: Exception) -> tuple[str, str]:
        """Why the start failed, in one line, and the kernel's last output lines."""
        process = getattr(self.km.provisioner, "process", None) if self.km.has_kernel else None
        code = None
        if process is not None:
            try:
                code = process.wait(timeout=5) if "died" in str(exc) else process.poll()
            except Exception:  # still running: it did not answer
                code = process.poll()
        tail = self._tail()
        last = next((ln.strip() for ln in reversed(tail.splitlines()) if ln.strip()), "")
        if code is not None:
            reason = f"prosessen avsluttet med kode {code}" + (f" ({last})" if last else "")
        elif isinstance(exc, KernelError):
            reason = f"oppvarmingen feilet: {exc}"
        elif isinstance(exc, TimeoutError) or "respond" in str(exc):
            reason = f"svarte ikke på {STARTUP_TIMEOUT} s"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        return reason, tail

    def _tail(self) -> str:
        try:
            text = self._output.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-TAIL_LINES:])

    def page_client(self):
        """This thread's asynchronous client for nbclient (made once per thread: a client's
        sockets belong to the event loop of the thread that made it)."""
        from jupyter_core.utils import run_sync

        ident = threading.get_ident()
        if ident not in self._page_clients:
            kc = cast("AsyncKernelClient", self.km.client())  # client_class above: asynchronous
            kc.start_channels()
            run_sync(kc.wait_for_ready)(timeout=STARTUP_TIMEOUT)
            self._page_clients[ident] = kc
        return self._page_clients[ident]

    def run(self, code: str, timeout: float = STARTUP_TIMEOUT) -> None:
        """Execute `code` silently; raise `KernelError` when it fails."""
        reply = self.kc.execute_interactive(
            code, silent=True, store_history=False, timeout=timeout, output_hook=lambda msg: None
        )
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise KernelError(f"{content.get('ename')}: {content.get('evalue')}")

    def reset(self) -> None:
        """A clean namespace for the next page (imports stay loaded)."""
        self.run(RESET, timeout=60)

    @property
    def alive(self) -> bool:
        try:
            return bool(self.km.is_alive())
        except Exception:  # a manager whose process is gone can raise on its own checks
            return False

    def interrupt(self) -> None:
        try:
            self.km.interrupt_kernel()
        except Exception as exc:  # best effort during a stop
            log.debug("interrupt failed: %s", exc)

    def shutdown(self, note: bool = True) -> None:
        """Stop the kernel at once (no waiting for a polite shutdown) and remove its folder.
        Once: a stop can call it from the main thread while the kernel's worker thread does
        too, and two threads closing the same zmq sockets can hang for ever; the second caller
        returns at once."""
        if not self._shutdown_lock.acquire(blocking=False):
            return
        try:
            if not self._shut_down:
                self._shut_down = True
                self._stop()
                if note:
                    output = self._tail() if self._output.is_file() else ""
                    self._note("stoppet" + (", dette skrev den:" if output else ""), output)
                shutil.rmtree(self.folder, ignore_errors=True)
        finally:
            self._shutdown_lock.release()

    def _stop(self) -> None:
        for kc in self._page_clients.values():
            try:
                kc.stop_channels()
            except Exception as exc:
                log.debug("stop_channels failed: %s", exc)
        kc = getattr(self, "kc", None)
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception as exc:
                log.debug("stop_channels failed: %s", exc)
        try:
            self.km.shutdown_kernel(now=True)
        except Exception as exc:
            log.debug("shutdown failed: %s", exc)


class WarmKernelEngine(NBClientEngine):
    """papermill's nbclient engine, on a kernel that the caller started and keeps."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        warm_kernel: WarmKernel | None = None,
        **kwargs: Any,
    ):
        if warm_kernel is None:
            raise KernelError(
                "motoren mipr-warm trenger warm_kernel=: kjør sidene med `mipr report`, som gir "
                "hver side en varm kjerne"
            )
        client = PapermillNotebookClient(
            nb_man,
            km=warm_kernel.km,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logging.getLogger("papermill"),
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client.kc = warm_kernel.page_client()
        return client.execute()


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


class KernelPool:
    """Warm kernels handed out to worker threads; a broken kernel is replaced."""

    def __init__(self, kernel_name: str, size: int, log_path: Path) -> None:
        self.kernel_name = kernel_name
        self.size = size
        self.log = KernelLog(log_path)
        self.start_failure: str | None = None
        """Why the last kernel that failed to start did (for the pages' error)."""
        self._free: list[WarmKernel] = []
        self._all: list[WarmKernel] = []
        self._owner: dict[int, WarmKernel] = {}
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._loops: dict[threading.Thread, asyncio.AbstractEventLoop] = {}
        self.closed = False

    def start(self) -> None:
        """Start every kernel in the background (they warm up while the data is built)."""
        remove_stale_folders()
        for _ in range(self.size):
            threading.Thread(target=self._add_new, daemon=True).start()

    def _add_new(self) -> None:
        try:
            kernel = WarmKernel(self.kernel_name, self.log)
        except Exception as exc:
            self.start_failure = str(exc)
            log.error("%s (se %s)", exc, self.log.path)
            kernel = None
        self._note_thread_loop()
        with self._ready:
            if kernel is not None and self.closed:
                kernel.shutdown()
                return
            if kernel is not None:
                self._all.append(kernel)
                self._free.append(kernel)
            else:
                self.size -= 1
            self._ready.notify_all()

    def acquire(self, timeout: float = STARTUP_TIMEOUT) -> WarmKernel:
        """This thread's kernel: the first call takes a free one and keeps it for the thread
        (a kernel's page client lives in one thread's event loop)."""
        ident = threading.get_ident()
        with self._ready:
            if ident in self._owner:
                return self._owner[ident]
            if not self._ready.wait_for(
                lambda: self._free or self.size <= len(self._owner) or self.closed, timeout=timeout
            ):
                raise KernelError(f"ingen Jupyter-kjerne ble klar på {timeout:.0f} s")
            if self.closed:
                raise KernelError("kjørebatchen er stoppet")
            if not self._free:
                raise KernelError(
                    f"{self.start_failure or f'kjernen «{self.kernel_name}» startet ikke'} "
                    f"(se {self.log.path})"
                )
            kernel = self._owner[ident] = self._free.pop()
            return kernel

    def release(self, kernel: WarmKernel, healthy: bool) -> None:
        """Done with a page; an unhealthy kernel is shut down and replaced."""
        self._note_thread_loop()
        if healthy and kernel.alive:
            return
        kernel.shutdown()
        with self._lock:
            self._all.remove(kernel)
            for ident in [i for i, k in self._owner.items() if k is kernel]:
                del self._owner[ident]
        if not self.closed:
            threading.Thread(target=self._add_new, daemon=True).start()

    def interrupt_all(self) -> None:
        with self._lock:
            busy = list(self._owner.values())
        for kernel in busy:
            kernel.interrupt()

    def close(self) -> None:
        """Shut every kernel down (also those still starting, as soon as they are up)."""
        with self._ready:
            self.closed = True
            kernels = list(self._all)
            self._ready.notify_all()
        for kernel in kernels:
            kernel.shutdown()
        # Only the loops of threads that have ended: a loop still in use stays open. No lock
        # here (a second Ctrl-C calls `close` from the signal handler).
        for thread, loop in list(self._loops.items()):
            if not thread.is_alive() and not loop.is_running():
                self._loops.pop(thread, None)
                loop.close()
        self.log.close()

    def _note_thread_loop(self) -> None:
        """Remember this thread's event loop so that `close` closes it once the thread has
        ended. jupyter_client's blocking calls make one per thread; left to the garbage
        collector, each prints "ResourceWarning: unclosed event loop" into the batch's output."""
        from jupyter_core.utils import ensure_event_loop

        self._loops[threading.current_thread()] = ensure_event_loop()
