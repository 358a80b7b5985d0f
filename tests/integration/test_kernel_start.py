"""Kernels start on a loaded machine, and `kernels.log` says what happened to each.

Two causes of "Kernel died before replying to kernel_info" are replayed here: a kernel that
needs more than a second to start (any loaded machine; simulated by a hand-made kernelspec
that waits before it starts ipykernel), and a TCP port taken by another process between
jupyter_client choosing it and the kernel binding it (simulated by taking the ports the moment
the connection file is written).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from mipr_analysis.report import kernels

pytestmark = pytest.mark.slow


def handmade_kernelspec(root: Path, name: str, code: str) -> None:
    """A kernelspec `name` under `root` whose process runs `code` (hand-made for the test)."""
    folder = root / "kernels" / name
    folder.mkdir(parents=True)
    argv = [sys.executable, "-c", code, "-f", "{connection_file}"]
    (folder / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": name, "language": "python"}), encoding="utf-8"
    )


SLOW_START = (
    "import time; time.sleep(3); "  # as on a loaded machine: ipykernel binds 3 s late
    "from ipykernel.kernelapp import launch_new_instance; launch_new_instance()"
)
DIES = (
    "import sys; print('håndlaget: kjernen starter', file=sys.stderr); "
    "sys.exit('håndlaget feil: kjernen stopper')"
)


@pytest.fixture
def kernelspecs(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "jupyter"
    handmade_kernelspec(root, "mipr-test-treg", SLOW_START)
    handmade_kernelspec(root, "mipr-test-dor", DIES)
    monkeypatch.setenv("JUPYTER_PATH", str(root))
    return root


@pytest.fixture
def taken_ports(monkeypatch) -> list[socket.socket]:
    """Another process takes every TCP port of a kernel right after they are chosen."""
    taken: list[socket.socket] = []
    write = KernelManager.write_connection_file

    def write_then_take(self, **kwargs):
        write(self, **kwargs)
        if self.transport == "tcp":
            for port in self.ports:
                sock = socket.socket()
                sock.bind((self.ip, port))
                sock.listen()
                taken.append(sock)

    monkeypatch.setattr(KernelManager, "write_connection_file", write_then_take)
    yield taken
    for sock in taken:
        sock.close()


def test_a_kernel_slow_to_start_is_waited_for(kernelspecs, tmp_path):
    log = kernels.KernelLog(tmp_path / "kernels.log")
    kernel = kernels.WarmKernel("mipr-test-treg", log)
    try:
        assert kernel.alive
        kernel.run("x = 1")
    finally:
        kernel.shutdown()
        log.close()
    text = (tmp_path / "kernels.log").read_text(encoding="utf-8")
    assert f"kjerne «mipr-test-treg» (prosess {kernel.pid}, ipc): klar etter" in text
    assert f"(prosess {kernel.pid}, ipc): stoppet" in text


def test_with_tcp_a_port_taken_before_the_kernel_binds_it_kills_the_kernel(taken_ports, tmp_path):
    """The cause, as jupyter_client and ipykernel behave over TCP: one bind attempt."""
    output = tmp_path / "kernel-output.log"
    km = KernelManager(kernel_name="python3")
    with output.open("wb") as out:
        km.start_kernel(stdout=out, stderr=out)
    try:
        assert km.provisioner.process.wait(timeout=60) != 0
    finally:
        km.shutdown_kernel(now=True)
    assert taken_ports
    assert "Address already in use" in output.read_text(encoding="utf-8")


def test_ports_taken_by_other_processes_cannot_stop_a_warm_kernel(taken_ports, tmp_path):
    log = kernels.KernelLog(tmp_path / "kernels.log")
    kernel = kernels.WarmKernel("python3", log)
    folder = kernel.folder
    try:
        assert kernel.km.transport == "ipc"
        info = json.loads(Path(kernel.km.connection_file).read_text(encoding="utf-8"))
        assert info["transport"] == "ipc" and info["ip"].startswith(str(folder))
        assert stat.S_IMODE(folder.stat().st_mode) & 0o777 == 0o700  # (jupyter adds the sticky bit)
        sockets = [p for p in folder.iterdir() if p.is_socket()]
        assert len(sockets) == 5
        assert all(len(str(p)) <= kernels.SOCKET_PATH_LIMIT for p in sockets)
        kernel.run("x = 1")
    finally:
        kernel.shutdown()
        log.close()
    assert not taken_ports  # nothing to take
    assert not folder.exists()
    assert "Kernel is running over TCP" not in (tmp_path / "kernels.log").read_text("utf-8")


def test_a_kernel_that_dies_at_start_says_why_in_the_log_and_the_error(
    kernelspecs, tmp_path, monkeypatch
):
    folders: list[Path] = []
    make_folder = kernels._private_folder
    monkeypatch.setattr(
        kernels, "_private_folder", lambda: folders.append(make_folder()) or folders[-1]
    )
    log = kernels.KernelLog(tmp_path / "kernels.log")
    with pytest.raises(kernels.KernelError) as caught:
        kernels.WarmKernel("mipr-test-dor", log)
    log.close()
    assert str(caught.value) == (
        "kjernen «mipr-test-dor» startet ikke: prosessen avsluttet med kode 1 "
        "(håndlaget feil: kjernen stopper)"
    )
    lines = (tmp_path / "kernels.log").read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith(
        "ipc): startet ikke: prosessen avsluttet med kode 1 (håndlaget feil: kjernen stopper)"
    )
    assert lines[1:] == ["    håndlaget: kjernen starter", "    håndlaget feil: kjernen stopper"]
    assert folders and not any(f.exists() for f in folders)


def test_a_page_whose_kernel_did_not_start_names_the_cause_and_the_log(kernelspecs, tmp_path):
    pool = kernels.KernelPool("mipr-test-dor", 1, tmp_path / "kernels.log")
    pool.start()
    try:
        with pytest.raises(kernels.KernelError) as caught:
            pool.acquire()
    finally:
        pool.close()
    assert str(caught.value) == (
        "kjernen «mipr-test-dor» startet ikke: prosessen avsluttet med kode 1 "
        f"(håndlaget feil: kjernen stopper) (se {tmp_path / 'kernels.log'})"
    )


def test_folders_of_a_batch_that_was_killed_are_removed_by_the_next(tmp_path, monkeypatch):
    monkeypatch.setattr(kernels, "_folder_base", lambda: str(tmp_path))
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    left = tmp_path / f"mipr-kernel-{int(ended.stdout)}-abc"  # its process no longer runs
    mine = tmp_path / f"mipr-kernel-{os.getpid()}-def"
    other = tmp_path / "mipr-kernel-noe-annet"
    for folder in (left, mine, other):
        folder.mkdir()
        (folder / "kernel.json").write_text("{}", encoding="utf-8")
    kernels.remove_stale_folders()
    assert not left.exists()
    assert mine.exists() and other.exists()
