"""The workflow service: apply, take a step, give an opinion, answer a dissent, tick, read.

Every step runs in one database transaction: lock the application (and the audit chain), check
the ETag, the transition from the current state, the acting unit's role and separation of
duties, the required fields; compute the facts; let the rules engine evaluate the guards and move
the statechart; write the application, the hash-chained log entry and the change feed; commit.
A refused step changes no application: the refusal is recorded in its own transaction.  A crash
anywhere before the commit leaves the old state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import weakref
from collections.abc import Iterator
from types import SimpleNamespace
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import ValidationError
from sqlalchemy import bindparam, func, insert, text, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, select

from ..compile.index import Index
from ..language import Policy
from ..language.entities import AdmissionRecord, Exit
from ..language.enums import AdmissionState, Level, Term, UnitKind
from ..language.flow import Flow, Phase
from ..store.db import is_sqlite
from ..store.tables import (
    Application, ApplicationRow, Change, Counter, FlowDefinition, Opinion, OpinionRow, Refusal, TransitionLog,
    utcnow,
)
from .calendar import WorkCalendar
from .engine import flow_engine
from .facts import OPINION_FACTS, PAST_FACTS, StepInput, compute
from .requests import AdjustmentRequest, AdmissionRequest

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
_LAST_HASH = core_select(_LOG.c.hash).order_by(_LOG.c.seq.desc()).limit(1)
# the application row and the hash the audit chain ends with, in one statement (read after the
# chain is locked); the row's columns come first, in table order (`ApplicationRow.from_row`)
_SEL_APP = core_select(_APP, _LAST_HASH.scalar_subquery().label("last_hash")).where(_APP.c.id == bindparam("id"))
_SEL_APP_FOR_UPDATE = _SEL_APP.with_for_update(of=_APP)
_SEL_PAST = core_select(_LOG.c.unit, _LOG.c.person, _LOG.c.role, _LOG.c.action, _LOG.c.on_date).where(
    _LOG.c.application_id == bindparam("id")).order_by(_LOG.c.seq)
_SEL_OPINIONS = core_select(_OPINION).where(_OPINION.c.application_id == bindparam("id"))
_SEL_FLOWDEF = core_select(_FLOWDEF.c.definition).where(_FLOWDEF.c.flow_id == bindparam("flow_id"),
                                                        _FLOWDEF.c.revision == bindparam("revision"))
_MUTABLE = ("state", "phase", "payload", "version", "state_since", "due", "overdue", "effective_from",
            "effective_until", "exited_on", "updated_at")
_MUTABLE_AT = tuple((name, _APP_FIELDS.index(name)) for name in _MUTABLE)
_UPDATES: dict[tuple[str, ...], object] = {}  # the columns a step changed -> its UPDATE
_INS_APP = insert(_APP)
_INS_LOG = insert(_LOG)
_INS_CHANGE = insert(_CHANGE)
_INS_FLOWDEF = insert(_FLOWDEF)
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
# SQLite has RETURNING from 3.35; older libraries take the two-statement paths below
_SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)
_SEL_COUNTER = core_select(_COUNTER.c.value).where(_COUNTER.c.name == bindparam("counter"))
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
        # the next application number, and the hash the audit chain ends with (read once the
        # chain is locked): one statement; the counter row stays locked until commit
        "bump": bump.on_conflict_do_update(index_elements=[_COUNTER.c.name], set_={"value": _COUNTER.c.value + 1})
        .returning(_COUNTER.c.value, _LAST_HASH.scalar_subquery()),
        # an opinion, unless the unit already gave one (the unique constraint decides)
        "opinion": ins(_OPINION).on_conflict_do_nothing(
            index_elements=[_OPINION.c.application_id, _OPINION.c.unit]).returning(_OPINION.c.id),
    }


_DIALECT = {name: _dialect_statements(name) for name in ("sqlite", "postgresql")}
CHAIN_LOCK = 0x61646D69  # advisory lock key of the audit chain ("admi")


# --------------------------------------------------------------------------- errors
class WorkflowError(Exception):
    """A step that cannot be taken; `status` follows HTTP (the API maps it to problem+json)."""

    status = 400
    code = "workflow-error"

    def __init__(self, message: str, *, code: str | None = None, details: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or []


class NotFound(WorkflowError):
    status, code = 404, "not-found"


class Forbidden(WorkflowError):
    status, code = 403, "forbidden"


class Conflict(WorkflowError):
    status, code = 409, "conflict"


class PreconditionFailed(WorkflowError):
    status, code = 412, "stale-etag"


class Invalid(WorkflowError):
    status, code = 422, "invalid"


class Refused(WorkflowError):
    """A guard rule with effect `block` fired."""

    status, code = 409, "refused-by-guard"


# --------------------------------------------------------------------------- context
@dataclass
class Workflow:
    """The service over one store and one loaded policy."""

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
        self._returning = _SQLITE_RETURNING or not self._sqlite

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
        BEGIN IMMEDIATE on SQLite (store.db); commit at the end, roll back on any exception."""
        with self.db.begin() as conn:
            yield conn

    def _lock(self, conn: Connection, app_id: str) -> tuple[str, ApplicationRow, tuple]:
        """Lock the audit chain, then the application row; return the hash the chain ends with,
        the row (a plain object, written back with `_save_app`) and its values as read.  SQLite
        transactions are already serialised (BEGIN IMMEDIATE); PostgreSQL takes the chain's
        transaction advisory lock, then reads the row FOR UPDATE (and the chain's end, in the same
        statement, once it holds the lock); both locks are released at commit or rollback."""
        if self._sqlite:
            row = conn.execute(_SEL_APP, {"id": app_id}).first()
        else:
            conn.execute(_ADVISORY_LOCK, {"k": CHAIN_LOCK})
            row = conn.execute(_SEL_APP_FOR_UPDATE, {"id": app_id}).first()
        if row is None:
            raise NotFound(f"申请 {app_id} 不存在", code="no-such-application")
        return row[-1] or GENESIS, ApplicationRow.from_row(row), tuple(row)

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
        conn.execute(stmt, params)

    def _lock_chain(self, conn: Connection) -> str:
        """Serialise writers of the audit chain (as `_lock`); return the hash of its last entry."""
        if not self._sqlite:
            conn.execute(_ADVISORY_LOCK, {"k": CHAIN_LOCK})
        return conn.execute(_LAST_HASH).scalar() or GENESIS

    def _next_id(self, conn: Connection, on: dt.date) -> tuple[str, str]:
        """Lock the audit chain (as `_lock`), then take the next application number; return it
        and the hash the chain ends with."""
        name = f"app-{on.year}"
        if self._returning:
            if not self._sqlite:
                conn.execute(_ADVISORY_LOCK, {"k": CHAIN_LOCK})
            value, last = conn.execute(self._sql["bump"], {"name": name}).one()
            last = last or GENESIS
        else:  # old SQLite: its transaction is serialised already (BEGIN IMMEDIATE)
            last = self._lock_chain(conn)
            if conn.execute(_UPD_COUNTER, {"counter": name}).rowcount == 0:
                conn.execute(_INS_COUNTER, {"name": name, "value": 1})
            value = conn.execute(_SEL_COUNTER, {"counter": name}).scalar_one()
        return f"WF-{on.year}-{value:06d}", last

    def _add_opinion(self, conn: Connection, row: dict) -> bool:
        """Insert an opinion unless the unit has given one already (False then)."""
        if self._returning:
            return conn.execute(self._sql["opinion"], row).first() is not None
        if conn.execute(_SEL_OPINION_OF, row).first() is not None:
            return False
        conn.execute(_INS_OPINION, row)
        return True

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

    def _remember_flow(self, conn: Connection, flow: Flow, revision: str) -> None:
        if (flow.id, revision) in self._remembered:
            return
        if conn.execute(_SEL_FLOWDEF, {"flow_id": flow.id, "revision": revision}).first() is None:
            conn.execute(_INS_FLOWDEF, {"flow_id": flow.id, "revision": revision, "first_seen": utcnow(),
                                        "definition": flow.model_dump(mode="json", by_alias=True)})

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

    # ------------------------------------------------------------------ apply
    def apply(self, *, flow_id: str, unit: str, person: str, request: dict, on: dt.date) -> ApplicationRow:
        """Submit an application (the apply step); guards of the `apply` transition run first."""
        flow = self.flow(flow_id)
        payload = _parse_request(flow, request)
        revision = flow_revision(flow)
        _require_person(person)
        if unit not in self.index.units:
            raise Invalid(f"申请单位 {unit} 不存在", code="unknown-unit")
        unknown = [x for x in _referenced_ids(payload) if x not in self.index.units and x not in self.policy.matters
                   and x not in self.policy.bases]
        if unknown:
            raise Invalid(f"申请引用了不存在的标识：{'、'.join(unknown)}", code="unknown-id",
                          details=[{"id": x} for x in unknown])
        applicant_info = self.index.units[unit]
        if flow.kind.value == "admission" and applicant_info.kind not in (UnitKind.department, UnitKind.dispatched,
                                                                           UnitKind.task_force):
            raise Forbidden("事项准入由部门以自己的名义申请", code="applicant-not-department")
        if flow.kind.value == "adjustment" and unit != payload.township:
            raise Forbidden("动态调整由乡镇(街道)为自己申请", code="applicant-not-township")
        targets = list(payload.targets) if isinstance(payload, AdmissionRequest) else [payload.township]
        app = ApplicationRow(
            id="(new)", flow_id=flow.id, flow_revision=revision, kind=flow.kind.value, state=flow.initial,
            phase=flow.state(flow.initial).phase.value, applicant_unit=applicant_info.attributed
            if flow.kind.value == "admission" else unit, applicant_person=person, matter=payload.matter,
            targets=targets, payload=payload.model_dump(mode="json"), state_since=on)
        apply_t = [i for i, t in enumerate(flow.transitions) if t.action == "apply"]
        step = StepInput("apply", unit, person, on)
        fired: list[dict] = []
        if apply_t:
            fired = self._guards(flow, revision, apply_t[0], app, payload, step)
            blocking = [g for g in fired if g["fired"] and g["effect"] != "none"]
            if blocking:
                self._refuse(None, "apply", unit, person, "applicant", blocking)
                raise Refused("申请未通过：" + "；".join(g["message"] for g in blocking), details=blocking)
        with self._write() as conn:
            self._remember_flow(conn, flow, revision)
            app.id, prev_hash = self._next_id(conn, on)
            self._enter_state(app, flow, flow.initial, on)
            conn.execute(_INS_APP, app.values())
            self._log(conn, app, "apply", None, app.state, unit, person, "applicant", on, fired, None, {}, request,
                      prev_hash=prev_hash)
        self._remembered.add((flow.id, revision))  # only once it is committed
        return app

    # ------------------------------------------------------------------ steps
    def step(self, *, app_id: str, action: str, unit: str, person: str, on: dt.date, reason: str | None = None,
             document: str | None = None, meeting: str | None = None, effective: dt.date | None = None,
             passed: bool | None = None, if_match: int | None = None) -> ApplicationRow:
        """Take `action` on an application, or raise a `WorkflowError` having changed nothing."""
        _require_person(person)
        step = StepInput(action, unit, person, on, reason, document, meeting, effective, passed)
        try:
            with self._write() as conn:
                return self._step(conn, app_id, step, if_match)
        except _RefusedInside as refused:
            self._refuse(app_id, action, unit, person, refused.role, refused.details)
            raise refused.error from None

    def _step(self, conn: Connection, app_id: str, step: StepInput, if_match: int | None) -> ApplicationRow:
        prev_hash, app, read = self._lock(conn, app_id)
        if if_match is not None and app.version != if_match:
            raise PreconditionFailed(f"申请 {app_id} 已被他人修改（当前版本 {app.version}，请求版本 {if_match}）")
        flow = self._pinned(conn, app)
        revision = app.flow_revision
        named = [i for i, t in enumerate(flow.transitions) if t.action == step.action]
        if step.action == "apply":
            raise Invalid("apply 是提交申请，不是已有申请的步骤", code="no-such-action")
        if not named:
            raise Invalid(f"流程 {flow.id} 没有步骤 '{step.action}'", code="no-such-action")
        usable = [i for i in named if app.state in flow.transitions[i].source]
        if not usable:
            state = flow.state(app.state)
            raise Conflict(f"申请 {app_id} 处于“{state.name}”（{app.state}），不能办理 {step.action}",
                           code="no-transition")
        payload = _parse_request(flow, app.payload)
        roles = self.roles_of(app, step.unit, payload)
        ti = next((i for i in usable if roles & set(flow.transitions[i].roles)), None)
        if ti is None:
            wanted = "、".join(sorted({r for i in usable for r in flow.transitions[i].roles}))
            raise _RefusedInside(Forbidden(f"{self._name(step.unit)} 无权办理 {step.action}（需要角色：{wanted}）",
                                           code="role-not-allowed"), "-", [])
        t = flow.transitions[ti]
        role = next(r for r in t.roles if r in roles)
        missing = [r for r in t.requires if not _given(step, r)]
        if missing:
            raise Invalid(f"{step.action} 必须填写：{'、'.join(missing)}", code="missing-input")
        past = _Past(conn, app.id)
        self._separation_of_duties(app, step, role, past)
        fired = self._guards(flow, revision, ti, app, payload, step, conn, past)
        blocking = [g for g in fired if g["fired"] and g["effect"] == "block"]
        if blocking:
            raise _RefusedInside(Refused("；".join(g["message"] for g in blocking), details=blocking), role, blocking)
        rejects = [g for g in fired if g["fired"] and g["effect"] == "reject"]
        backs = [g for g in fired if g["fired"] and g["effect"] == "send_back"]
        before = app.state
        if rejects:
            to = flow.on_reject
        elif backs:
            to = flow.on_send_back
        else:
            to = self.engine.move(self.engine.compile(flow, revision), app.state, ti)
        _crash_point("before-write")
        self._enter_state(app, flow, to, step.on)
        self._effects(conn, app, flow, before, to, step, payload, past)
        reason = step.reason or ("；".join(g["message"] for g in rejects + backs) or None)
        docs = {k: v for k, v in (("document", step.document), ("meeting", step.meeting)) if v}
        if step.effective:
            docs["effective"] = step.effective.isoformat()
        if step.passed is not None:
            docs["evaluation_passed"] = step.passed
        self._save_app(conn, app, read)
        _crash_point("after-app")
        self._log(conn, app, step.action, before, to, step.unit, step.person, role, step.on, fired, reason, docs,
                  {}, prev_hash=prev_hash)
        _crash_point("after-log")
        return app

    def _separation_of_duties(self, app: ApplicationRow, step: StepInput, role: str, past: _Past) -> None:
        if role not in ("approver", "higher_approver"):
            if role == "reviewer" and (step.person == app.applicant_person or
                                       self.index.units[step.unit].attributed == app.applicant_unit):
                raise _RefusedInside(Forbidden("审核人不能是申请人或申请单位", code="separation-of-duties"), role, [])
            return
        reviewer_units, reviewer_people = past.reviewers
        unit = self.index.units[step.unit]
        if (step.person == app.applicant_person or step.person in reviewer_people
                or unit.attributed == app.applicant_unit or step.unit in reviewer_units):
            raise _RefusedInside(Forbidden("审批人（单位）不能是本申请的申请人或审核人（单位）",
                                           code="separation-of-duties"), role, [])

    def _guards(self, flow: Flow, revision: str, ti: int, app: ApplicationRow, payload, step: StepInput,
                conn: Connection | None = None, past: _Past | None = None) -> list[dict]:
        """Evaluate the guards of transition `ti`.  The opinions and the log (`past`) are read
        only when one of its guards reads a fact computed from them; without `conn` (applying)
        there are none."""
        t = flow.transitions[ti]
        if not t.guards:
            return []
        compiled = self.engine.compile(flow, revision)
        reads = compiled.reads[ti]
        opinions = (conn.execute(_SEL_OPINIONS, {"id": app.id}).all()
                    if conn is not None and reads & OPINION_FACTS else [])
        reviewers, approved_on = ((past.reviewers, past.approved_on) if past is not None and reads & PAST_FACTS
                                  else ((set(), set()), None))
        opinion_due = app.payload.get("_opinion_due") if isinstance(app.payload, dict) else None
        facts = compute(
            index=self.index, calendar=self.calendar, flow_params=flow.params, kind=flow.kind.value,
            request=payload, applicant_unit=app.applicant_unit, applicant_person=app.applicant_person,
            reviewers=reviewers, opinions=opinions,
            opinion_deadline=dt.date.fromisoformat(opinion_due) if opinion_due else None,
            approved_on=approved_on, step=step, targets=list(app.targets))
        fired = set(self.engine.fired_guards(compiled, ti, facts))
        return [{"guard": g.id, "fired": i in fired, "effect": g.effect.value, "message": g.message}
                for i, g in enumerate(t.guards)]

    def _enter_state(self, app: ApplicationRow, flow: Flow, state_id: str, on: dt.date) -> None:
        state = flow.state(state_id)
        app.state = state_id
        app.phase = state.phase.value
        app.state_since = on
        app.overdue = False
        app.due = None
        if state.deadline:
            dl = state.deadline
            app.due = (self.calendar.add_working_days(on, dl.working_days) if dl.working_days
                       else on + dt.timedelta(days=dl.days))
        if state.phase == Phase.review and "_opinion_due" not in app.payload:
            days = flow.params.get("opinion_working_days", 10)
            app.payload = {**app.payload, "_opinion_due": self.calendar.add_working_days(on, days).isoformat()}
        app.version = (app.version or 0) + 1
        app.updated_at = dt.datetime.now(dt.timezone.utc)

    def _effects(self, conn: Connection, app: ApplicationRow, flow: Flow, before: str, to: str, step: StepInput,
                 payload, past: _Past) -> None:
        """Dates and the change feed when an application enters or leaves the enter phase."""
        old = flow.state(before).phase
        new = flow.state(to).phase
        if new == Phase.enter and old != Phase.enter:
            start = step.effective or (payload.start if isinstance(payload, AdmissionRequest) else None) or step.on
            approved = past.approved_on
            if approved and start < approved:
                raise Invalid(f"进入日期 {start} 不能早于批准日期 {approved}", code="effective-before-approval")
            app.effective_from = start
            if flow.kind.value == "adjustment":
                _add_change(conn, "adjustment-decided", app.id,
                            {**payload.model_dump(mode="json"), "effective": start.isoformat()})
                return
            if isinstance(payload, AdmissionRequest) and payload.term == Term.short:
                app.effective_until = payload.end
            _add_change(conn, "admission-entered", app.id,
                        {"matter": app.matter, "targets": app.targets, "from": start.isoformat(),
                         "until": app.effective_until.isoformat() if app.effective_until else None})
        elif old == Phase.enter and new != Phase.enter:
            last = step.on
            if app.effective_until and app.effective_until < last:
                last = app.effective_until
            app.exited_on = last
            _add_change(conn, "admission-exited", app.id,
                        {"matter": app.matter, "targets": app.targets, "last_day": last.isoformat(),
                         "reason": step.reason})

    # ------------------------------------------------------------------ opinions
    def give_opinion(self, *, app_id: str, unit: str, person: str, stance: str, text: str | None,
                     on: dt.date, if_match: int | None = None) -> OpinionRow:
        """A target township's (or, for an adjustment, a concerned department's) opinion."""
        _require_person(person)
        if stance not in ("agree", "dissent"):
            raise Invalid("意见只能是 agree（同意）或 dissent（不同意）", code="bad-stance")
        if stance == "dissent" and not text:
            raise Invalid("不同意须写明理由", code="missing-input")
        with self._write() as conn:
            prev_hash, app, read = self._lock(conn, app_id)
            if if_match is not None and app.version != if_match:
                raise PreconditionFailed(f"申请 {app_id} 已被他人修改")
            if app.phase != Phase.review.value:
                raise Conflict(f"申请 {app_id} 不在审核阶段，不能再给意见", code="not-in-review")
            flow = self._pinned(conn, app)
            payload = _parse_request(flow, app.payload)
            roles = self.roles_of(app, unit, payload)
            consulted = "department" if flow.kind.value == "adjustment" else "township"
            if consulted not in roles:
                raise Forbidden(f"{self._name(unit)} 不是本申请征求意见的单位", code="not-consulted")
            row = {"application_id": app_id, "unit": unit, "person": person, "stance": stance, "text": text,
                   "given_on": on}
            if not self._add_opinion(conn, row):
                raise Conflict(f"{self._name(unit)} 已给出意见", code="opinion-exists")
            app.version += 1
            self._save_app(conn, app, read)
            self._log(conn, app, "opinion", app.state, app.state, unit, person, consulted, on, [], text,
                      {"stance": stance}, {}, prev_hash=prev_hash)
        return OpinionRow(**row)

    def answer_dissent(self, *, app_id: str, township: str, unit: str, person: str, text: str,
                       on: dt.date) -> Opinion:
        """The reviewer's written answer to a township's dissent."""
        _require_person(person)
        if not text:
            raise Invalid("答复不能为空", code="missing-input")
        with self.tx() as s:
            conn = s.connection()
            prev_hash, app, read = self._lock(conn, app_id)
            flow = self._pinned(conn, app)
            if "reviewer" not in self.roles_of(app, unit, _parse_request(flow, app.payload)):
                raise Forbidden(f"{self._name(unit)} 不是审核机构", code="role-not-allowed")
            op = s.exec(select(Opinion).where(Opinion.application_id == app_id, Opinion.unit == township)).first()
            if op is None or op.stance != "dissent":
                raise Conflict(f"{self._name(township)} 没有不同意见需要答复", code="no-dissent")
            op.answer, op.answered_by, op.answered_on = text, person, on
            s.add(op)
            s.flush()  # what the ORM holds goes first, so the log follows the changes it records
            app.version += 1
            self._save_app(conn, app, read)
            self._log(conn, app, "answer", app.state, app.state, unit, person, "reviewer", on, [], text,
                      {"township": township}, {}, prev_hash=prev_hash)
            return op

    # ------------------------------------------------------------------ time
    def tick(self, *, on: dt.date) -> dict:
        """Exit due short-term admissions, record silence as "no opinion", flag overdue steps.
        Idempotent: a second run on the same day changes nothing."""
        exited, silent, overdue = [], 0, 0
        with self.tx() as s:
            due = s.exec(select(Application).where(Application.phase == Phase.enter.value,
                                                   Application.effective_until < on)).all()
        for app in due:
            flow = self.policy.flows.get(app.flow_id)
            exit_t = [t for t in (flow.transitions if flow else []) if t.action == "exit" and app.state in t.source]
            if not exit_t:
                continue
            try:
                self.step(app_id=app.id, action="exit", unit="system", person="system", on=on,
                          reason=f"短期准入于 {app.effective_until} 期满，自动退出")
                exited.append(app.id)
            except WorkflowError:
                continue
        with self.tx() as s:
            prev_hash = self._lock_chain(s.connection())
            rows = s.exec(select(Application).where(Application.phase == Phase.review.value)).all()
            for app in rows:
                opinion_due = app.payload.get("_opinion_due")
                if not opinion_due or on <= dt.date.fromisoformat(opinion_due):
                    continue
                given = {o.unit for o in s.exec(select(Opinion).where(Opinion.application_id == app.id))}
                units = self.index.units
                townships = sorted({units[t].township if units[t].kind == UnitKind.village else t
                                    for t in app.targets if t in units} - given)
                for t in townships:
                    s.add(Opinion(application_id=app.id, unit=t, person=None, stance="none",
                                  text="逾期未反馈，视为无意见", given_on=on))
                    silent += 1
                if townships:
                    app.version += 1
                    s.add(app)
                    s.flush()  # the ORM's changes go first, so the log follows the changes it records
                    prev_hash = self._log(s.connection(), app, "no-opinion", app.state, app.state, "system", "system",
                                          "system", on, [], "征求意见期限已过", {"townships": townships}, {},
                                          prev_hash=prev_hash)
            for app in s.exec(select(Application).where(Application.due < on, Application.overdue == False)):  # noqa: E712
                app.overdue = True
                s.add(app)
                overdue += 1
        return {"exited": exited, "no_opinion": silent, "overdue": overdue}

    # ------------------------------------------------------------------ audit log
    def _log(self, conn: Connection, app: ApplicationRow | Application, action: str, before: str | None, to: str,
             unit: str, person: str, role: str, on: dt.date, guards: list, reason: str | None, documents: dict,
             payload: dict, prev_hash: str | None = None) -> str:
        if prev_hash is None:
            prev_hash = self._lock_chain(conn)
        row = {"application_id": app.id, "action": action, "from_state": before, "to_state": to, "unit": unit,
               "person": person, "role": role, "at": dt.datetime.now(dt.timezone.utc), "on_date": on,
               "guards": guards, "reason": reason, "documents": documents, "payload": payload,
               "prev_hash": prev_hash}
        row["hash"] = entry_hash(SimpleNamespace(**row))
        conn.execute(_INS_LOG, row)
        return row["hash"]

    def _refuse(self, app_id: str | None, action: str, unit: str, person: str, role: str, reasons: list) -> None:
        with self.tx() as s:
            s.add(Refusal(application_id=app_id, action=action, unit=unit, person=person, role=role,
                          reasons=reasons or [{"message": "refused"}]))

    def _name(self, unit: str) -> str:
        u = self.index.units.get(unit)
        return u.name if u else unit

    # ------------------------------------------------------------------ reading
    def get(self, app_id: str) -> Application:
        with self.tx() as s:
            app = s.get(Application, app_id)
            if app is None:
                raise NotFound(f"申请 {app_id} 不存在", code="no-such-application")
            return app

    def history(self, app_id: str) -> list[TransitionLog]:
        with self.tx() as s:
            if s.get(Application, app_id) is None:
                raise NotFound(f"申请 {app_id} 不存在", code="no-such-application")
            return list(s.exec(select(TransitionLog).where(TransitionLog.application_id == app_id)
                               .order_by(TransitionLog.seq)))

    def opinions(self, app_id: str) -> list[Opinion]:
        with self.tx() as s:
            return list(s.exec(select(Opinion).where(Opinion.application_id == app_id).order_by(Opinion.id)))

    def refusals(self, app_id: str | None = None) -> list[Refusal]:
        with self.tx() as s:
            stmt = select(Refusal).order_by(Refusal.id)
            if app_id:
                stmt = stmt.where(Refusal.application_id == app_id)
            return list(s.exec(stmt))

    def list(self, *, state: str | None = None, phase: str | None = None, applicant: str | None = None,
             matter: str | None = None, flow_id: str | None = None, overdue: bool | None = None,
             offset: int = 0, limit: int = 50) -> tuple[list[Application], int]:
        with self.tx() as s:
            stmt = select(Application)
            for col, value in ((Application.state, state), (Application.phase, phase),
                               (Application.applicant_unit, applicant), (Application.matter, matter),
                               (Application.flow_id, flow_id), (Application.overdue, overdue)):
                if value is not None:
                    stmt = stmt.where(col == value)
            total = s.exec(select(func.count()).select_from(stmt.subquery())).one()
            rows = list(s.exec(stmt.order_by(Application.id).offset(offset).limit(limit)))
            return rows, total

    def dossier(self, app_id: str) -> dict:
        """The complete record of one application as the county files it."""
        app = self.get(app_id)
        return {
            "application": _app_dict(app),
            "history": [_log_dict(e) for e in self.history(app_id)],
            "opinions": [o.model_dump(mode="json") for o in self.opinions(app_id)],
            "refusals": [r.model_dump(mode="json") for r in self.refusals(app_id)],
        }

    def decided_adjustments(self) -> list[tuple[dict, dt.date, str]]:
        """Decided dynamic adjustments in the order they take effect."""
        with self.tx() as s:
            rows = s.exec(select(Application).where(Application.kind == "adjustment",
                                                    Application.phase == Phase.enter.value)
                          .order_by(Application.effective_from, Application.id)).all()
        return [({k: v for k, v in a.payload.items() if not k.startswith("_")}, a.effective_from, a.id) for a in rows]

    def admission_records(self) -> tuple[list[AdmissionRecord], int]:
        """Admissions the workflow entered (and exited), for the decision index; and the admission
        sequence (the last change seen)."""
        return stored_admissions(self.db)

    def changes(self, since: int = 0, limit: int = 1000) -> list[Change]:
        with self.tx() as s:
            return list(s.exec(select(Change).where(Change.seq > since).order_by(Change.seq).limit(limit)))

    def verify_chain(self) -> list[str]:
        """Problems in the audit chain (empty when intact): recomputed hashes and links."""
        problems = []
        prev = GENESIS
        with self.tx() as s:
            for e in s.exec(select(TransitionLog).order_by(TransitionLog.seq)):
                if e.prev_hash != prev:
                    problems.append(f"第 {e.seq} 条的前序哈希与第 {e.seq - 1} 条不符（链被截断或插入）")
                if entry_hash(e) != e.hash:
                    problems.append(f"第 {e.seq} 条内容与其哈希不符（记录被篡改）")
                prev = e.hash
        return problems

    def check_flow_revisions(self) -> list[str]:
        """A new flow revision may not remove a state that still holds applications."""
        problems = []
        with self.tx() as s:
            rows = s.exec(select(Application.flow_id, Application.state, func.count()).where(
                Application.phase.not_in([Phase.closed.value])).group_by(Application.flow_id, Application.state)).all()
        for flow_id, state, n in rows:
            flow = self.policy.flows.get(flow_id)
            if flow is None:
                problems.append(f"流程 {flow_id} 已被删除，但仍有 {n} 件申请处于 {state}")
            elif state not in {st.id for st in flow.states}:
                problems.append(f"流程 {flow_id} 的新版本删除了状态 {state}，但仍有 {n} 件申请处于该状态")
        return problems


class _Past:
    """From an application's log, read on first use (most steps need none of it): who reviewed it
    (units, people) and when it was last approved."""

    __slots__ = ("_conn", "_app_id", "_reviewers", "_approved_on")

    def __init__(self, conn: Connection, app_id: str):
        self._conn, self._app_id, self._reviewers, self._approved_on = conn, app_id, None, None

    def _read(self) -> None:
        rows = self._conn.execute(_SEL_PAST, {"id": self._app_id}).all()
        self._reviewers = ({r[0] for r in rows if r[2] == "reviewer"}, {r[1] for r in rows if r[2] == "reviewer"})
        approved = [r[4] for r in rows if r[3] in ("approve", "approve_higher")]
        self._approved_on = approved[-1] if approved else None

    @property
    def reviewers(self) -> tuple[set[str], set[str]]:
        if self._reviewers is None:
            self._read()
        return self._reviewers

    @property
    def approved_on(self) -> dt.date | None:
        if self._reviewers is None:
            self._read()
        return self._approved_on


def _add_change(conn: Connection, kind: str, app_id: str, payload: dict) -> None:
    conn.execute(_INS_CHANGE, {"kind": kind, "application_id": app_id, "payload": payload,
                                         "at": dt.datetime.now(dt.timezone.utc)})


class _RefusedInside(Exception):
    """Carries a refusal out of the step's transaction so it rolls back before it is recorded."""

    def __init__(self, error: WorkflowError, role: str, details: list):
        self.error, self.role, self.details = error, role, details or [{"code": error.code, "message": error.message}]


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


@lru_cache(maxsize=64)
def _flow_from_json(text: str) -> Flow:
    return Flow.model_validate(json.loads(text))


def _parse_request(flow: Flow, data: dict):
    model = AdmissionRequest if flow.kind.value == "admission" else AdjustmentRequest
    clean = {k: v for k, v in data.items() if not k.startswith("_")} if isinstance(data, dict) else data
    try:
        return model.model_validate(clean)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise Invalid("申请内容不完整或有误：" + "；".join(f"{d['field']}: {d['message']}" for d in details),
                      code="invalid-request", details=details) from None


def _referenced_ids(payload) -> list[str]:
    if isinstance(payload, AdmissionRequest):
        return [payload.matter, payload.basis, *payload.targets]
    return [x for x in (payload.township, payload.matter, payload.lead, payload.taken_by, *payload.departments) if x]


def _require_person(person: str) -> None:
    if not person or not person.strip():
        raise Invalid("必须写明经办人", code="missing-person")


def _given(step: StepInput, name: str) -> bool:
    return {"reason": step.reason, "document": step.document, "meeting": step.meeting,
            "effective": step.effective, "passed": step.passed}.get(name) not in (None, "")


def entry_hash(e: TransitionLog) -> str:
    body = {
        "application_id": e.application_id, "action": e.action, "from": e.from_state, "to": e.to_state,
        "unit": e.unit, "person": e.person, "role": e.role, "on": e.on_date.isoformat(),
        "guards": e.guards, "reason": e.reason, "documents": e.documents, "payload": e.payload,
        "prev": e.prev_hash,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def stored_admissions(db: Engine) -> tuple[list[AdmissionRecord], int]:
    """Admissions the workflow store holds as entered (and exited), and the admission sequence:
    all a decision index needs of the store (read by replicas that run no workflow too)."""
    with Session(db, expire_on_commit=False) as s, s.begin():
        rows = s.exec(select(Application).where(Application.kind == "admission",
                                                Application.effective_from.is_not(None))).all()
        seq = s.exec(select(func.max(Change.seq))).one() or 0
    return [_as_record(a) for a in rows], seq


def _as_record(app: Application) -> AdmissionRecord:
    p = app.payload
    exited = app.exited_on is not None
    return AdmissionRecord.model_construct(
        id=app.id, matter=app.matter, applicant=app.applicant_unit, targets=list(app.targets),
        term=Term(p["term"]), basis=p["basis"], since=app.effective_from, until=app.effective_until,
        state=AdmissionState.exited if exited else AdmissionState.entered, document=None,
        exit=Exit.model_construct(date=app.exited_on, reason="") if exited else None)


def _app_dict(app: Application) -> dict:
    out = app.model_dump(mode="json")
    out["payload"] = {k: v for k, v in app.payload.items() if not k.startswith("_")}
    out["opinion_due"] = app.payload.get("_opinion_due")
    out["etag"] = f'"{app.version}"'
    return out


def _log_dict(e: TransitionLog) -> dict:
    return e.model_dump(mode="json")


def _crash_point(name: str) -> None:
    """Test hook: `ADMISSION_CRASH_AT=<name>` kills the process there (crash-safety tests)."""
    if os.environ.get("ADMISSION_CRASH_AT") == name:
        os._exit(137)
