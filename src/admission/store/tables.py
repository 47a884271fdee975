"""sqlmodel tables of the workflow store.

- `application`: one row per application, pinned to the flow id and revision it started under;
  `version` is its ETag (bumped by every step).
- `opinion`: each target's opinion during review, and the reviewer's written answer to a dissent.
- `transition_log`: the append-only audit trail (PostgreSQL refuses UPDATE/DELETE), hash-chained
  per application: an entry links to the application's previous entry, and an application's
  first entry to the first entry of the application numbered before it.  Steps on different
  applications therefore never wait for each other; `application.log_head` and `counter.head`
  hold the two chains' ends, under the row locks a step takes anyway.
- `refusal`: refused attempts; a refused step changes no application.
- `change`: the change feed (admissions entering and exiting, policy reloads); its `seq` is the
  admission sequence that decisions record.
- `counter`: per-year application numbers, and the hash of the year's last first entry (`head`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Application(SQLModel, table=True):
    __tablename__ = "application"

    id: str = Field(primary_key=True, max_length=40)
    flow_id: str = Field(max_length=80, index=True)
    flow_revision: str = Field(max_length=64)
    kind: str = Field(max_length=20)  # admission | adjustment
    state: str = Field(max_length=80, index=True)
    phase: str = Field(max_length=20, index=True)
    applicant_unit: str = Field(max_length=80, index=True)
    applicant_person: str = Field(max_length=80)
    matter: str = Field(max_length=80, index=True)
    targets: list[str] = Field(sa_column=Column(JSON, nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1)
    state_since: dt.date  # the day the current state was entered (deadlines count from it)
    due: dt.date | None = None
    overdue: bool = Field(default=False, index=True)
    effective_from: dt.date | None = None  # entered on
    effective_until: dt.date | None = None  # end of a short-term admission (inclusive)
    exited_on: dt.date | None = None
    log_head: str | None = Field(default=None, max_length=64)  # the hash of its newest log entry
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class Opinion(SQLModel, table=True):
    __tablename__ = "opinion"
    __table_args__ = (UniqueConstraint("application_id", "unit"),)

    id: int | None = Field(default=None, primary_key=True)
    # found by the unique (application_id, unit), whose leading column it is
    application_id: str = Field(foreign_key="application.id", max_length=40)
    unit: str = Field(max_length=80)  # the township (a village's opinion is given by its township)
    person: str | None = Field(default=None, max_length=80)
    stance: str = Field(max_length=20)  # agree | dissent | none (silence past the deadline)
    text: str | None = None
    given_on: dt.date
    answer: str | None = None  # the reviewer's written answer to a dissent
    answered_by: str | None = Field(default=None, max_length=80)
    answered_on: dt.date | None = None


class TransitionLog(SQLModel, table=True):
    __tablename__ = "transition_log"

    seq: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=40)  # found by ix_transition_app_seq (application_id, seq)
    action: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=80)
    to_state: str = Field(max_length=80)
    unit: str = Field(max_length=80)
    person: str = Field(max_length=80)
    role: str = Field(max_length=40)
    at: dt.datetime = Field(default_factory=utcnow)
    on_date: dt.date
    guards: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    reason: str | None = None
    documents: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Refusal(SQLModel, table=True):
    __tablename__ = "refusal"

    id: int | None = Field(default=None, primary_key=True)
    application_id: str | None = Field(default=None, index=True, max_length=40)
    action: str = Field(max_length=40)
    unit: str = Field(max_length=80)
    person: str = Field(max_length=80)
    role: str = Field(max_length=40)
    at: dt.datetime = Field(default_factory=utcnow)
    reasons: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))


class Change(SQLModel, table=True):
    __tablename__ = "change"

    seq: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # admission-entered | admission-exited | adjustment-decided | policy-reloaded
    application_id: str | None = Field(default=None, max_length=40)
    at: dt.datetime = Field(default_factory=utcnow)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class FlowDefinition(SQLModel, table=True):
    """Every flow revision an application was started under, so it can finish under it."""

    __tablename__ = "flow_definition"

    flow_id: str = Field(primary_key=True, max_length=80)
    revision: str = Field(primary_key=True, max_length=64)
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    first_seen: dt.datetime = Field(default_factory=utcnow)


class Counter(SQLModel, table=True):
    __tablename__ = "counter"

    name: str = Field(primary_key=True, max_length=40)
    value: int = 0
    head: str | None = Field(default=None, max_length=64)  # app-YYYY: the newest application's first entry


Index("ix_transition_app_seq", TransitionLog.application_id, TransitionLog.seq)



class _PlainRow:
    """A row as the workflow's write path handles it: the attribute names of its table model,
    in a plain object (no SQLAlchemy instrumentation, no pydantic on every attribute set — on
    the hot path they cost more than the statements).  `model_dump` answers exactly as the
    table model's does."""

    __slots__ = ()
    _model: type[SQLModel]
    _defaults: dict[str, Any] = {}  # what the table model fills in; any other missing name is "now"

    def __init__(self, **values: Any) -> None:
        now = None
        for name in self.__slots__:
            if name in values:
                value = values[name]
            elif name in self._defaults:
                value = self._defaults[name]
            else:
                now = now or utcnow()
                value = now
            setattr(self, name, value)

    @classmethod
    def from_row(cls, row):
        """From a result row whose first columns are the table's, in order."""
        self = cls.__new__(cls)
        for name, value in zip(cls.__slots__, row):
            setattr(self, name, value)
        return self

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        return self._model(**self.values()).model_dump(**kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self.__slots__)})"


def _columns(model: type[SQLModel]) -> tuple[str, ...]:
    return tuple(c.name for c in model.__table__.columns)


class ApplicationRow(_PlainRow):
    __slots__ = _columns(Application)
    _model = Application
    _defaults = {"version": 1, "due": None, "overdue": False, "effective_from": None, "effective_until": None,
                 "exited_on": None, "log_head": None}  # created_at, updated_at: now


class OpinionRow(_PlainRow):
    __slots__ = _columns(Opinion)
    _model = Opinion
    _defaults = {"id": None, "person": None, "text": None, "answer": None, "answered_by": None, "answered_on": None}
