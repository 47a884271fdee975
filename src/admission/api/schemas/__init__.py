"""Request and response models of the API (the OpenAPI document is generated from them), one
module per resource: `decisions`, `ownership` (a unit's duties, a matter's owners), `catalogue`
(matters, findings), `policy` (the service, the loaded policy, the change feed), `workflow`
(applications and their steps), `logs` (decision logs); `common` holds the bases and field types.

Request bodies are strict: unknown fields are refused, types are not coerced ("3" is not 3),
dates are calendar dates `YYYY-MM-DD` only.

May import: language (ids and dates) only — nothing else of the api, so that the routes, the
decision fast path and the sharded replica all share one set of models.
"""

from __future__ import annotations

from .catalogue import FindingOut, FindingPage, MatterOut, MatterPage
from .common import NO_CONTROL, TEXT_PATTERN, ApiDate, ApiDateTime, ApiId, Body, Day, Out, Person, Short, Text
from .decisions import (
    AuthorityOut, DecisionBatchOut, DecisionOut, DecisionRequest, ExerciseBatch, ExerciseQuestion, ExerciseRequest,
    Kind, Question, QuestionBatch, ReasonOut, Role,
)
from .logs import CallerOut, DecisionLogEntry, DecisionLogPage, DecisionLogStats, WorkerStats
from .ownership import AdmissionOut, DutiesOut, EntryOut, OwnerRoleOut, OwnersOut, PowerOut, UnitOut
from .policy import ChangeFeed, ChangeOut, FlowOut, HealthOut, MeOut, PolicyOut, ReadyOut, ReloadOut
from .workflow import (
    AnswerBody, ApplicationOut, ApplicationPage, ApplyBody, DossierOut, LogEntryOut, OpinionBody, OpinionOut,
    RefusalOut, StepBody, TickOut, VerifyOut,
)

__all__ = [
    "NO_CONTROL", "TEXT_PATTERN", "AdmissionOut", "AnswerBody", "ApiId", "ApplicationOut", "ApplicationPage",
    "ApiDate", "ApiDateTime", "ApplyBody", "AuthorityOut", "Body", "CallerOut", "ChangeFeed", "ChangeOut", "Day", "DecisionBatchOut",
    "DecisionLogEntry", "DecisionLogPage", "DecisionLogStats", "DecisionOut", "DecisionRequest", "DossierOut",
    "DutiesOut", "EntryOut", "ExerciseBatch", "ExerciseQuestion", "ExerciseRequest", "FindingOut", "FindingPage",
    "FlowOut", "HealthOut", "Kind", "LogEntryOut", "MatterOut", "MatterPage", "MeOut", "OpinionBody", "OpinionOut",
    "Out", "OwnerRoleOut", "OwnersOut", "Person", "PolicyOut", "PowerOut", "Question", "QuestionBatch",
    "ReadyOut", "ReasonOut", "RefusalOut", "ReloadOut", "Role", "Short", "StepBody", "Text", "TickOut", "UnitOut",
    "VerifyOut", "WorkerStats",
]
