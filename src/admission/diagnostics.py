"""One record type for everything a user is told about a policy.

Loader errors, check findings and workflow refusals are all `Diagnostic`s; the text, JSON
and SARIF writers in `admission.explain.report` are plain functions of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple


class Severity(str, Enum):
    """How bad a diagnostic is; errors fail validation, warnings only inform."""

    error = "error"
    warning = "warning"
    info = "info"


class Span(NamedTuple):
    """A 1-based source range in a policy file (end is inclusive of the last column)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def shown(self, base: str = "") -> str:
        """`file:line:column` with the file under `base` (the policy root as the user gave it):
        spans name files relative to the policy root, and only the CLI adds where that root is."""
        return f"{join_root(base, self.file)}:{self.line}:{self.column}"


def join_root(base: str, file: str) -> str:
    """A root-relative POSIX path shown under `base`; no base, or ".", leaves it as it is."""
    if not base or base == ".":
        return file
    return base.rstrip("/\\") + "/" + file


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A located message: a stable English rule id, a Chinese message, optional help."""

    code: str
    message: str
    span: Span | None = None
    severity: Severity = Severity.error
    subject: str | None = None
    help: str | None = None
    related: tuple[Span, ...] = field(default=())
    message_en: str | None = None
    elements: tuple[str, ...] = field(default=())  # graph nodes/edges involved (checks)

    def sort_key(self) -> tuple:
        s = self.span
        return (s.file, s.line, s.column) if s else ("", 0, 0), self.code, self.message

    def to_dict(self) -> dict:
        out: dict = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.message_en:
            out["message_en"] = self.message_en
        if self.span:
            out["file"], out["line"], out["column"] = self.span.file, self.span.line, self.span.column
            out["end_line"], out["end_column"] = self.span.end_line, self.span.end_column
        if self.subject:
            out["subject"] = self.subject
        if self.help:
            out["help"] = self.help
        if self.related:
            out["related"] = [str(s) for s in self.related]
        if self.elements:
            out["elements"] = list(self.elements)
        return out

    def format(self, base: str = "") -> str:
        """Text for a terminal; `base` is the policy root as given, prefixed to every path."""
        where = f"{self.span.shown(base)}: " if self.span else ""
        text = f"{where}{self.severity.value}[{self.code}] {self.message}"
        if self.help:
            text += f"\n    提示 help: {self.help}"
        for rel in self.related:
            text += f"\n    相关位置 see also: {rel.shown(base)}"
        return text


class PolicyError(Exception):
    """Raised by the library when a policy cannot be loaded; carries every diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        super().__init__(f"{len(self.diagnostics)} error(s) in policy")
