"""Tables of the compliance API (migration 0002_api).

- `api_token`: bearer tokens, stored only as the SHA-256 of the token; a unit and a role each;
  revocable (`revoked_at`).
- `api_idempotency`: the outcome of each step sent with an `Idempotency-Key`, per token and
  key, so that a retried request is answered from here instead of acting twice.
- `decision_log`: the decision log in the manner of OPA's (each decision with its input, its
  result, the policy revision and admission sequence, the caller and the time).
- `decision_log_worker`: each server worker's decision-log counters (written, dropped, …), so
  the API can report them for all workers.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from .tables import utcnow


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: str = Field(primary_key=True, max_length=40)  # public id, e.g. tok_1a2b3c4d5e6f
    token_hash: str = Field(max_length=64, unique=True)  # SHA-256 (hex) of the secret token
    unit: str = Field(max_length=80)
    role: str = Field(max_length=20)
    name: str | None = Field(default=None, max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow)
    revoked_at: dt.datetime | None = None


class ApiIdempotency(SQLModel, table=True):
    __tablename__ = "api_idempotency"

    token_id: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)  # SHA-256 of method, path, body and preconditions
    status: int | None = None  # None while the first request is still running
    body: str | None = Field(default=None, sa_column=Column(Text))
    headers: str | None = Field(default=None, sa_column=Column(Text))  # JSON object
    created_at: dt.datetime = Field(default_factory=utcnow)
    completed_at: dt.datetime | None = None


class DecisionLog(SQLModel, table=True):
    """One entry per answered request, as OPA logs one entry per query: a batch is one entry
    (its `count` decisions; each answer inside carries its own `decision_id`)."""

    __tablename__ = "decision_log"

    seq: int | None = Field(default=None, primary_key=True)
    decision_id: str = Field(max_length=40, index=True)  # a batch's id for a batch
    at: dt.datetime = Field(index=True)
    path: str = Field(max_length=40)  # decisions | exercise-checks
    token_id: str = Field(max_length=40)
    caller_unit: str = Field(max_length=80)
    caller_role: str = Field(max_length=20)
    count: int = 1  # decisions in this entry
    actor: str | None = Field(default=None, max_length=80)  # single questions only (the unit, for exercise checks)
    matter: str | None = Field(default=None, max_length=80)
    target: str | None = Field(default=None, max_length=80)
    outcome: str = Field(max_length=10)  # a batch: deny if any answer is a denial, else allow
    code: str = Field(max_length=60)  # the first reason's code; "batch" for a batch
    revision: str = Field(max_length=64)
    admission_seq: int
    # the request body as received and the response body as sent: JSON, or zlib-compressed JSON
    # when larger than 4 KiB (the first byte tells: "{" or "x")
    input: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    result: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class DecisionLogWorker(SQLModel, table=True):
    __tablename__ = "decision_log_worker"

    worker: str = Field(primary_key=True, max_length=40)
    pid: int
    started_at: dt.datetime
    updated_at: dt.datetime
    written: int = 0
    dropped: int = 0
    sampled_out: int = 0
    failed_flushes: int = 0
    buffered: int = 0

