"""The transition path: a step on an application (checks, separation of duties, guards, the
statechart's move, dates and the change feed), opinions and answers to dissent, the daily tick,
and the audit chain's write (`_log`) and refusals.  `StepsMixin` is mixed into
`service.Workflow`, which supplies the policy, the store, the locking and the roles."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy.engine import Connection
from sqlmodel import select

from ..language.enums import Term, UnitKind
from ..language.flow import Flow, Phase
from ..store.tables import Application, ApplicationRow, Opinion, OpinionRow, Refusal
from .errors import Conflict, Forbidden, Invalid, PreconditionFailed, Refused, WorkflowError
from .facts import OPINION_FACTS, PAST_FACTS, StepInput, compute
from .requests import AdmissionRequest, SecondmentRequest
from .statements import (
    _INS_CHANGE, _INS_LOG, _INS_OPINION, _SEL_OPINION_OF, _SEL_OPINIONS, _SEL_PAST, _crash_point, _parse_request,
    _require_person, commit_with_writes, entry_hash, pipelined, run, run_all, send,
)


class StepsMixin:
    """Steps, opinions, tick and the audit log."""

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
        prev_hash, app, read, history = self._lock(conn, app_id, past=True)
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
        past = _Past(conn, app.id, history)
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
        reason = step.reason or ("；".join(g["message"] for g in rejects + backs) or None)
        docs = {k: v for k, v in (("document", step.document), ("meeting", step.meeting)) if v}
        if step.effective:
            docs["effective"] = step.effective.isoformat()
        if step.passed is not None:
            docs["evaluation_passed"] = step.passed
        with pipelined(conn):  # the writes: one round trip
            self._enter_state(app, flow, to, step.on)
            self._effects(conn, app, flow, before, to, step, payload, past)
            entry = self._entry(app, step.action, before, to, step.unit, step.person, role, step.on, fired, reason,
                                docs, {}, prev_hash)
            self._save_app(conn, app, read)
            _crash_point("after-app")
            run(conn, _INS_LOG, entry)
            _crash_point("after-log")
            commit_with_writes(conn)
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
            start = step.effective or (payload.start if isinstance(payload, (AdmissionRequest, SecondmentRequest))
                                       else None) or step.on
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
            if isinstance(payload, SecondmentRequest):  # the staff return by the term's end; tick exits it after
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
            prev_hash, app, read, _ = self._lock(conn, app_id)
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
            with pipelined(conn):  # the opinion, the application and its log entry: one round trip
                added = self._add_opinion(conn, row)
                app.version += 1
                self._log(conn, app, read, "opinion", app.state, app.state, unit, person, consulted, on, [], text,
                          {"stance": stance}, {}, prev_hash)
            if not added():  # the unit had given one: the transaction rolls back
                raise Conflict(f"{self._name(unit)} 已给出意见", code="opinion-exists")
        return OpinionRow(**row)

    def answer_dissent(self, *, app_id: str, township: str, unit: str, person: str, text: str,
                       on: dt.date, if_match: int | None = None) -> Opinion:
        """The reviewer's written answer to a township's dissent (on version `if_match` when given,
        checked under the application's lock)."""
        _require_person(person)
        if not text:
            raise Invalid("答复不能为空", code="missing-input")
        with self.tx() as s:
            conn = s.connection()
            prev_hash, app, read, _ = self._lock(conn, app_id)
            if if_match is not None and app.version != if_match:
                raise PreconditionFailed(f"申请 {app_id} 已被他人修改（当前版本 {app.version}，请求版本 {if_match}）")
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
            self._log(conn, app, read, "answer", app.state, app.state, unit, person, "reviewer", on, [], text,
                      {"township": township}, {}, prev_hash)
            return op

    def _add_opinion(self, conn: Connection, row: dict):
        """Insert an opinion unless the unit has given one already; return a function that says
        whether it was inserted (on PostgreSQL the answer comes when the pipeline ends)."""
        if not self._sqlite:
            sent = send(conn, self._sql["opinion"], row)
            return lambda: sent.one() is not None
        if self._returning:
            added = run(conn, self._sql["opinion"], row, fetch=True) is not None
        elif conn.execute(_SEL_OPINION_OF, row).first() is not None:
            added = False
        else:
            conn.execute(_INS_OPINION, row)
            added = True
        return lambda: added


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
                          reason=f"借调于 {app.effective_until} 期满，人员返回乡镇（逾期未办结，自动退出）"
                          if app.kind == "secondment" else f"短期准入于 {app.effective_until} 期满，自动退出")
                exited.append(app.id)
            except WorkflowError:
                continue
        with self.tx() as s:
            conn = s.connection()
            units = self.index.units
            review = select(Application.id, Application.payload).where(
                Application.phase == Phase.review.value).order_by(Application.id)
            late = [i for i, payload in s.exec(review).all() if _opinions_late(payload, on)]
            for candidate in late:  # locked in id order (two ticks at once cannot deadlock), checked again
                prev_hash, app, read, _ = self._lock(conn, candidate)
                if app.phase != Phase.review.value or not _opinions_late(app.payload, on):
                    continue
                given = {o.unit for o in s.exec(select(Opinion).where(Opinion.application_id == app.id))}
                townships = sorted({units[t].township if units[t].kind == UnitKind.village else t
                                    for t in app.targets if t in units} - given)
                if not townships:
                    continue
                for t in townships:
                    s.add(Opinion(application_id=app.id, unit=t, person=None, stance="none",
                                  text="逾期未反馈，视为无意见", given_on=on))
                    silent += 1
                s.flush()  # the opinions go first, so the log follows the changes it records
                app.version += 1
                self._log(conn, app, read, "no-opinion", app.state, app.state, "system", "system", "system", on, [],
                          "征求意见期限已过", {"townships": townships}, {}, prev_hash)
            for app in s.exec(select(Application).where(Application.due < on, Application.overdue == False)):  # noqa: E712
                app.overdue = True
                s.add(app)
                overdue += 1
        return {"exited": exited, "no_opinion": silent, "overdue": overdue}

    # ------------------------------------------------------------------ audit log
    def _entry(self, app: ApplicationRow, action: str, before: str | None, to: str, unit: str, person: str,
               role: str, on: dt.date, guards: list, reason: str | None, documents: dict, payload: dict,
               prev_hash: str) -> dict:
        """The log entry of a step on `app`, linked to `prev_hash` (the application's newest entry,
        or for its first the first entry of the application numbered before it); `app.log_head`
        becomes its hash, so writing the application back moves its chain's end with it."""
        row = {"application_id": app.id, "action": action, "from_state": before, "to_state": to, "unit": unit,
               "person": person, "role": role, "at": dt.datetime.now(dt.timezone.utc), "on_date": on,
               "guards": guards, "reason": reason, "documents": documents, "payload": payload,
               "prev_hash": prev_hash}
        row["hash"] = app.log_head = entry_hash(SimpleNamespace(**row))
        return row

    def _log(self, conn: Connection, app: ApplicationRow, read: tuple, *entry) -> None:
        """Append `_entry(app, *entry)` and write the application back (both in one round trip)."""
        row = self._entry(app, *entry)
        with pipelined(conn):
            self._save_app(conn, app, read)
            run(conn, _INS_LOG, row)

    def _refuse(self, app_id: str | None, action: str, unit: str, person: str, role: str, reasons: list) -> None:
        with self.tx() as s:
            s.add(Refusal(application_id=app_id, action=action, unit=unit, person=person, role=role,
                          reasons=reasons or [{"message": "refused"}]))


class _Past:
    """From an application's log: who reviewed it (units, people) and when it was last approved.
    PostgreSQL reads it with the lock (the same round trip); SQLite on first use (most steps need
    none of it)."""

    __slots__ = ("_conn", "_app_id", "_rows", "_reviewers", "_approved_on")

    def __init__(self, conn: Connection, app_id: str, rows: list | None = None):
        self._conn, self._app_id, self._rows, self._reviewers, self._approved_on = conn, app_id, rows, None, None

    def _read(self) -> None:
        rows = self._rows if self._rows is not None else run_all(self._conn, _SEL_PAST, {"id": self._app_id})
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


def _opinions_late(payload, on: dt.date) -> bool:
    """The application's opinion deadline has passed by `on`."""
    due = payload.get("_opinion_due") if isinstance(payload, dict) else None
    return bool(due) and on > dt.date.fromisoformat(due)


def _add_change(conn: Connection, kind: str, app_id: str, payload: dict) -> None:
    run(conn, _INS_CHANGE, {"kind": kind, "application_id": app_id, "payload": payload,
                            "at": dt.datetime.now(dt.timezone.utc)})


class _RefusedInside(Exception):
    """Carries a refusal out of the step's transaction so it rolls back before it is recorded."""

    def __init__(self, error: WorkflowError, role: str, details: list):
        self.error, self.role, self.details = error, role, details or [{"code": error.code, "message": error.message}]


def _given(step: StepInput, name: str) -> bool:
    return {"reason": step.reason, "document": step.document, "meeting": step.meeting,
            "effective": step.effective, "passed": step.passed}.get(name) not in (None, "")
