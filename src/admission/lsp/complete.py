"""Completion by the kind of value a field takes: ids of the section it refers to (a `lead`
gets the departments of this county, a list's `matter` the catalogue entries of the township or
village level), enum values with their Chinese labels, and today's date for date fields.  Each
id shows its Chinese name and can be found by that name or its pinyin initials."""

from __future__ import annotations

import datetime as dt

from lsprotocol import types as lsp

from ..language.enums import Level, UnitKind
from .fields import date_fields, enum_for, record_name, target
from .navigate import initials
from .text import context_at
from .workspace import Workspace

LIMIT = 500


def county_of(units: dict, uid: str | None) -> str | None:
    """The county government above a unit (itself when it is one), or None."""
    seen = set()
    while uid and uid in units and uid not in seen:
        seen.add(uid)
        u = units[uid]
        if u.kind == UnitKind.government and u.level == Level.county:
            return uid
        uid = u.parent
    return None


def _level(section: str | None) -> Level | None:
    if section in ("township_lists", "township_templates"):
        return Level.township
    if section in ("village_lists", "village_templates"):
        return Level.village
    return None


def candidates(ws: Workspace, section: str | None, key: str | None, owner: dict[str, str]) -> list[tuple[str, str]]:
    """(id, name) of the records a field of `section` may name, narrowed by its context."""
    spec = target(section, key)
    if spec is None:
        return []
    refers, kinds = spec
    table = ws.index[refers]
    units = ws.index["units"]
    out = []
    county = None
    if refers == "units" and kinds and kinds <= {UnitKind.department, UnitKind.dispatched}:
        county = county_of(units, owner.get("township") or owner.get("county") or owner.get("owner"))
    level = _level(section) if refers == "matters" else None
    for ident, rec in table.items():
        if kinds is not None and refers == "units" and rec.kind not in kinds:
            continue
        if county is not None and county_of(units, ident) != county:
            continue
        if level is not None and rec.levels and level not in rec.levels:
            continue
        out.append((ident, record_name(rec)))
    return out


def complete(ws: Workspace, display: str, pos: lsp.Position, today: dt.date) -> lsp.CompletionList:
    lines = ws.text(display).splitlines() or [""]
    line = min(pos.line, len(lines) - 1) if lines else 0
    ctx = context_at(lines, line, pos.character)
    items: list[lsp.CompletionItem] = []
    for ident, name in candidates(ws, ctx.section, ctx.key, ctx.owner)[:LIMIT]:
        items.append(lsp.CompletionItem(
            label=ident, detail=name, kind=lsp.CompletionItemKind.Reference, insert_text=ident,
            filter_text=f"{ident} {name} {initials(name)}",
            label_details=lsp.CompletionItemLabelDetails(description=name)))
    found = enum_for(ctx.section, ctx.key)
    if found is not None:
        for member in found:
            label = getattr(member, "label", "")
            items.append(lsp.CompletionItem(label=member.value, detail=label, kind=lsp.CompletionItemKind.EnumMember,
                                            filter_text=f"{member.value} {label} {initials(label)}"))
    if ctx.key in date_fields():
        items.append(lsp.CompletionItem(label=today.isoformat(), detail="今天 today", kind=lsp.CompletionItemKind.Value))
    return lsp.CompletionList(is_incomplete=len(items) >= LIMIT, items=items)
