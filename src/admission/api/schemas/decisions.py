"""Decisions: may a department hand a matter to a township or village (`Question`, a batch of
them), may a unit exercise a power (`ExerciseQuestion`), and the answers with their reasons and
the authority they rest on."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Discriminator, Field, Tag

from .common import ApiId, Body, Day, Out

Kind = Literal["task", "responsibility_letter", "certification_request", "office_or_signboard", "assessment"]
Role = Literal["responsible", "execute", "assist"]


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
