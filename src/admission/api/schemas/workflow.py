"""The admission workflow: applying, the steps, opinions and answers (request bodies), and the
applications, their history, opinions, refusals and dossiers (responses); tick and chain checks."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from .common import ApiId, Body, Day, Out, Person, Short, SnapshotPage, Text


class ApplyBody(Body):
    flow: ApiId = Field(default="admission", description="流程标识：admission（事项准入）或 adjustment（动态调整）")
    request: dict[str, Any] = Field(description=(
        "申请内容。准入：matter, targets, reason, basis, term (short|long), start, end, resources"
        "{staff, funds, equipment, none_needed, note}；动态调整：township, change (add|remove), "
        "list (basic|cooperative|returned), matter, lead, taken_by, reason, departments"))
    person: Person | None = Field(default=None, description="经办人（也可用 X-Acting-Person 头）")

    @field_validator("request")
    @classmethod
    def _storable(cls, value: dict) -> dict:
        _check_storable(value, 0)
        return value


def _check_storable(value, depth: int) -> None:
    """The free-form request is stored as JSON in SQL: not nested without end, and no control
    characters (PostgreSQL cannot store NUL) in its keys or texts."""
    if depth > 8:
        raise ValueError("申请内容嵌套过深")
    if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValueError("申请内容含有控制字符")
    if isinstance(value, dict):
        for k, item in value.items():
            _check_storable(k, depth + 1)
            _check_storable(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_storable(item, depth + 1)


class StepBody(Body):
    person: Person | None = Field(default=None, description="经办人（也可用 X-Acting-Person 头）")
    reason: Text | None = None
    document: Short | None = Field(default=None, description="文号")
    meeting: Short | None = Field(default=None, description="会议")
    effective: Day | None = Field(default=None, description="进入/生效日期")
    passed: bool | None = Field(default=None, description="评估结论")


class OpinionBody(Body):
    #: a dissent says why (`text`): the server's rule, in the document too (issue 17)
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "if": {"properties": {"stance": {"const": "dissent"}}, "required": ["stance"]},
        "then": {"required": ["text"], "properties": {"text": {"type": "string"}}}})

    person: Person | None = None
    stance: Literal["agree", "dissent"]
    text: Text | None = None


class AnswerBody(Body):
    person: Person | None = None
    text: Text


class ApplicationOut(Out):
    id: str
    flow_id: str
    flow_revision: str
    kind: str
    state: str
    phase: str
    applicant_unit: str
    applicant_person: str
    matter: str
    targets: list[str]
    payload: dict[str, Any]
    version: int
    etag: str
    state_since: dt.date
    due: dt.date | None
    overdue: bool
    effective_from: dt.date | None
    effective_until: dt.date | None
    exited_on: dt.date | None
    opinion_due: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ApplicationPage(SnapshotPage):
    items: list[ApplicationOut]


class OpinionOut(Out):
    id: int | None
    application_id: str
    unit: str
    person: str | None
    stance: str
    text: str | None
    given_on: dt.date
    answer: str | None
    answered_by: str | None
    answered_on: dt.date | None


class LogEntryOut(Out):
    seq: int
    application_id: str
    action: str
    from_state: str | None
    to_state: str
    unit: str
    person: str
    role: str
    at: dt.datetime
    on_date: dt.date
    guards: list[dict[str, Any]]
    reason: str | None
    documents: dict[str, Any]
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class RefusalOut(Out):
    id: int | None
    application_id: str | None
    action: str
    unit: str
    person: str
    role: str
    at: dt.datetime
    reasons: list[dict[str, Any]]


class DossierOut(Out):
    application: ApplicationOut
    history: list[LogEntryOut]
    opinions: list[OpinionOut]
    refusals: list[RefusalOut]


class TickOut(Out):
    exited: list[str]
    no_opinion: int
    overdue: int


class VerifyOut(Out):
    intact: bool
    problems: list[str]
    checked_at: dt.datetime
