"""Writing records in the project's YAML style: one flow mapping per entry with the name as a
comment.  A scalar is written plain only when it is plainly safe (nothing YAML would read as
syntax, and the loader — YAML 1.2 core plus dates — reads it back as the same text); otherwise
double-quoted with JSON escapes, which YAML reads back exactly."""

from __future__ import annotations

import datetime as dt
import json
import re
from enum import Enum

from ..loader.yamlread import _resolve_plain

#: the order keys are written in (others follow in model order)
KEY_ORDER = ("id", "name", "domain", "power_type", "levels", "township", "village", "matter", "scope",
             "seq", "department", "townships", "mode", "basis", "lead", "lead_duties", "township_duties", "taken_by",
             "method", "supervisor", "category", "purpose", "procedure", "note", "since", "until",
             "evaluation", "revoked")

_UNSAFE = re.compile(r"""[\[\]{},#&*!|>'"%@`\\:]|^[-?:~+.\d]|^\s|\s$|[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]""")
_ESCAPE = re.compile(r"[\x7f-\x9f\u2028\u2029\ufeff]")


def scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text and not _UNSAFE.search(text) and _resolve_plain(text) == text and text.lower() not in (
            "yes", "no", "on", "off", "y", "n", "null", "true", "false"):
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return _ESCAPE.sub(lambda m: f"\\u{ord(m[0]):04x}", quoted)


def plain(value):
    """Model dump → YAML-ready data: enums as their codes, dates kept, keys in KEY_ORDER."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        keys = [k for k in KEY_ORDER if k in value] + [k for k in value if k not in KEY_ORDER]
        return {k: plain(value[k]) for k in keys}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def flow(value) -> str:
    """One value as single-line flow YAML."""
    value = plain(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def comment(text: str | None) -> str:
    if not text:
        return ""
    return "  # " + " ".join(str(text).split())


def dump(model) -> dict:
    """A record's fields that differ from their defaults."""
    return plain(model.model_dump(mode="python", exclude_defaults=True, exclude_none=True))
