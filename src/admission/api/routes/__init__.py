"""The `/v1` routes: thin — parse, authorise, call a service or a view, return a public schema."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from ..problems import TITLES, Problem


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Documented error responses (the OpenAPI hook moves them to application/problem+json)."""
    return {code: {"model": Problem, "description": TITLES.get(code, str(code))} for code in codes}


AUTH = (401, 403)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = data if isinstance(data, bytes) else orjson.dumps(data, default=_default)
    return Response(content, status_code=status, headers=headers, media_type="application/json")


def _default(value):
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(type(value).__name__)
