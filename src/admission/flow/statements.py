"""What every part of the workflow service shares: the prepared SQLAlchemy core statements of the
write path (table aliases, the per-dialect upserts, the audit chain's genesis hash), running them
(one by one or pipelined) and the small helpers (a flow's revision, parsing a request, the hash of
a log entry, the crash-test hook)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import weakref
from contextlib import nullcontext
from functools import lru_cache

import orjson
from pydantic import ValidationError
from sqlalchemy import bindparam, insert, update
from sqlalchemy.sql.dml import Insert
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from ..language.flow import Flow
from ..store.tables import Application, Change, Counter, FlowDefinition, Opinion, TransitionLog
from .errors import Invalid
from .requests import AdjustmentRequest, AdmissionRequest, SecondmentRequest

GENESIS = "0" * 64

# Core statements for the write path: a step is one transaction on a bare Connection (no ORM
# Session or unit of work), a handful of statements, and plain row objects (`ApplicationRow`).
# The ORM path ran at 225 steps/s on SQLite, this one at over 1,000 (see bench/flow.py).
_APP = Application.__table__
_LOG = TransitionLog.__table__
_OPINION = Opinion.__table__
_CHANGE = Change.__table__
_COUNTER = Counter.__table__
_FLOWDEF = FlowDefinition.__table__
_APP_FIELDS = [c.name for c in _APP.columns]
# the application row, its columns in table order (`ApplicationRow.from_row`); its `log_head` is
# where its audit chain ends
_SEL_APP = core_select(_APP).where(_APP.c.id == bindparam("id"))
_SEL_APP_FOR_UPDATE = _SEL_APP.with_for_update(of=_APP)
_SEL_PAST = core_select(_LOG.c.unit, _LOG.c.person, _LOG.c.role, _LOG.c.action, _LOG.c.on_date).where(
    _LOG.c.application_id == bindparam("id")).order_by(_LOG.c.seq)
_SEL_OPINIONS = core_select(_OPINION).where(_OPINION.c.application_id == bindparam("id"))
_SEL_FLOWDEF = core_select(_FLOWDEF.c.definition).where(_FLOWDEF.c.flow_id == bindparam("flow_id"),
                                                        _FLOWDEF.c.revision == bindparam("revision"))
_MUTABLE = ("state", "phase", "payload", "version", "state_since", "due", "overdue", "effective_from",
            "effective_until", "exited_on", "log_head", "updated_at")
_MUTABLE_AT = tuple((name, _APP_FIELDS.index(name)) for name in _MUTABLE)
_UPDATES: dict[tuple[str, ...], object] = {}  # the columns a step changed -> its UPDATE
_INS_APP = insert(_APP)
_INS_LOG = insert(_LOG)
_INS_CHANGE = insert(_CHANGE)
# idempotent: concurrent first applications on one flow revision may both try to remember it
_INS_FLOWDEF = {"sqlite": sqlite_dialect.insert(_FLOWDEF).on_conflict_do_nothing(),
                "postgresql": pg_dialect.insert(_FLOWDEF).on_conflict_do_nothing()}
# SQLite has RETURNING from 3.35; older libraries take the two-statement paths below
_SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)
_SEL_COUNTER = core_select(_COUNTER.c.value, _COUNTER.c.head).where(_COUNTER.c.name == bindparam("counter"))
_SET_HEAD = update(_COUNTER).where(_COUNTER.c.name == bindparam("counter")).values(head=bindparam("head"))
_UPD_COUNTER = update(_COUNTER).where(_COUNTER.c.name == bindparam("counter")).values(value=_COUNTER.c.value + 1)
_INS_COUNTER = insert(_COUNTER)
_SEL_OPINION_OF = core_select(_OPINION.c.id).where(_OPINION.c.application_id == bindparam("application_id"),
                                                   _OPINION.c.unit == bindparam("unit"))
_INS_OPINION = insert(_OPINION)


def _dialect_statements(dialect: str) -> dict:
    """Upserts, which SQLAlchemy spells per dialect (the SQL is the same on both)."""
    ins = sqlite_dialect.insert if dialect == "sqlite" else pg_dialect.insert
    bump = ins(_COUNTER).values(name=bindparam("name"), value=1)
    return {
        # the next application number, and the first entry of the application numbered before it
        # (the row's own column, read under its lock); the row stays locked until commit
        "bump": bump.on_conflict_do_update(index_elements=[_COUNTER.c.name], set_={"value": _COUNTER.c.value + 1})
        .returning(_COUNTER.c.value, _COUNTER.c.head),
        # an opinion, unless the unit already gave one (the unique constraint decides)
        "opinion": ins(_OPINION).on_conflict_do_nothing(
            index_elements=[_OPINION.c.application_id, _OPINION.c.unit]).returning(_OPINION.c.id),
    }


_DIALECT = {name: _dialect_statements(name) for name in ("sqlite", "postgresql")}


# --------------------------------------------------------------------------- prepared statements
class _Prepared:
    """A Core statement compiled once for a dialect: its SQL text, the order and type processors
    of its parameters (constants such as a LIMIT included) and of its result columns.  Run on the
    transaction's own driver connection, a statement costs the driver's call and its type
    conversions; SQLAlchemy's per-execution setup (about 40 % of a step) is paid once."""

    __slots__ = ("sql", "names", "binds", "constants", "results", "positional")

    def __init__(self, stmt, dialect, keys: tuple[str, ...] | None):
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        self.sql = compiled.string
        self.positional = dialect.positional
        rendered = {name: bind for bind, name in compiled.bind_names.items()}  # as the SQL names them
        self.names = tuple(compiled.positiontup) if self.positional else tuple(rendered)
        self.binds = {n: rendered[n].type._cached_bind_processor(dialect) for n in self.names}
        self.constants = {n: rendered[n].effective_value for n in self.names if keys is None or n not in keys}
        columns = stmt.selected_columns if getattr(stmt, "is_select", False) else getattr(stmt, "_returning", ()) or ()
        self.results = tuple(c.type._cached_result_processor(dialect, None) for c in columns)

    def params(self, given: dict):
        values = []
        binds, constants = self.binds, self.constants
        for n in self.names:
            v = given[n] if n in given else constants[n]
            fn = binds[n]
            values.append(v if fn is None or v is None else fn(v))
        return tuple(values) if self.positional else dict(zip(self.names, values))

    def row(self, raw) -> tuple | None:
        if raw is None:
            return None
        return tuple(v if fn is None or v is None else fn(v) for fn, v in zip(self.results, raw))


_PREPARED: dict[tuple, tuple[object, _Prepared]] = {}


def _prepared(conn, stmt, params: dict) -> _Prepared:
    keys = tuple(params) if isinstance(stmt, Insert) else None  # an INSERT names the columns it sets
    key = (id(stmt), conn.dialect.name, keys)
    hit = _PREPARED.get(key)
    if hit is None or hit[0] is not stmt:
        hit = _PREPARED[key] = (stmt, _Prepared(stmt, conn.dialect, keys))
    return hit[1]


class _Sent:
    """A statement sent on the driver connection; its answer is read when asked for (in a
    pipeline, after everything sent before it)."""

    __slots__ = ("prepared", "cursor")

    def __init__(self, prepared: _Prepared, cursor):
        self.prepared, self.cursor = prepared, cursor

    def one(self) -> tuple | None:
        return self.prepared.row(self.cursor.fetchone())

    def all(self) -> list[tuple]:
        return [self.prepared.row(r) for r in self.cursor.fetchall()]


def send(conn, stmt, params: dict | None = None) -> _Sent:
    """Execute `stmt` with `params` in `conn`'s transaction through its driver connection."""
    params = params or {}
    prepared = _prepared(conn, stmt, params)
    return _Sent(prepared, conn.connection.driver_connection.execute(prepared.sql, prepared.params(params)))


def run(conn, stmt, params: dict | None = None, *, fetch: bool = False) -> tuple | None:
    """`send`; with `fetch`, the first row, its values converted as SQLAlchemy would."""
    sent = send(conn, stmt, params)
    return sent.one() if fetch else None


def run_all(conn, stmt, params: dict | None = None) -> list[tuple]:
    """`send`, and every row of the answer."""
    return send(conn, stmt, params).all()


def pipelined(conn):
    """On PostgreSQL, statements sent in this block go out together and are answered together
    when it ends (psycopg's pipeline mode): a step's reads are one round trip, its writes another.
    Read the answers after the block (a fetch inside it costs a round trip of its own, and the
    block's end another).  On SQLite, a plain block."""
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        if not driver.pgconn.pipeline_status:  # a block inside another adds to it
            return driver.pipeline()
    return nullcontext()


def commit_with_writes(conn) -> None:
    """End the transaction with the writes' round trip: inside `pipelined(conn)` on PostgreSQL,
    COMMIT goes out after the writes and is answered with them, and the transaction block's own
    commit then finds the connection idle and sends nothing (one round trip a step fewer).  Call
    it last, once nothing after the writes can refuse the step: if a write fails, the server
    skips the COMMIT, and the block rolls back as before.  On SQLite a commit is no round trip,
    and the block commits."""
    if conn.dialect.name == "postgresql":
        conn.connection.driver_connection.execute(b"COMMIT")


CHAIN_CUT = "audit-chain-v2"  # counter: the last entry of the single chain before 0004 (its seq)


# --------------------------------------------------------------------------- helpers
def flow_revision(flow: Flow) -> str:
    """The content hash of a flow (its revision), computed once per Flow object: flows are
    frozen models, and every step asks for the revision of the flow it is pinned to."""
    key = id(flow)
    hit = _REVISIONS.get(key)
    if hit is not None and hit[0]() is flow:
        return hit[1]
    text = json.dumps(flow.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
    revision = hashlib.sha256(text.encode()).hexdigest()[:12]

    def forget(ref: weakref.ref, key: int = key) -> None:  # the flow is gone (a reloaded policy)
        if _REVISIONS.get(key, (None,))[0] is ref:
            del _REVISIONS[key]

    _REVISIONS[key] = (weakref.ref(flow, forget), revision)
    return revision


_REVISIONS: dict[int, tuple[weakref.ref, str]] = {}  # id(flow) -> (the flow, weakly; its revision)


_PARSED: dict[tuple, object] = {}  # (model, canonical JSON) -> the parsed request
# canonical JSON for the key: sorted keys, and dates or dataclasses refused (json.dumps refused
# them too, so such a payload is parsed every time, as before)
_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


@lru_cache(maxsize=64)
def _flow_from_json(text: str) -> Flow:
    return Flow.model_validate(json.loads(text))


def _parse_request(flow: Flow, data: dict):
    """The request model of a stored or submitted payload.  Every step of an application parses
    the same payload again; the models are frozen, so one parse of a JSON value is kept (by its
    canonical text; a value that is not plain JSON is parsed every time)."""
    model = {"admission": AdmissionRequest, "secondment": SecondmentRequest}.get(flow.kind.value, AdjustmentRequest)
    clean = {k: v for k, v in data.items() if not k.startswith("_")} if isinstance(data, dict) else data
    try:
        key = (model, orjson.dumps(clean, option=_CANONICAL))
    except TypeError:  # not plain JSON: parsed every time
        key = None
    hit = _PARSED.get(key) if key is not None else None
    if hit is not None:
        return hit
    try:
        parsed = model.model_validate(clean)
        if key is not None:
            if len(_PARSED) >= 1024:
                _PARSED.clear()
            _PARSED[key] = parsed
        return parsed
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise Invalid("申请内容不完整或有误：" + "；".join(f"{d['field']}: {d['message']}" for d in details),
                      code="invalid-request", details=details) from None


def _require_person(person: str) -> None:
    if not person or not person.strip():
        raise Invalid("必须写明经办人", code="missing-person")


def entry_hash(e: TransitionLog) -> str:
    body = {
        "application_id": e.application_id, "action": e.action, "from": e.from_state, "to": e.to_state,
        "unit": e.unit, "person": e.person, "role": e.role, "on": e.on_date.isoformat(),
        "guards": e.guards, "reason": e.reason, "documents": e.documents, "payload": e.payload,
        "prev": e.prev_hash,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _crash_point(name: str) -> None:
    """Test hook: `ADMISSION_CRASH_AT=<name>` kills the process there (crash-safety tests)."""
    if os.environ.get("ADMISSION_CRASH_AT") == name:
        os._exit(137)
