"""Creating applications: the apply step (its checks and guards, the application number, the
first log entry) and remembering the definition of each flow revision applications are made on.
`ApplyMixin` is mixed into `service.Workflow`, which supplies the policy, the store and the
locking; the guards and the log entry come from `steps.StepsMixin`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from ..language.enums import UnitKind
from ..language.flow import Flow
from ..store.tables import ApplicationRow, utcnow
from .errors import Forbidden, Invalid, Refused
from .facts import StepInput
from .requests import AdmissionRequest, SecondmentRequest
from .statements import (
    _INS_APP, _INS_COUNTER, _INS_FLOWDEF, _INS_LOG, _SEL_COUNTER, _SEL_FLOWDEF, _SET_HEAD, _UPD_COUNTER, GENESIS,
    _parse_request, _require_person, commit_with_writes, flow_revision, pipelined, run, send,
)


class ApplyMixin:
    """Submitting an application (`apply`)."""

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
        if flow.kind.value in ("admission", "secondment") and applicant_info.kind not in (UnitKind.department, UnitKind.dispatched,
                                                                           UnitKind.task_force):
            raise Forbidden("事项准入、借调准入由部门（机关）以自己的名义申请", code="applicant-not-department")
        if flow.kind.value == "secondment" and self.index.units[payload.township].kind is not UnitKind.township:
            raise Invalid(f"借调只能从乡镇(街道)借出：{payload.township} 不是乡镇(街道)", code="not-a-township")
        if flow.kind.value == "adjustment" and unit != payload.township:
            raise Forbidden("动态调整由乡镇(街道)为自己申请", code="applicant-not-township")
        targets = list(payload.targets) if isinstance(payload, AdmissionRequest) else [payload.township]
        app = ApplicationRow(
            id="(new)", flow_id=flow.id, flow_revision=revision, kind=flow.kind.value, state=flow.initial,
            phase=flow.state(flow.initial).phase.value, applicant_unit=applicant_info.attributed
            if flow.kind.value != "adjustment" else unit, applicant_person=person, matter=payload.matter,
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
            app.id, counter, prev_hash = self._next_id(conn, on)
            self._enter_state(app, flow, flow.initial, on)
            entry = self._entry(app, "apply", None, app.state, unit, person, "applicant", on, fired, None, {}, request,
                                prev_hash)
            with pipelined(conn):  # the writes: one round trip
                run(conn, _INS_APP, app.values())
                run(conn, _INS_LOG, entry)
                run(conn, _SET_HEAD, {"counter": counter, "head": entry["hash"]})
                commit_with_writes(conn)
        self._remembered.add((flow.id, revision))  # only once it is committed
        return app

    def _next_id(self, conn: Connection, on: dt.date) -> tuple[str, str, str]:
        """Take the next application number of the year (its counter row stays locked until
        commit, so applications are numbered, and chained, one after another); return the id, the
        counter's name and the first entry of the application numbered before it."""
        name = f"app-{on.year}"
        if self._returning:
            with pipelined(conn):  # with BEGIN, in one round trip
                sent = send(conn, self._sql["bump"], {"name": name})
            value, last = sent.one()
        else:  # old SQLite: its transaction is serialised already (BEGIN IMMEDIATE)
            if conn.execute(_UPD_COUNTER, {"counter": name}).rowcount == 0:
                conn.execute(_INS_COUNTER, {"name": name, "value": 1})
            value, last = conn.execute(_SEL_COUNTER, {"counter": name}).one()
        return f"WF-{on.year}-{value:06d}", name, last or GENESIS

    def _remember_flow(self, conn: Connection, flow: Flow, revision: str) -> None:
        if (flow.id, revision) in self._remembered:
            return
        if conn.execute(_SEL_FLOWDEF, {"flow_id": flow.id, "revision": revision}).first() is None:
            row = {"flow_id": flow.id, "revision": revision, "first_seen": utcnow(),
                   "definition": flow.model_dump(mode="json", by_alias=True)}
            conn.execute(_INS_FLOWDEF["sqlite" if self._sqlite else "postgresql"], row)


def _referenced_ids(payload) -> list[str]:
    if isinstance(payload, AdmissionRequest):
        return [payload.matter, payload.basis, *payload.targets]
    if isinstance(payload, SecondmentRequest):
        return [payload.township]
    return [x for x in (payload.township, payload.matter, payload.lead, payload.taken_by, *payload.departments) if x]
