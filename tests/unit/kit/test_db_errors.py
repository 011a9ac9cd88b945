"""Which database failures are worth a retry (UNAVAILABLE) and which are bugs (INTERNAL)."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from arena.kit.db_errors import is_unreachable


def _sqlite_error(path, statement: str) -> sa_exc.DBAPIError:
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
    except sa_exc.DBAPIError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError(f"{statement!r} did not fail")


def test_a_locked_sqlite_file_is_transient(tmp_path):
    path = tmp_path / "db.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        error = _sqlite_error(path, "SELECT * FROM t")
    finally:
        holder.close()
    assert "locked" in str(error.orig)
    assert is_unreachable(error)


def test_a_schema_mistake_is_not(tmp_path):
    error = _sqlite_error(tmp_path / "db.sqlite", "SELECT * FROM no_such_table")
    assert isinstance(error, sa_exc.OperationalError)
    assert not is_unreachable(error)


def test_a_refused_postgresql_connection_is_transient():
    with socket_closed_port() as port:
        engine = sa.create_engine(f"postgresql+psycopg://arena:arena@127.0.0.1:{port}/arena")
        try:
            with engine.connect():
                raise AssertionError("connected to a closed port")
        except sa_exc.OperationalError as error:
            assert is_unreachable(error)
        finally:
            engine.dispose()


def test_other_errors_are_not():
    assert not is_unreachable(ValueError("bad"))
    assert not is_unreachable(sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert is_unreachable(sa_exc.TimeoutError("QueuePool limit reached"))


def socket_closed_port():
    import contextlib
    import socket

    @contextlib.contextmanager
    def closed():
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        yield port  # nobody listens there now

    return closed()
