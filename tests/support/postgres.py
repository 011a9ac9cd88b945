"""A throwaway PostgreSQL server for the test suite: initdb in a temporary directory, a free port.

Real PostgreSQL, not a mock: Debian's ``postgresql`` package provides the binaries
(``.ci/run`` installs it). PostgreSQL refuses to run as root, so under root the
server runs as the ``postgres`` system user. Durability is switched off (fsync,
synchronous commit): the cluster is thrown away after the run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pathlib
import shutil
import signal
import subprocess
import time

import psycopg

from support.ports import free_port

SUPERUSER = "arena"


def find_bindir() -> pathlib.Path | None:
    """The directory holding initdb and postgres, or None when PostgreSQL is not installed."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("postgres"):
        return pathlib.Path(initdb).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return pathlib.Path(candidates[0]).parent if candidates else None


class PostgresServer:
    def __init__(self, base_dir: pathlib.Path, bindir: pathlib.Path) -> None:
        self.base_dir = base_dir
        self.bindir = bindir
        self.data_dir = base_dir / "pgdata"
        self.socket_dir = base_dir / "sockets"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        # Popen's user/group switch in the child itself, so signals reach postgres directly.
        self._as_user = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}

    def _prepare_dirs(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")
            for path in (self.base_dir, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            # The postgres user must be able to reach the directory through its parents.
            for parent in self.base_dir.parents:
                if parent == pathlib.Path("/"):
                    break
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)

    def start(self, timeout_s: float = 60.0) -> None:
        self._prepare_dirs()
        subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            cwd=self.base_dir,
            **self._as_user,
        )
        self._launch("postgres.log", "wb")
        self._wait_accepting(timeout_s, "postgres.log")

    def start_again(self, timeout_s: float = 60.0) -> float:
        """Starts the stopped cluster again on the same port (an operator's restart, for the fault suite);
        returns the seconds until it accepted a connection."""
        started = time.monotonic()
        self._launch("postgres-again.log", "ab")
        self._wait_accepting(timeout_s, "postgres-again.log")
        return time.monotonic() - started

    def _launch(self, log_name: str, log_mode: str) -> None:
        self.process = subprocess.Popen(
            [
                str(self.bindir / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-k",
                str(self.socket_dir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.base_dir / log_name, log_mode),  # noqa: SIM115 - owned by the child
            cwd=self.base_dir,
            **self._as_user,
        )

    def _wait_accepting(self, timeout_s: float, log_name: str) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.base_dir / log_name).read_text(errors="replace")
                    raise RuntimeError(f"PostgreSQL did not start:\n{log[-3000:]}") from None
                time.sleep(0.1)

    def dsn(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        """A SQLAlchemy URL (async psycopg driver) for a database of this server."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Creates a fresh, empty database and returns its SQLAlchemy URL."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            # SIGINT is PostgreSQL's "fast shutdown".
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
