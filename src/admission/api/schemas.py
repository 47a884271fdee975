"""Request and response models of the API (the OpenAPI document is generated from them).

Request bodies are strict: unknown fields are refused, types are not coerced ("3" is not 3),
dates are calendar dates `YYYY-MM-DD` only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag, field_validator

from ..language.base import ID_PATTERN, Date

#: text without control characters (tab and line breaks allowed in long text); PostgreSQL cannot store NUL
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
ApiId = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=ID_PATTERN)]
Person = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=TEXT_PATTERN)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_CONTROL)]
Day = Annotated[Date, Field(description="日历日期 YYYY-MM-DD（北京时间）")]

Kind = Literal["task", "responsibility_letter", "certification_request", "office_or_signboard", "assessment"]
Role = Literal["responsible", "execute", "assist"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- decisions
class Question(Body):
    """部门 actor 可否在 on 日把事项 matter 交给乡镇或村 target？"""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"actor": "11370402MB1978799X", "matter": "JJ-QT-017", "target": "370402101", "on": "2026-11-23"}]})

    actor: ApiId = Field(description="下派单位（部门，或归属部门的派出机构、专班）")
    matter: ApiId = Field(description="事项编码")
    target: ApiId = Field(description="接收单位（乡镇(街道)或村(社区)）")
    on: Day | None = Field(default=None, description="日期（默认今天，北京时间）")
    kind: Kind = Field(default="task", description="下派类型")
    role: Role = Field(default="execute", description="接收单位的角色")
    basis: ApiId | None = Field(default=None, description="依据标识（直达村(社区)时须为县级以上统一部署）")

    def as_input(self, on: dt.date) -> dict:
        out = {"actor": self.actor, "matter": self.matter, "target": self.target, "on": on.isoformat(),
               "kind": self.kind, "role": self.role}
        if self.basis is not None:
            out["basis"] = self.basis
        return out


class QuestionBatch(Body):
    """一批问题（上限见服务配置，默认 10,000）。"""

    questions: list[Question] = Field(min_length=1, max_length=100_000)
    on: Day | None = Field(default=None, description="未写日期的问题所用的日期")


class ExerciseQuestion(Body):
    """单位 unit 可否在 on 日行使职权 matter？"""

    model_config = ConfigDict(json_schema_extra={"examples": [{"unit": "370402101", "matter": "JJ-QT-017"}]})

    unit: ApiId = Field(description="行使单位")
    matter: ApiId = Field(description="职权事项")
    on: Day | None = Field(default=None, description="日期（默认今天，北京时间）")

    def as_input(self, on: dt.date) -> dict:
        return {"unit": self.unit, "matter": self.matter, "on": on.isoformat()}


class ExerciseBatch(Body):
    questions: list[ExerciseQuestion] = Field(min_length=1, max_length=100_000)
    on: Day | None = None


def _shape(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "questions" in value else "single"


DecisionRequest = Annotated[Union[Annotated[Question, Tag("single")], Annotated[QuestionBatch, Tag("batch")]],
                            Discriminator(_shape)]
ExerciseRequest = Annotated[Union[Annotated[ExerciseQuestion, Tag("single")], Annotated[ExerciseBatch, Tag("batch")]],
                            Discriminator(_shape)]


class ReasonOut(Out):
    code: str = Field(description="规则代码，如 pushdown-unlisted")
    message: str
    source: str | None = Field(default=None, description="策略文件位置 file:line:column")


class AuthorityOut(Out):
    kind: str = Field(description="basic | cooperative | delegation | duty | assisting | may_certify | admission")
    label: str
    record: str | None
    source: str | None
    legal_basis: str | None


class DecisionOut(Out):
    decision_id: str = Field(description="决策日志中的标识")
    outcome: Literal["allow", "deny", "error"]
    allowed: bool
    actor: str
    matter: str
    target: str
    on: dt.date
    reasons: list[ReasonOut]
    authority: AuthorityOut | None
    consequence: str | None
    revision: str = Field(description="作出决定所用的策略修订（内容哈希）")
    admission_seq: int = Field(description="作出决定时已知的准入变化序号")


class DecisionBatchOut(Out):
    batch_id: str
    count: int
    revision: str
    admission_seq: int
    results: list[DecisionOut]


# --------------------------------------------------------------------------- reading the policy
class UnitOut(Out):
    id: str
    name: str
    kind: str
    county: str | None


class EntryOut(Out):
    matter: str
    matter_name: str | None
    scope: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    source: str | None = None
    lead: list[str] | None = None
    taken_by: list[str] | None = None
    supervisor: str | None = None
    category: str | None = None
    basis: str | None = None


class PowerOut(Out):
    matter: str
    matter_name: str | None
    via: Literal["statutory", "power_list", "grant", "entrust", "delegated_out"]
    record: str | None = None
    department: str | None = None
    townships: list[str] | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    source: str | None = None


class AdmissionOut(Out):
    id: str
    matter: str
    matter_name: str | None
    applicant: str
    targets: list[str]
    term: str
    since: dt.date | None
    until: dt.date | None
    basis: str
    workflow: bool = Field(description="由准入流程产生（否则为导入的历史记录）")
    source: str | None = None


class DutiesOut(Out):
    unit: UnitOut
    on: dt.date
    revision: str
    admission_seq: int
    lists: dict[str, list[EntryOut]] = Field(description="乡镇：basic / cooperative / returned；村：duties / assisting / negative / may_certify / must_not_certify")
    powers: list[PowerOut]
    admissions: list[AdmissionOut]


class OwnerRoleOut(Out):
    role: Literal["legal_party", "executes", "cooperates", "supervises"]
    role_label: str
    unit: str
    unit_name: str
    via: str
    since: dt.date | None
    until: dt.date | None
    source: str | None


class OwnersOut(Out):
    matter: str
    matter_name: str
    unit: str
    unit_name: str
    on: dt.date
    revision: str
    admission_seq: int
    roles: list[OwnerRoleOut]


class MatterOut(Out):
    id: str
    name: str
    domain: str
    power_type: str
    levels: list[str]
    tags: list[str]
    basis: str | None
    major_penalty: bool
    needs_specialist: bool


class MatterPage(Out):
    revision: str
    total: int
    offset: int
    limit: int
    items: list[MatterOut]


class FindingOut(Out):
    code: str
    severity: Literal["error", "warning", "info"]
    message: str
    message_en: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    subject: str | None = None
    help: str | None = None
    related: list[str] | None = None
    elements: list[str] | None = None
    units: list[str] = Field(description="该问题涉及的乡镇、村（用于按县、乡镇筛选）")


class FindingPage(Out):
    on: dt.date
    revision: str
    admission_seq: int
    total: int
    offset: int
    limit: int
    items: list[FindingOut]


class FlowOut(Out):
    id: str
    name: str
    kind: str
    revision: str


class PolicyOut(Out):
    revision: str = Field(description="策略修订（YAML 内容哈希）")
    effective_revision: str = Field(description="叠加已决定的动态调整后的修订（决定中所记的修订）")
    loaded_at: dt.datetime
    admission_seq: int
    counts: dict[str, int]
    flows: list[FlowOut]


class ReloadOut(Out):
    changed: bool
    previous_revision: str
    revision: str
    loaded_at: dt.datetime
    counts: dict[str, int]


class HealthOut(Out):
    status: Literal["ok"]
    pid: int


class ReadyOut(Out):
    status: Literal["ready"]
    pid: int
    revision: str
    admission_seq: int


class MeOut(Out):
    token_id: str
    unit: str
    unit_name: str | None
    role: str


class ChangeOut(Out):
    seq: int
    kind: str
    application_id: str | None
    at: dt.datetime
    payload: dict[str, Any]


class ChangeFeed(Out):
    items: list[ChangeOut]
    next_since: int = Field(description="下次请求的 since")
    admission_seq: int = Field(description="本进程决定已反映到的序号")


# --------------------------------------------------------------------------- workflow
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
        def walk(v, depth: int) -> None:
            if depth > 8:
                raise ValueError("申请内容嵌套过深")
            if isinstance(v, str) and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in v):
                raise ValueError("申请内容含有控制字符")
            if isinstance(v, dict):
                for k, item in v.items():
                    walk(k, depth + 1)
                    walk(item, depth + 1)
            elif isinstance(v, list):
                for item in v:
                    walk(item, depth + 1)

        walk(value, 0)
        return value


class StepBody(Body):
    person: Person | None = Field(default=None, description="经办人（也可用 X-Acting-Person 头）")
    reason: Text | None = None
    document: Short | None = Field(default=None, description="文号")
    meeting: Short | None = Field(default=None, description="会议")
    effective: Day | None = Field(default=None, description="进入/生效日期")
    passed: bool | None = Field(default=None, description="评估结论")


class OpinionBody(Body):
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


class ApplicationPage(Out):
    total: int
    offset: int
    limit: int
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


# --------------------------------------------------------------------------- decision logs
class CallerOut(Out):
    token_id: str
    unit: str
    role: str


class DecisionLogEntry(Out):
    """One answered request (a batch is one entry; its answers are in `result.results`)."""

    seq: int
    decision_id: str
    path: str
    timestamp: dt.datetime
    caller: CallerOut
    count: int = Field(description="本条中的决定数（单个问题为 1）")
    input: dict[str, Any] = Field(description="收到的请求体")
    result: dict[str, Any] = Field(description="发出的响应体")
    revision: str
    admission_seq: int


class DecisionLogPage(Out):
    items: list[DecisionLogEntry]
    next_after: int = Field(description="下次请求的 after")


class WorkerStats(Out):
    worker: str
    pid: int
    written: int
    dropped: int
    sampled_out: int
    failed_flushes: int
    buffered: int
    started_at: dt.datetime
    updated_at: dt.datetime


class DecisionLogStats(Out):
    mode: Literal["buffered", "sync", "off"]
    sample_rate: float
    buffer_capacity: int
    flush_seconds: float
    totals: dict[str, int]
    workers: list[WorkerStats]
