"""The workflow's errors: a step that cannot be taken, each kind with the HTTP status the API
maps it to (problem+json)."""

from __future__ import annotations


class WorkflowError(Exception):
    """A step that cannot be taken; `status` follows HTTP (the API maps it to problem+json)."""

    status = 400
    code = "workflow-error"

    def __init__(self, message: str, *, code: str | None = None, details: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or []


class NotFound(WorkflowError):
    status, code = 404, "not-found"


class Forbidden(WorkflowError):
    status, code = 403, "forbidden"


class Conflict(WorkflowError):
    status, code = 409, "conflict"


class PreconditionFailed(WorkflowError):
    status, code = 412, "stale-etag"


class Invalid(WorkflowError):
    status, code = 422, "invalid"


class Refused(WorkflowError):
    """A guard rule with effect `block` fired."""

    status, code = 409, "refused-by-guard"
