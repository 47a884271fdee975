"""What kind of failure a store error is, whichever layer raised it.

The write path runs statements on the driver connection itself (`flow.statements.send`), so a
failing step raises the driver's own exception (`sqlite3.Error`, `psycopg.Error`); everything
else goes through SQLAlchemy, which wraps the same errors in `sqlalchemy.exc.DBAPIError`.  Both
come here, and callers (the API's problem handlers, the CLI) answer by kind, not by driver:

- ``busy``: lock waits, deadlocks, serialization failures, a full connection pool: the same
  request may well succeed if it is sent again;
- ``unavailable``: the store cannot be reached or cannot write (connection lost, server shutting
  down, disk full or read-only, a schema that is not there);
- ``refused``: the store's own constraints refused a write (unique, not null, check, a trigger);
- ``bad-value``: the store cannot hold a value it was given (PostgreSQL text with a NUL byte);
- ``None``: anything else, which is a bug of ours.

A workflow step runs in one transaction, so whichever kind it is, a step that failed with one of
these changed nothing."""

from __future__ import annotations

import sqlite3
from typing import Literal

from sqlalchemy import exc as sa_exc

Kind = Literal["busy", "unavailable", "refused", "bad-value"]

# PostgreSQL SQLSTATE classes (appendix A of its manual) and the few codes that differ from theirs
_PG_CODES: dict[str, Kind] = {
    "55P03": "busy", "57014": "busy",  # lock not available, statement timeout
    "42P01": "unavailable", "42703": "unavailable", "42883": "unavailable",  # a table, column or function
    # that is not there: a store not migrated (other class 42 errors are ours)
}
_PG_CLASSES: dict[str, Kind] = {
    "40": "busy",  # transaction rollback: serialization failure, deadlock
    "08": "unavailable", "53": "unavailable", "57": "unavailable", "58": "unavailable",  # connection,
    # resources (disk full, too many connections), operator intervention (shutdown), system errors
    "3D": "unavailable",  # no such database
    "23": "refused",  # integrity constraint violation (and what a trigger raises with its codes)
    "22": "bad-value",  # data exception
}
_SQLITE_CODES: dict[str, Kind] = {
    "SQLITE_BUSY": "busy", "SQLITE_LOCKED": "busy",
    "SQLITE_CONSTRAINT": "refused",
    "SQLITE_TOOBIG": "bad-value", "SQLITE_MISMATCH": "bad-value", "SQLITE_RANGE": "bad-value",
}


def failure_kind(exc: BaseException) -> Kind | None:
    """The kind of store failure `exc` is, or None if it is not one we can name."""
    if isinstance(exc, sa_exc.TimeoutError):  # no connection free in the pool in time
        return "busy"
    if isinstance(exc, sa_exc.DisconnectionError):
        return "unavailable"
    if isinstance(exc, sa_exc.DBAPIError):
        inner = _pg_or_sqlite(exc.orig) if exc.orig is not None else None
        if inner is not None:
            return inner
        return "unavailable" if isinstance(exc, sa_exc.OperationalError) else (
            "refused" if isinstance(exc, sa_exc.IntegrityError) else None)
    return _pg_or_sqlite(exc)


def _pg_or_sqlite(exc: BaseException) -> Kind | None:
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        kind = _SQLITE_CODES.get("_".join(name.split("_")[:2]))  # SQLITE_CONSTRAINT_NOTNULL: SQLITE_CONSTRAINT
        if kind:
            return kind
        if isinstance(exc, sqlite3.IntegrityError):
            return "refused"
        if isinstance(exc, sqlite3.DataError):
            return "bad-value"
        return "unavailable" if isinstance(exc, sqlite3.OperationalError) else None
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a runtime dependency
        return None
    if isinstance(exc, psycopg.Error):
        state = exc.sqlstate or ""
        kind = _PG_CODES.get(state) or _PG_CLASSES.get(state[:2])
        if kind:
            return kind
        if isinstance(exc, psycopg.IntegrityError):
            return "refused"
        if isinstance(exc, psycopg.DataError):
            return "bad-value"
        if isinstance(exc, psycopg.OperationalError):  # a lost connection has no SQLSTATE
            return "unavailable"
    return None
