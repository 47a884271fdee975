"""The service and its loaded policy: health and readiness, the caller's token, the policy's
revision and flows, a reload, and the change feed of admissions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from .common import Out


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
    next_after: int = Field(description="下次请求的 after（本页最后一条的 seq）")
    next_since: int = Field(description="已弃用，同 next_after（保留一个版本）", json_schema_extra={"deprecated": True})
    admission_seq: int = Field(description="本进程决定已反映到的序号")
