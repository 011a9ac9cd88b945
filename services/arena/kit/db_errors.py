"""Telling a database that cannot be reached from a statement that is wrong (kept apart from ``kit.db`` so the
error mapping of every service imports only ``sqlalchemy.exc``)."""

from __future__ import annotations

import sqlalchemy.exc as sa_exc


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached (down, restarting, connection lost, pool
    exhausted) rather than that the statement was wrong: the call may work when retried.

    SQLAlchemy wraps the driver's connection failures as ``OperationalError``/``InterfaceError`` (psycopg's
    ``OperationalError`` is "connection refused", "server closed the connection", "terminating connection
    due to administrator command"); SQLite's own ``OperationalError`` also covers schema mistakes ("no such
    table"), which stay bugs. Only a busy SQLite file ("database is locked") is transient there.
    """
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError | ConnectionError):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        origin = type(exc.orig).__module__ if exc.orig is not None else ""
        if origin.startswith("sqlite3") or "sqlite" in origin:
            return "database is locked" in str(exc.orig)
        return True
    return False
