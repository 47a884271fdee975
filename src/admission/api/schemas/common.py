"""What every request and response model shares: the strict request base (`Body`: unknown fields
refused, types not coerced), the response base (`Out`), and the constrained text, id and date
types of request fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...language.base import ID_PATTERN, Date

#: text without control characters (tab and line breaks allowed in long text); PostgreSQL cannot store NUL
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
ApiId = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=ID_PATTERN)]
Person = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=TEXT_PATTERN)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_CONTROL)]
Day = Annotated[Date, Field(description="日历日期 YYYY-MM-DD（北京时间）")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")
