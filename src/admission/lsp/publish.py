"""The project's `Diagnostic` as an LSP diagnostic: the Chinese message with the English beside
it, the rule id as the code, the suggestion in the text and in `data` (for the quick fixes), and
the related places as `relatedInformation`."""

from __future__ import annotations

from lsprotocol import types as lsp

from ..diagnostics import Diagnostic, Span
from .navigate import location
from .text import to_range
from .workspace import Workspace

SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning,
            "info": lsp.DiagnosticSeverity.Information}
FILE_START = Span("", 1, 1, 1, 1)


def to_lsp(ws: Workspace, d: Diagnostic) -> lsp.Diagnostic:
    text = d.message + (f"\n{d.message_en}" if d.message_en else "") + (f"\n提示 help: {d.help}" if d.help else "")
    related = [lsp.DiagnosticRelatedInformation(location=location(ws, s), message="相关位置 see also") for s in d.related if s]
    return lsp.Diagnostic(
        range=to_range(d.span or FILE_START), message=text, severity=SEVERITY[d.severity.value], code=d.code,
        source="admission", related_information=related or None,
        data={"code": d.code, "help": d.help, "subject": d.subject})


def for_file(ws: Workspace, display: str, loader: list[Diagnostic]) -> list[lsp.Diagnostic]:
    """What an editor shows for one file: the loader's diagnostics and the last save's findings."""
    found = [*loader, *ws.findings.get(display, ())]
    return [to_lsp(ws, d) for d in found if d.span is None or d.span.file == display]
