"""Decisions: may a department hand a matter to a township or village (`Question`, a batch of
them), may a unit exercise a power (`ExerciseQuestion`), and the answers with their reasons and
the authority they rest on."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Discriminator, Field, Tag

from .common import NO_CONTROL, ApiId, Body, Day, Out

Correlation = Annotated[str | None, Field(
    default=None, min_length=1, max_length=200, pattern=NO_CONTROL,
    description="调用方自己的关联标识，原样写回该题的回答（批量时用来对应问题）")]
Kind = Literal["task", "responsibility_letter", "certification_request", "office_or_signboard", "assessment",
               "forms_request", "mechanism_or_post"]
Role = Literal["responsible", "execute", "assist"]


class Question(Body):
    """部门 actor 可否在 on 日把事项 matter 交给乡镇或村 target？（示例中的标识取自随附的示例策略 policies/）"""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"actor": "11370402MB1978799X", "matter": "JJ-QT-017", "target": "370402101", "on": "2026-11-23"}]})

    actor: ApiId = Field(description="下派单位（部门，或归属部门的派出机构、专班）")
    matter: ApiId = Field(description="事项编码")
    target: ApiId = Field(description="接收单位（乡镇(街道)或村(社区)）")
    on: Day | None = Field(default=None, description="日期（默认今天，北京时间）")
    kind: Kind = Field(default="task", description="下派类型")
    role: Role = Field(default="execute", description="接收单位的角色")
    basis: ApiId | None = Field(default=None, description="依据标识（直达村(社区)时须为县级以上统一部署）")
    correlation_id: Correlation = None

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
    """单位 unit 可否在 on 日行使职权 matter？（示例中的标识取自随附的示例策略 policies/）"""

    model_config = ConfigDict(json_schema_extra={"examples": [{"unit": "370402101", "matter": "JJ-QT-017"}]})

    unit: ApiId = Field(description="行使单位")
    matter: ApiId = Field(description="职权事项")
    on: Day | None = Field(default=None, description="日期（默认今天，北京时间）")
    correlation_id: Correlation = None

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


class ProblemOut(Out):
    """RFC 9457 problem of one question of a batch."""
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    code: str
    unknown_ids: list[str] | None = None


class DecisionOut(Out):
    decision_id: str = Field(description="决策日志中的标识")
    index: int | None = Field(default=None, description="批量中该题的位置（从 0 起；中文消息中的“第 n 题”从 1 起）")
    correlation_id: str | None = Field(default=None, description="问题中的 correlation_id，原样写回")
    problem: ProblemOut | None = Field(default=None, description="该题无法判定（outcome: error）时的问题说明")
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
    """每题各自作答：无法判定的题（如未知标识）在自己的回答里带 problem，其余照常作答，整批仍为 200。"""
    batch_id: str
    count: int
    errors: int = Field(description="无法判定的题数")
    revision: str
    admission_seq: int
    results: list[DecisionOut]
