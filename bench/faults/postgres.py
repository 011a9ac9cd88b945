"""A throwaway PostgreSQL server that the fault suite can stop and start again: the test suite's server
(``tests/support/postgres.py``: initdb in a scratch directory, a free port, durability off), whose
``start_again`` restarts the same cluster on the same port, as an operator's restart does."""

from __future__ import annotations

import pathlib
import sys

_TESTS = pathlib.Path(__file__).resolve().parents[2] / "tests"
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))

from support.postgres import PostgresServer, find_bindir  # noqa: E402


def server(base_dir: pathlib.Path) -> PostgresServer:
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (tools/ensure_packages.sh test installs it)")
    return PostgresServer(base_dir, bindir)
