"""The answers of the register questions and the burden view (issue 20)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from .common import Out
from .decisions import AuthorityOut, ReasonOut


class RegisterDecisionOut(Out):
    """一个登记册问题的回答：允许或拒绝，带理由与依据的登记条目。"""
    outcome: Literal["allow", "deny"]
    allowed: bool
    actor: str = Field(description="提问的部门或机关（挂牌、用印时为空）")
    matter: str = Field(description="所问的项目、人数、牌子、用途或表格")
    target: str = Field(description="乡镇(街道)或村(社区)")
    on: dt.date
    reasons: list[ReasonOut]
    authority: AuthorityOut | None
    consequence: str | None
    revision: str
    admission_seq: int


class BurdenRowOut(Out):
    key: str = Field(description="items | assignments | inspections | seconded | boards | evaluations | seal_uses | "
                                 "forms | duplicate_fields")
    label: str
    count: int
    limit: int | None = Field(description="规则允许的最多数量；null 表示没有上限")
    baseline: int | None = Field(description="基准年的同一数量；null 表示基准年没有记录")
    baseline_year: int | None = Field(description="该项登记册自己写明的基准年（计划、牌子目录）；null 表示用视图的基准年")
    change: int | None
    over: bool
    details: list[str]


class BurdenOut(Out):
    """一个乡镇或村的负担一览：每一项都从策略记录中数出。"""
    unit: str
    name: str
    kind: str
    on: dt.date
    baseline_year: int
    over: int = Field(description="超过上限的项数")
    load: int = Field(description="本年落到该单位的下派、督查检查、借调、表格与重复字段之和")
    rows: list[BurdenRowOut]
    revision: str


class BurdenRankingOut(Out):
    """一个县的乡镇(街道)按负担排列：超限项多的在前，其次负担大的在前。"""
    county: str
    on: dt.date
    revision: str
    townships: list[BurdenOut]
