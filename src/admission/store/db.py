"""Engines and migrations.  SQLite file by default, PostgreSQL by URL (`ADMISSION_DATABASE_URL`)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlmodel import create_engine

DEFAULT_SQLITE = "sqlite:///admission.db"


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("ADMISSION_DATABASE_URL") or DEFAULT_SQLITE


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


_STRICT = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_text(value) -> str:
    """A JSON column's text: orjson (a workflow step writes five or six JSON values, and the
    standard encoder was about 3 % of a SQLite step), with `json.dumps` for what orjson refuses
    (an integer past 64 bits) so that nothing storable before is refused now.  Dates and other
    non-JSON values are refused by both, as before."""
    try:
        return orjson.dumps(value, option=_STRICT).decode()
    except TypeError:
        return json.dumps(value)


# engine arguments; reading stays `json.loads`, which keeps an integer past 64 bits exact (orjson
# would read it as a float)
JSON_COLUMNS = {"json_serializer": json_text}


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **JSON_COLUMNS)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL: readers do not block the writer
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (BEGIN IMMEDIATE for writes)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # straight to the driver: a step's transaction is a few statements long
            conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10, **JSON_COLUMNS)
    _ping_when_idle(engine)
    return engine


class SqliteWriter:
    """SQLite admits one writer at a time (each write begins IMMEDIATE), so a writer gains
    nothing from a connection per write: its writes take turns on one, held between them.
    Checking a connection out of the pool and back in for every workflow step cost about 25 µs
    of a 300 µs step.  A connection that failed is closed and not reused; the next write opens
    one.  A held connection keeps its engine alive, so the owner closes the writer when it is
    done with it (`Workflow` does when it is collected)."""

    def __init__(self, engine: Engine):
        self.engine, self.lock, self.conn = engine, threading.Lock(), None

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back on any exception."""
        with self.lock:
            conn = self.conn
            if conn is None or conn.closed or conn.invalidated:
                conn = self.conn = self.engine.connect()
            try:
                with conn.begin():
                    yield conn
            except (sa_exc.DBAPIError, sqlite3.Error):  # the write path calls the driver itself too
                self.conn = None
                conn.close()
                raise

    def close(self) -> None:
        with self.lock:
            conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()


PING_AFTER_IDLE_S = 30.0  # a pooled connection idle this long is tested before it is handed out


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pre-ping tests every connection at every checkout: a round trip, and the
    transaction it opens takes BEGIN out of a step's first pipelined round trip.  A connection
    that was in use moments ago is as good as its last answer, so only one idle for
    `PING_AFTER_IDLE_S` is tested (a dead one is replaced, as pre-ping does); a server restart
    within that window fails the first request that meets it, and SQLAlchemy then replaces every
    connection pooled before it."""

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, proxy):
        since = record.info.pop("idle_since", None)
        if since is not None and time.monotonic() - since >= PING_AFTER_IDLE_S:
            _ping(dbapi_conn)


def _ping(dbapi_conn) -> None:
    try:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("SELECT 1")
        finally:
            cur.close()
        dbapi_conn.rollback()
    except Exception as exc:  # the pool retries with a new connection
        raise sa_exc.DisconnectionError(str(exc)) from exc


_MIGRATE_LOCK = threading.Lock()  # Alembic's context is process-global


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (safe to call from several threads)."""
    with _MIGRATE_LOCK:
        _migrate(engine)


def _migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    here = Path(__file__).resolve().parent
    cfg = Config()
    cfg.set_main_option("script_location", str(here / "migrations"))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
