"""The flow language: workflow definitions (states, transitions, roles, deadlines, guard rules)
and the working-day calendar, written by policy authors in YAML like every other record.

The five phases are fixed — apply, review, approve, enter, exit (plus `closed` for rejected or
withdrawn) — and only an application in a state of the `enter` phase authorizes anything.
Authors add states within phases and transitions between them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from .base import ID_LIST_JSON_SCHEMA, Date, Id, plain_mapping, Name, StrictModel, Text, one_or_many
from .enums import Labelled

IdList = Annotated[list[Id], BeforeValidator(one_or_many), WithJsonSchema(ID_LIST_JSON_SCHEMA)]


class Phase(Labelled):
    apply = ("apply", "申请")
    review = ("review", "审核")
    approve = ("approve", "审批")
    enter = ("enter", "进入")
    exit = ("exit", "退出")
    closed = ("closed", "办结（不予准入/撤回）")


class FlowKind(Labelled):
    admission = ("admission", "事项准入")
    adjustment = ("adjustment", "动态调整")
    secondment = ("secondment", "借调准入")


class Effect(Labelled):
    block = ("block", "阻止本步骤")
    send_back = ("send_back", "退回修改")
    reject = ("reject", "不予准入")


class Role(Labelled):
    applicant = ("applicant", "申请单位")
    reviewer = ("reviewer", "审核机构（编办等）")
    approver = ("approver", "审批机关（县级党委政府）")
    higher_approver = ("higher_approver", "上级审批机关（市级）")
    township = ("township", "乡镇(街道)")
    department = ("department", "相关部门")
    county = ("county", "县级党委政府")
    system = ("system", "系统（定时任务）")


class Deadline(StrictModel):
    working_days: int | None = Field(default=None, ge=1, le=365, title="工作日")
    days: int | None = Field(default=None, ge=1, le=3650, title="自然日")

    @model_validator(mode="after")
    def _one(self):
        if (self.working_days is None) == (self.days is None):
            raise ValueError("期限写 working_days（工作日）或 days（自然日）之一")
        return self


class State(StrictModel):
    id: Id = Field(title="状态标识")
    name: Name = Field(title="名称")
    phase: Phase = Field(title="阶段", description=Phase.describe())
    deadline: Deadline | None = Field(default=None, title="办理期限", description="进入该状态后须在期限内办结，否则标记逾期")
    final: bool = Field(default=False, title="终态")


class Guard(StrictModel):
    """守卫规则：条件 `when` 为真时产生效果（阻止、退回修改、不予准入）。"""

    id: Id = Field(title="规则标识")
    when: Text = Field(title="条件", description="类型化条件表达式，见 docs/flows.md")
    effect: Effect = Field(title="效果", description=Effect.describe())
    message: Text = Field(title="提示信息")


class Transition(StrictModel):
    action: Id = Field(title="步骤", description="如 review、approve、send_back")
    name: Name | None = Field(default=None, title="名称")
    source: IdList = Field(alias="from", title="起始状态")
    to: Id = Field(title="目标状态")
    roles: IdList = Field(alias="role", title="可办理的角色")
    requires: list[str] = Field(default_factory=list, title="必填项",
                                description="reason、document、meeting、effective 等")
    guards: list[Guard] = Field(default_factory=list, title="守卫规则")

    model_config = {**StrictModel.model_config, "populate_by_name": False}


class Flow(StrictModel):
    """一个流程定义：事项准入或动态调整。"""

    id: Id = Field(title="流程标识")
    name: Name = Field(title="名称")
    kind: FlowKind = Field(title="类型", description=FlowKind.describe())
    params: Annotated[dict[str, int], BeforeValidator(plain_mapping)] = Field(
        default_factory=dict, title="参数", description="如 max_short_term_months、opinion_working_days")
    initial: Id = Field(title="初始状态", description="申请提交后所处的状态")
    on_send_back: Id | None = Field(default=None, title="退回修改后的状态")
    on_reject: Id | None = Field(default=None, title="不予准入后的状态")
    states: list[State] = Field(min_length=2, title="状态")
    transitions: list[Transition] = Field(min_length=1, title="流转")

    @model_validator(mode="after")
    def _consistent(self):
        ids = [s.id for s in self.states]
        dup = {x for x in ids if ids.count(x) > 1}
        if dup:
            raise ValueError(f"状态标识重复：{'、'.join(sorted(dup))}")
        known = set(ids)
        for name in (self.initial, self.on_send_back, self.on_reject):
            if name is not None and name not in known:
                raise ValueError(f"状态 '{name}' 未在 states 中定义")
        roles = {r.value for r in Role}
        for t in self.transitions:
            for s in [*t.source, t.to]:
                if s not in known:
                    raise ValueError(f"流转 {t.action} 引用的状态 '{s}' 未定义")
            for r in t.roles:
                if r not in roles:
                    raise ValueError(f"流转 {t.action} 的角色 '{r}' 无效，可选：{Role.describe()}")
            if any(g.effect.value == "send_back" for g in t.guards) and self.on_send_back is None:
                raise ValueError(f"流转 {t.action} 有退回修改的守卫规则，流程须写 on_send_back")
            if any(g.effect.value == "reject" for g in t.guards) and self.on_reject is None:
                raise ValueError(f"流转 {t.action} 有不予准入的守卫规则，流程须写 on_reject")
        granted: dict[tuple[str, str, str], int] = {}
        for i, t in enumerate(self.transitions):
            for key in ((t.action, s, r) for s in t.source for r in t.roles):
                if key in granted:
                    raise ValueError(f"流转 {t.action} 在状态 '{key[1]}' 给角色 '{key[2]}' 定义了两次"
                                     f"（第 {granted[key] + 1} 与第 {i + 1} 条流转），办理时无法确定用哪一条")
                granted[key] = i
        phases = {s.phase for s in self.states}
        if self.kind.value == "admission":
            missing = [p.value for p in (Phase.apply, Phase.review, Phase.approve, Phase.enter, Phase.exit) if p not in phases]
            if missing:
                raise ValueError(f"准入流程必须包含五个阶段，缺少：{'、'.join(missing)}")
        return self

    def state(self, sid: str) -> State:
        for s in self.states:
            if s.id == sid:
                return s
        raise KeyError(sid)

    def transitions_from(self, sid: str) -> list[Transition]:
        return [t for t in self.transitions if sid in t.source]


class Calendar(StrictModel):
    """工作日历：法定节假日与调休上班日（周末默认休息）。"""

    id: Id = Field(title="日历标识")
    name: Name = Field(title="名称")
    holidays: list[Date] = Field(default_factory=list, title="节假日（休息）")
    workdays: list[Date] = Field(default_factory=list, title="调休上班日")
