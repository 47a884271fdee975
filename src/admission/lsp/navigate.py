"""Go to definition, find references, the outline of a file and the search over every id and
Chinese name of the tree (with pinyin initials, so `jcsq` finds 基层社区…)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lsprotocol import types as lsp

from ..diagnostics import Span
from ..language.policy import ID_SECTIONS, PolicyFile
from .fields import record_name, section_of, target
from .text import context_at, to_range, word_at
from .workspace import Workspace


@lru_cache(maxsize=65536)
def initials(name: str) -> str:
    """The pinyin initials of a Chinese name (`镇政府` → `zzf`), lower case."""
    from pypinyin import Style, lazy_pinyin

    return "".join(p[:1] for p in lazy_pinyin(name, style=Style.FIRST_LETTER) if p).lower()


def uri(ws: Workspace, file: str) -> str:
    return Path(ws.path(file)).resolve().as_uri()


def location(ws: Workspace, span: Span) -> lsp.Location:
    return lsp.Location(uri=uri(ws, span.file), range=to_range(span))


def id_at(ws: Workspace, display: str, pos: lsp.Position) -> tuple[str, str] | None:
    """(section, id) of the id under the cursor: a reference by its field, else any known id."""
    lines = ws.text(display).splitlines()
    if pos.line >= len(lines):
        return None
    found = word_at(lines[pos.line], pos.character)
    if found is None:
        return None
    word = found[0]
    ctx = context_at(lines, pos.line, found[1])
    spec = target(ctx.section, ctx.key)
    prefer = spec[0] if spec else (ctx.section if ctx.section in ID_SECTIONS else None)
    section = section_of(ws.index, word, prefer)
    return (section, word) if section else None


def definition(ws: Workspace, display: str, pos: lsp.Position) -> lsp.Location | None:
    hit = id_at(ws, display, pos)
    if hit is None:
        return None
    rec = ws.index[hit[0]][hit[1]]
    return location(ws, rec.span) if rec.span else None


def references(ws: Workspace, display: str, pos: lsp.Position, declaration: bool) -> list[lsp.Location]:
    """Every list entry, delegation, assignment, template, flow… that names the id."""
    hit = id_at(ws, display, pos)
    if hit is None:
        return []
    section, ident = hit
    out = []
    if declaration and ws.index[section][ident].span:
        out.append(location(ws, ws.token_span(ws.index[section][ident].span, ident)))
    for file in ws.files():
        for span, _fname, sec, _kinds, ref in ws.needs(file):
            if ref == ident and sec == section and span is not None:
                out.append(location(ws, ws.token_span(span, ident)))
    return out


def document_symbols(ws: Workspace, display: str) -> list[lsp.DocumentSymbol]:
    """The outline of a file: its sections, and in each the records by id and name."""
    pf = ws.pf(display)
    if pf is None:
        return []
    out = []
    for section, attr in ID_SECTIONS.items():
        recs = [r for r in getattr(pf, section) if r.span]
        if not recs:
            continue
        children = [lsp.DocumentSymbol(
            name=str(getattr(r, attr)), detail=record_name(r) or None, kind=lsp.SymbolKind.Object,
            range=to_range(r.span), selection_range=to_range(Span(r.span.file, r.span.line, r.span.column,
                                                                  r.span.line, r.span.column)))
            for r in recs]
        first, last = recs[0].span, recs[-1].span
        whole = Span(display, first.line, 1, last.end_line, last.end_column)
        out.append(lsp.DocumentSymbol(
            name=section, detail=PolicyFile.model_fields[section].title, kind=lsp.SymbolKind.Namespace,
            range=to_range(whole), selection_range=to_range(Span(display, first.line, 1, first.line, 1)),
            children=children))
    return out


def workspace_symbols(ws: Workspace, query: str, limit: int = 200) -> list[lsp.SymbolInformation]:
    """Ids and Chinese names of every record matching `query` (an id, a name, pinyin initials)."""
    q = query.strip().lower()
    out = []
    for section in ID_SECTIONS:
        for ident, rec in ws.index[section].items():
            name = record_name(rec)
            if q and q not in ident.lower() and q not in name.lower() and not initials(name).startswith(q):
                continue
            if rec.span is None:
                continue
            out.append(lsp.SymbolInformation(name=f"{ident} {name}".strip(), kind=lsp.SymbolKind.Object,
                                             location=location(ws, rec.span), container_name=section))
            if len(out) >= limit:
                return out
    return out
