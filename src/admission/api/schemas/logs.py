"""Decision logs: the logged requests page by page, and the loggers' statistics per worker."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from .common import Out


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
    next_after: int = Field(description="下次请求的 after（本页最后一条的 seq；日志只增不减，总有下一页可问）")


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
