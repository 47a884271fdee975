"""The matter catalogue and the findings of the checks, page by page."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from .common import Out, SnapshotPage


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


class MatterPage(SnapshotPage):
    revision: str
    items: list[MatterOut]


class FindingOut(Out):
    rule: str = Field(description="规则代码（筛选参数 rule 所用的名字）")
    code: str = Field(description="已弃用，同 rule（保留一个版本）", json_schema_extra={"deprecated": True})
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


class FindingPage(SnapshotPage):
    on: dt.date
    revision: str
    admission_seq: int
    items: list[FindingOut]
