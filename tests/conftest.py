"""Fixtures shared by every test tier."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import tempfile

# The platform's processes are started with subprocess while gRPC may be busy on other threads of this
# process (tests, benchmarks, the launcher's own calls); gRPC's fork handlers then run in the child between
# fork and exec and can abort it ("epoll_wait error: Bad file descriptor" after close_fds, grpc/grpc#43157:
# a service "exited with -6" before it ran). The child only execs: it needs none of them. Read by gRPC when
# it loads, so set before it is imported.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

import pytest

from arena.contract import Contract

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def descriptor_set_path(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The contract compiled now from api/ (with imports and comments), not a stale build."""
    if shutil.which("buf") is None:
        pytest.fail("buf is not on PATH: run the tests through `make test`")
    path = tmp_path_factory.mktemp("descriptors") / "arena.binpb"
    subprocess.run(["buf", "build", "--as-file-descriptor-set", "-o", str(path)], cwd=REPO_ROOT, check=True)
    return path


@pytest.fixture(scope="session")
def contract(descriptor_set_path: pathlib.Path) -> Contract:
    return Contract.load(descriptor_set_path)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory):
    """A real PostgreSQL server for the whole session (started on first use, stopped at the end)."""
    from support.postgres import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL is not installed: `.ci/run` installs Debian's postgresql package")
    # Not under pytest's own temporary tree: another pytest session on the machine makes that tree's root
    # private again (0700) when it starts, and the postgres user then loses its data directory mid-run.
    base_dir = pathlib.Path(tempfile.mkdtemp(prefix="arena-postgres-"))
    server = PostgresServer(base_dir, bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base_dir, ignore_errors=True)
