"""A throwaway PostgreSQL server that the fault suite can stop and start again.

It is the test suite's server (``tests/support/postgres.py``: initdb in a scratch directory,
a free port, durability off) plus ``restart_after``: stop (fast shutdown) and start the same
cluster again on the same port, as an operator's restart does.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import time

import psycopg

_TESTS = pathlib.Path(__file__).resolve().parents[2] / "tests"
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))

from support.postgres import PostgresServer, find_bindir  # noqa: E402


class RestartablePostgres(PostgresServer):
    def _run(self) -> None:
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
                "max_connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.base_dir / "postgres-again.log", "ab"),  # noqa: SIM115 - owned by the child
            cwd=self.base_dir,
            **self._as_user,
        )

    def start_again(self, timeout_s: float = 60.0) -> float:
        """Starts the stopped cluster again; returns the seconds until it accepted a connection."""
        started = time.monotonic()
        self._run()
        while True:
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                    return time.monotonic() - started
            except psycopg.OperationalError:
                if time.monotonic() - started > timeout_s:
                    raise RuntimeError("PostgreSQL did not start again") from None
                time.sleep(0.1)


def server(base_dir: pathlib.Path) -> RestartablePostgres:
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (tools/ensure_packages.sh test installs it)")
    return RestartablePostgres(base_dir, bindir)
