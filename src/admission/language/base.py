"""Shared building blocks of the policy language: strict frozen models that remember where
in which YAML file they were written, dates, and ids."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, StringConstraints, WithJsonSchema, model_validator,
)
from pydantic_core import PydanticCustomError

from ..diagnostics import Span

#: Key under which the YAML reader stores a mapping's source span.  It is not a string, so no
#: YAML document can write it.
SPAN_KEY = ("__span__",)

ID_PATTERN = r"^[0-9A-Za-z\u4e00-\u9fff_.\-]+$"
ID_DESCRIPTION = "标识：行政区划代码、统一社会信用代码或自定编码（字母、数字、汉字、_ . -）"
#: How an id looks to an editor: text, or a number (unquoted division codes are accepted).
ID_JSON_SCHEMA = {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 80, "pattern": ID_PATTERN},
                            {"type": "integer", "minimum": 0}],
                  "description": ID_DESCRIPTION}

#: A stable identifier: administrative division code, credit code or an author-chosen code.
Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80, pattern=ID_PATTERN),
    Field(description=ID_DESCRIPTION),
    WithJsonSchema(ID_JSON_SCHEMA),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


def _calendar_date(value: Any) -> Any:
    """Only calendar dates: a YAML date or the text YYYY-MM-DD; never numbers or timestamps."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date_parsing", "not a calendar date YYYY-MM-DD")


#: A calendar date in China's time zone, written YYYY-MM-DD.
Date = Annotated[dt.date, BeforeValidator(_calendar_date)]

#: The one range of dates (and of the date part of date-times) that requests may name: from the
#: founding of the People's Republic to the end of the 22nd century.  Policy files are not bounded.
DATE_MIN = dt.date(1949, 10, 1)
DATE_MAX = dt.date(2199, 12, 31)
DATE_RANGE = f"{DATE_MIN.isoformat()} 至 {DATE_MAX.isoformat()}"
DATE_RANGE_MESSAGE = f"日期须在 {DATE_RANGE} 之间（含首尾）"
#: The same range as a pattern on the text's date part, for the OpenAPI document: generic clients
#: and generators ignore `formatMinimum`/`formatMaximum`, so without it a schema-valid 0713-06-06
#: would be refused (issue 17).  Unanchored at the end: it also fits the date of a date-time.
DATE_RANGE_PATTERN = r"^(?:1949-1[0-2]|19[5-9][0-9]-[0-9]{2}|2[01][0-9]{2}-[0-9]{2})-[0-9]{2}"


def _date_in_range(value: dt.date) -> dt.date:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise PydanticCustomError("date_range", DATE_RANGE_MESSAGE)
    return value


#: A calendar date YYYY-MM-DD within `DATE_MIN` .. `DATE_MAX` (request fields: `on`, `start`, `effective`, …).
BoundedDate = Annotated[dt.date, BeforeValidator(_calendar_date), AfterValidator(_date_in_range),
                        Field(json_schema_extra={"formatMinimum": DATE_MIN.isoformat(),
                                                 "formatMaximum": DATE_MAX.isoformat(),
                                                 "pattern": DATE_RANGE_PATTERN})]

_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
                           r"(?:Z|[+-]\d{2}:\d{2})?)?", re.ASCII)


def _iso_datetime(value: Any) -> Any:
    """Only ISO 8601 text (a date, or a date and a time, with an optional offset); never numbers,
    which pydantic would read as Unix timestamps."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("datetime_parsing", "not an ISO 8601 date-time such as 2025-03-10T08:00:00+08:00")


#: A date-time written in ISO 8601 (2025-03-10, 2025-03-10T08:00:00+08:00), its date within the range.
BoundedDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime), AfterValidator(_date_in_range),
                            Field(json_schema_extra={"formatMinimum": DATE_MIN.isoformat() + "T00:00:00Z",
                                                     "formatMaximum": DATE_MAX.isoformat() + "T23:59:59Z",
                                                     "pattern": DATE_RANGE_PATTERN})]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class StrictModel(BaseModel):
    """Frozen, unknown keys rejected, numbers written where text is expected accepted as text.

    The loader puts each mapping's span under `SPAN_KEY`; it is kept in `span` so that graph
    nodes, findings and decisions can point back at the YAML that made them.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        coerce_numbers_to_str=True,
        str_strip_whitespace=True,
        validate_default=False,
    )
    _span: Span | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_span(cls, data: Any, handler):
        span = data.pop(SPAN_KEY, None) if isinstance(data, dict) else None
        obj = handler(data)
        if span is not None:
            obj._span = span
        return obj

    @property
    def span(self) -> Span | None:
        # straight from pydantic's private-attribute dict: `self._span` goes through
        # BaseModel.__getattr__, which costs ~3 µs, and spans are read for every record
        private = self.__pydantic_private__
        return private.get("_span") if private else None

    #: the field a bare id stands for (`- M001` means `- {matter: M001}`), if the model allows it
    shorthand_field: ClassVar[str | None] = None

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        schema = handler(core_schema)
        if cls.shorthand_field:
            full = handler.resolve_ref_schema(schema)
            full_copy = dict(full)
            full.clear()
            full.update({"anyOf": [ID_JSON_SCHEMA, full_copy],
                         "title": full_copy.get("title", cls.__name__),
                         "description": f"可只写 {cls.shorthand_field} 的标识，或写完整映射"})
        return schema


class Dated(StrictModel):
    """Something in force from `since` to `until`, both calendar dates (China time), inclusive."""

    since: Date | None = Field(default=None, title="施行日期", description="起始日期（含），YYYY-MM-DD")
    until: Date | None = Field(default=None, title="废止日期", description="终止日期（含），YYYY-MM-DD")

    date_fields: ClassVar[tuple[str, str]] = ("since", "until")

    @model_validator(mode="after")
    def _ordered(self):
        if self.since and self.until and self.until < self.since:
            raise ValueError(f"终止日期 {self.until} 早于起始日期 {self.since}")
        return self

    def in_force(self, on: dt.date) -> bool:
        return (self.since is None or self.since <= on) and (self.until is None or on <= self.until)


def shorthand(field_name: str):
    """A before-validator letting authors write a bare id instead of `{field_name: id}`.
    Models using it also set `shorthand_field` so the JSON Schema admits the bare form."""

    def _expand(cls, data: Any) -> Any:
        if isinstance(data, (str, int)) and not isinstance(data, bool):
            return {field_name: data}
        return data

    return model_validator(mode="before")(classmethod(_expand))


ID_LIST_JSON_SCHEMA = {"anyOf": [ID_JSON_SCHEMA, {"type": "array", "items": ID_JSON_SCHEMA}],
                       "description": "一个标识，或标识的列表"}


def plain_mapping(value: Any) -> Any:
    """A free-form mapping field: drop the reader's span marker (models drop it themselves)."""
    if isinstance(value, dict) and SPAN_KEY in value:
        return {k: v for k, v in value.items() if k is not SPAN_KEY and k != SPAN_KEY}
    return value


def one_or_many(value: Any) -> Any:
    """Accept a single id where a list of ids is expected."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [value]
    return value
