"""What every request and response model shares: the strict request base (`Body`: unknown fields
refused, types not coerced), the response base (`Out`), and the constrained text, id and date
types of request fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...language.base import DATE_RANGE, ID_PATTERN, BoundedDate, BoundedDateTime

#: text without control characters (tab and line breaks allowed in long text); PostgreSQL cannot store NUL
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
ApiId = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=ID_PATTERN)]
Person = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=TEXT_PATTERN)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_CONTROL)]
#: Every date and date-time of a request body or query parameter is one of these two: the range
#: `DATE_MIN` .. `DATE_MAX` (1949-10-01 .. 2199-12-31) is defined once, in `language.base`.
ApiDate = Annotated[BoundedDate, Field(description=f"日历日期 YYYY-MM-DD（北京时间），{DATE_RANGE}")]
ApiDateTime = Annotated[BoundedDateTime, Field(description=(
    f"ISO 8601 日期时间（如 2025-03-10T08:00:00+08:00，或只写日期），日期在 {DATE_RANGE}；不接受数字"))]
Day = ApiDate


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SnapshotPage(Out):
    """The paging fields of every snapshot list (api/reading.py)."""
    total: int
    after: int = Field(description="本页之前的条数")
    offset: int = Field(description="已弃用，同 after（保留一个版本）", json_schema_extra={"deprecated": True})
    limit: int
    next_after: int | None = Field(description="下一页的 after；已是最后一页时为 null")
