"""The workflow service: apply, take a step, give an opinion, answer a dissent, tick, read.

Every step runs in one database transaction: lock the application (its row), check
the ETag, the transition from the current state, the acting unit's role and separation of
duties, the required fields; compute the facts; let the rules engine evaluate the guards and move
the statechart; write the application, the hash-chained log entry and the change feed; commit.
A refused step changes no application: the refusal is recorded in its own transaction.  A crash
anywhere before the commit leaves the old state.

This module is the facade: `Workflow` holds the store, the policy and what every path shares
(transactions, locking, writing an application back, pinned flows, roles), and takes its other
methods from one mixin per part: `apply` (creating applications), `steps` (the transition path,
opinions, tick and the audit chain's write) and `queries` (reading).  The errors live in
`errors`, the prepared statements and shared helpers in `statements`; every name importable
from here before the split still is.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from ..compile.index import Index
from ..language import Policy
from ..language.enums import Level, UnitKind
from ..language.flow import Flow
from ..store.db import SqliteWriter, is_sqlite
from ..store.tables import Application, ApplicationRow
from .apply import ApplyMixin, _referenced_ids  # noqa: F401
from .calendar import WorkCalendar
from .engine import flow_engine
from .errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed, Refused, WorkflowError  # noqa: F401
from .queries import QueriesMixin, _app_dict, _as_record, _log_dict, stored_admissions  # noqa: F401
from .requests import AdjustmentRequest
from .statements import (  # noqa: F401
    _APP, _APP_FIELDS, _CHANGE, _COUNTER, _DIALECT, _FLOWDEF, _INS_APP, _INS_CHANGE, _INS_COUNTER,
    _INS_FLOWDEF, _INS_LOG, _INS_OPINION, _LOG, _MUTABLE, _MUTABLE_AT, _OPINION, _REVISIONS,
    _SEL_APP, _SEL_APP_FOR_UPDATE, _SEL_COUNTER, _SEL_FLOWDEF, _SEL_OPINION_OF, _SEL_OPINIONS, _SEL_PAST,
    _SQLITE_RETURNING, _UPD_COUNTER, _UPDATES, CHAIN_CUT, GENESIS, _crash_point, _dialect_statements,
    _flow_from_json, _parse_request, _require_person, entry_hash, flow_revision, pipelined, run, send,
)
from .steps import StepsMixin, _add_change, _given, _Past, _RefusedInside  # noqa: F401


# --------------------------------------------------------------------------- context
@dataclass
class Workflow(ApplyMixin, StepsMixin, QueriesMixin):
    """The service over one store and one loaded policy (its parts: `ApplyMixin`, `StepsMixin`,
    `QueriesMixin`)."""

    db: Engine
    policy: Policy
    index: Index
    calendar: WorkCalendar = field(init=False)

    def __post_init__(self):
        self._remembered: set[tuple[str, str]] = set()
        self.calendar = WorkCalendar.from_policy(self.policy.calendars)
        self.engine = flow_engine()
        self._sqlite = is_sqlite(self.db)
        self._sql = _DIALECT.get(self.db.dialect.name) or _DIALECT["postgresql"]
        self._returning = _SQLITE_RETURNING or not self._sqlite  # read here: tests set it on this module
        # SQLite: this service's writes take turns on one held connection, returned to the pool
        # when the service is collected (the finalizer holds the writer, not the service)
        self._writer = SqliteWriter(self.db) if self._sqlite else None
        if self._writer is not None:
            weakref.finalize(self, self._writer.close)

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def tx(self) -> Iterator[Session]:
        """An ORM session in one transaction (reading, `tick`, answers, refusals)."""
        with Session(self.db, expire_on_commit=False) as s:
            with s.begin():
                yield s

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One transaction on a bare connection, for the hot write path (apply, steps, opinions):
        BEGIN IMMEDIATE on SQLite, on this service's one held write connection
        (`store.db.SqliteWriter`); commit at the end, roll back on any exception."""
        if self._writer is None:
            with self.db.begin() as conn:
                yield conn
        else:
            with self._writer.begin() as conn:
                yield conn

    def _lock(self, conn: Connection, app_id: str, past: bool = False) -> tuple[str, ApplicationRow, tuple, list | None]:
        """Lock the application and read it: the hash its audit chain ends with, the row (a plain
        object, written back with `_save_app`), its values as read, and with `past` on PostgreSQL
        its log's past (`_Past`), read in the same round trip.  SQLite transactions are
        serialised already (BEGIN IMMEDIATE); PostgreSQL reads the row FOR UPDATE, and the lock
        holds until commit or rollback.  Only steps on the same application wait for each other."""
        rows = None
        if self._sqlite:
            row = run(conn, _SEL_APP, {"id": app_id}, fetch=True)
        else:
            with pipelined(conn):  # BEGIN, the row and its past: answered together when the block ends
                sent = send(conn, _SEL_APP_FOR_UPDATE, {"id": app_id})
                history = send(conn, _SEL_PAST, {"id": app_id}) if past else None  # read once the lock is held
            row, rows = sent.one(), history.all() if history is not None else None
        if row is None:
            raise NotFound(f"申请 {app_id} 不存在", code="no-such-application")
        app = ApplicationRow.from_row(row)
        return app.log_head or GENESIS, app, tuple(row), rows

    def _save_app(self, conn: Connection, app: ApplicationRow, read: tuple) -> None:
        """Write back the columns that changed since `read` (an index on a column not set is
        left alone)."""
        params = {name: getattr(app, name) for name, i in _MUTABLE_AT if getattr(app, name) != read[i]}
        if not params:
            return
        stmt = _UPDATES.get(key := tuple(params))
        if stmt is None:
            stmt = _UPDATES[key] = update(_APP).where(_APP.c.id == bindparam("app_id")).values(
                {n: bindparam(n) for n in key})
        params["app_id"] = app.id
        run(conn, stmt, params)

    # ------------------------------------------------------------------ flows
    def flow(self, flow_id: str) -> Flow:
        f = self.policy.flows.get(flow_id)
        if f is None:
            raise NotFound(f"流程 {flow_id} 不存在", code="no-such-flow")
        return f

    def _pinned(self, conn: Connection, app: ApplicationRow) -> Flow:
        current = self.policy.flows.get(app.flow_id)
        if current is not None and flow_revision(current) == app.flow_revision:
            return current
        definition = conn.execute(_SEL_FLOWDEF, {"flow_id": app.flow_id, "revision": app.flow_revision}).scalar()
        if definition is None:
            raise Conflict(f"申请 {app.id} 所用的流程版本 {app.flow_revision} 已找不到", code="flow-revision-missing")
        return _flow_from_json(json.dumps(definition, sort_keys=True))

    # ------------------------------------------------------------------ roles
    def _county_of_app(self, app: Application | ApplicationRow) -> str | None:
        u = self.index.units.get(app.applicant_unit)
        return u.county if u else None

    def roles_of(self, app: Application | ApplicationRow, unit: str, payload) -> set[str]:
        """The flow roles `unit` may play on `app`."""
        units = self.index.units
        u = units.get(unit)
        if unit == "system":
            return {"system"}
        if u is None:
            return set()
        rec = u.record
        county = self._county_of_app(app)
        roles: set[str] = set()
        applicant = units.get(app.applicant_unit)
        if applicant is not None and u.attributed == applicant.attributed:
            roles.add("applicant")
        declared = set(rec.flow_roles)
        if u.county == county and county is not None:
            roles |= declared & {"reviewer", "approver", "county"}
        if rec.kind == UnitKind.government and rec.level == Level.county and unit == county:
            roles |= {"approver", "county"}
        if county and rec.kind == UnitKind.government and rec.level == Level.city and units[county].record.parent == unit:
            roles.add("higher_approver")
        if "higher_approver" in declared:
            roles.add("higher_approver")
        townships = {units[t].township if units[t].kind == UnitKind.village else t
                     for t in app.targets if t in units}
        if unit in townships:
            roles.add("township")
        if isinstance(payload, AdjustmentRequest) and u.attributed in payload.departments:
            roles.add("department")
        return roles

    def _name(self, unit: str) -> str:
        u = self.index.units.get(unit)
        return u.name if u else unit
