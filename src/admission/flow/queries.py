"""Read-only queries of the workflow store: an application, its history, opinions and refusals,
lists, the dossier, decided adjustments and stored admissions, the change feed, and checks of
the audit chain and of flow revisions.  `QueriesMixin` is mixed into `service.Workflow`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..language.entities import AdmissionRecord, Exit
from ..language.enums import AdmissionState, Term
from ..language.registers import Approval, Secondment
from ..language.flow import Phase
from ..store.tables import Application, Change, Counter, Opinion, Refusal, TransitionLog
from .errors import NotFound
from .statements import CHAIN_CUT, GENESIS, entry_hash


class QueriesMixin:
    """Reading the store."""

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
        """Problems in the audit chain (empty when intact): recomputed hashes, links and ends.
        An entry links to its application's previous entry; an application's first entry to the
        first entry of the application numbered before it (the genesis hash for a year's first);
        `application.log_head` and the year's `counter.head` must name the newest of each.  So an
        edited, inserted or removed entry, a cut-off history and a removed application all show.
        Entries up to the `audit-chain-v2` counter were written before migration 0004 as one chain
        over all applications, and are checked as one."""
        problems: list[str] = []
        newest: dict[str, str] = {}  # application -> the hash of its newest entry so far
        first: dict[str, str] = {}  # application -> the hash of its first entry
        with self.tx() as s:
            cut = _chain_cut(s)
            previous = GENESIS
            for e in s.exec(select(TransitionLog).order_by(TransitionLog.seq)):
                problems += _entry_problems(e, *_expected_link(e, cut, previous, newest, first))
                newest[e.application_id] = previous = e.hash
                first.setdefault(e.application_id, e.hash)
            for app_id, head in s.exec(select(Application.id, Application.log_head)):
                problems += _head_problems(app_id, head, newest.get(app_id))
            for c in s.exec(select(Counter).where(Counter.name.like("app-%"))):
                last = f"WF-{c.name[4:]}-{c.value:06d}"
                if c.head is not None and first.get(last) != c.head:
                    problems.append(f"{c.name[4:]} 年的最后一件申请 {last} 的首条记录缺失或与计数器不符（申请被删除）")
        return problems

    def verify_application(self, app_id: str) -> list[str]:
        """`verify_chain` for one application (what its dossier shows): its entries' hashes and
        links, its first entry's link to the application numbered before it, and its head."""
        problems: list[str] = []
        with self.tx() as s:
            cut = _chain_cut(s)
            newest: dict[str, str] = {}
            first: dict[str, str] = {}
            before = _numbered_before(app_id)
            if before is not None:
                found = s.exec(select(TransitionLog.hash).where(TransitionLog.application_id == before)
                               .order_by(TransitionLog.seq).limit(1)).first()
                if found is not None:
                    first[before] = found
            for e in s.exec(select(TransitionLog).where(TransitionLog.application_id == app_id)
                            .order_by(TransitionLog.seq)):
                previous = GENESIS
                if e.seq <= cut:  # the one chain before 0004: the entry written just before it
                    previous = s.exec(select(TransitionLog.hash).where(TransitionLog.seq < e.seq)
                                      .order_by(TransitionLog.seq.desc()).limit(1)).first() or GENESIS
                problems += _entry_problems(e, *_expected_link(e, cut, previous, newest, first))
                newest[app_id] = e.hash
            head = s.exec(select(Application.log_head).where(Application.id == app_id)).first()
            problems += _head_problems(app_id, head, newest.get(app_id))
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


def stored_admissions(db: Engine) -> tuple[list[AdmissionRecord], int]:
    """Admissions the workflow store holds as entered (and exited), and the admission sequence:
    all a decision index needs of the store (read by replicas that run no workflow too)."""
    with Session(db, expire_on_commit=False) as s, s.begin():
        rows = s.exec(select(Application).where(Application.kind.in_(("admission", "secondment")),
                                                Application.effective_from.is_not(None))).all()
        seq = s.exec(select(func.max(Change.seq))).one() or 0
    return [_as_secondment(a) if a.kind == "secondment" else _as_record(a) for a in rows], seq


def _as_secondment(app: Application) -> Secondment:
    """An entered secondment application as the register's record: the county's admission (its
    approving county is filled in by the index), the term, ended early if the staff came back."""
    p = app.payload
    until = min(d for d in (app.effective_until, app.exited_on) if d is not None) if app.effective_until else None
    return Secondment.model_construct(
        id=app.id, township=p["township"], organ=app.applicant_unit, count=p["count"], basis=p.get("basis"),
        admission=Approval.model_construct(by="", date=app.effective_from, document=f"借调准入申请 {app.id}"),
        returned=app.exited_on, since=app.effective_from, until=until, span=None)


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


def _chain_cut(s: Session) -> int:
    """The seq of the last entry written as the one chain before migration 0004 (0 if none)."""
    cut = s.get(Counter, CHAIN_CUT)
    return cut.value if cut is not None else 0


def _entry_problems(e: TransitionLog, expected: str | None, what: str) -> list[str]:
    problems = []
    if entry_hash(e) != e.hash:
        problems.append(f"第 {e.seq} 条内容与其哈希不符（记录被篡改）")
    if expected is None:
        problems.append(f"第 {e.seq} 条是申请 {e.application_id} 的首条，但{what}找不到（记录被删除）")
    elif e.prev_hash != expected:
        problems.append(f"第 {e.seq} 条的前序哈希与{what}不符（链被截断或插入）")
    return problems


def _head_problems(app_id: str, head: str | None, newest: str | None) -> list[str]:
    if head is not None and newest != head:
        return [f"申请 {app_id} 的最新一条记录与其链尾哈希不符（记录被删除或截断）"]
    return []


def _expected_link(e: TransitionLog, cut: int, previous: str, newest: dict, first: dict) -> tuple[str | None, str]:
    """The hash entry `e` must link to, and what it is (in words); None when that entry is missing."""
    if e.seq <= cut:
        return previous, f"第 {e.seq - 1} 条"
    if e.application_id in newest:
        return newest[e.application_id], f"申请 {e.application_id} 的上一条"
    before = _numbered_before(e.application_id)
    if before is None:
        return GENESIS, "起始哈希"
    return first.get(before), f"编号在前的申请 {before} 的首条"


def _numbered_before(app_id: str) -> str | None:
    """The id of the application numbered just before `app_id` (WF-YYYY-NNNNNN), None for a
    year's first."""
    prefix, _, number = app_id.rpartition("-")
    if not number.isdigit() or int(number) <= 1:
        return None
    return f"{prefix}-{int(number) - 1:0{len(number)}d}"
