"""Who owns a matter in a unit on a day: the legal party (bears the responsibility), who
executes, who cooperates — and since when, with the entry that says so."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..diagnostics import Span
from ..compile.index import ADMISSION, BASIC, COOPERATIVE, DELEGATION, ASSISTING, DUTY, OPEN_END, OPEN_START, Index
from ..language.enums import UnitKind


@dataclass(frozen=True, slots=True)
class Role:
    role: str  # legal_party | executes | cooperates | supervises
    unit: str
    unit_name: str
    via: str  # basic | cooperative | returned | grant | entrust | admission | duty | assisting | power_list
    since: dt.date | None
    until: dt.date | None
    source: Span | None
    rewords: str | None = None  # the parent list's matter this entry rewords (its earlier wording)

    def to_dict(self) -> dict:
        return {"role": self.role, "unit": self.unit, "unit_name": self.unit_name, "via": self.via,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "source": str(self.source) if self.source else None, "rewords": self.rewords}


ROLE_LABELS = {"legal_party": "责任主体", "executes": "承办", "cooperates": "配合", "supervises": "指导监督"}


def _date(n: int) -> dt.date | None:
    return None if n in (OPEN_START, OPEN_END) else dt.date.fromordinal(n)


def who(index: Index, matter: str, unit: str, on: dt.date) -> list[Role]:
    """Every role in `unit` for `matter` on `on`; empty when nobody is named there."""
    d = on.toordinal()
    units = index.units
    u = units[unit]
    out: list[Role] = []

    def add(role, uid, via, since, until, span):
        name = units[uid].name if uid in units else uid
        out.append(Role(role, uid, name, via, _date(since), _date(until), span, reworded))

    reworded = None

    for block in index.blocks.get((unit, matter), ()):
        if block.since <= d <= block.until and block.kind == "returned":
            for taker in block.record.taken_by:
                add("legal_party", taker, "returned", block.since, block.until, block.record.span)
                add("executes", taker, "returned", block.since, block.until, block.record.span)
    for e in index.entries.get((unit, matter), ()):
        if not e.in_force(d):
            continue
        rec = e.record
        reworded = getattr(rec, "rewords", None)
        if e.kind == BASIC or e.kind == DUTY:
            via = "basic" if e.kind == BASIC else "duty"
            add("legal_party", unit, via, e.since, e.until, rec.span)
            add("executes", unit, via, e.since, e.until, rec.span)
        elif e.kind == COOPERATIVE:
            for lead in rec.lead:
                add("legal_party", lead, "cooperative", e.since, e.until, rec.span)
            add("cooperates", unit, "cooperative", e.since, e.until, rec.span)
        elif e.kind == DELEGATION:
            if rec.mode.value == "grant":
                add("legal_party", unit, "grant", e.since, e.until, rec.span)
                add("executes", unit, "grant", e.since, e.until, rec.span)
                add("supervises", rec.department, "grant", e.since, e.until, rec.span)
            else:
                add("legal_party", rec.department, "entrust", e.since, e.until, rec.span)
                add("executes", unit, "entrust", e.since, e.until, rec.span)
        elif e.kind == ASSISTING:
            if rec.supervisor:
                add("legal_party", rec.supervisor, "assisting", e.since, e.until, rec.span)
            add("cooperates", unit, "assisting", e.since, e.until, rec.span)
        elif e.kind == ADMISSION:
            add("executes", unit, "admission", e.since, e.until, rec.span)
            add("supervises", rec.applicant, "admission", e.since, e.until, rec.span)
    reworded = None
    if not any(r.role == "legal_party" for r in out) and u.kind in (UnitKind.township, UnitKind.village):
        for dept in index.county_holders(u.county, matter, d):
            for since, until in index.holds.get((dept, matter), ()):
                if since <= d <= until:
                    add("legal_party", dept, "power_list", since, until, None)
                    break
    return out
