"""What the bases (依据) leave unsaid.  A published row often cites a law article or a district's
own document with no issue date; the language takes it as `undated: true` instead of an invented
date, and the check says what is missing and who relies on it.

Fires (a delegation's date cannot be checked against it):

    bases: [{id: LAW-CXGH, number: 《城乡规划法》第六十五条, title: 城乡规划法, issuer: 全国人大常委会,
             level: central, kind: law, undated: true}]
    delegations: [{id: G-1, matter: M1, department: D1, townships: ["370402101"], mode: entrust,
                   basis: LAW-CXGH, since: 2025-01-01}]

Does not fire: the same basis with `issued: 2019-04-23`, or cited only as a matter's legal basis.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ...compile.expand import village_entries
from ...diagnostics import Severity
from .registry import Context, Family, finding

FAMILY = Family("bases", "Bases (依据):", "basis")
UNDATED = FAMILY.rule(
    "basis-undated", Severity.warning, "依据的发布日期不详", "basis without an issue date",
    "查明并写上发布日期 issued（删去 undated），以便核对引用它的赋权、准入和下派在其日期是否已有依据",
    "a basis written with `undated: true` is cited by a record whose date it must precede (a delegation, an "
    "admission, an assignment, a certification entry); the finding lists them (up to five).  An undated "
    "basis cited only as a matter's legal basis or a burden rule's source is not a finding.")


def _uses(ctx: Context) -> dict[str, list]:
    """basis id → the spans of the records citing it that need it in force on their date."""
    p = ctx.policy
    out: dict[str, list] = defaultdict(list)
    for rec in (*p.delegations.values(), *p.admissions.values(), *p.assignments.values()):
        if getattr(rec, "basis", None):
            out[rec.basis].append(rec.span)
    for vid in p.village_lists:
        lists = village_entries(p, vid)
        for e in (*lists.may_certify, *lists.must_not_certify):
            if e.basis:
                out[e.basis].append(e.span)
    return out


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    undated = [b for b in ctx.policy.bases.values() if b.undated]
    if not undated:
        return
    uses = _uses(ctx)
    for b in undated:
        cited = list(dict.fromkeys(s for s in uses.get(b.id, ()) if s is not None))
        if cited:
            yield finding(UNDATED, b.id, f"依据“{b.title}”（{b.number}）没有写发布日期，{len(cited)} 处有日期的记录引用它，"
                                         f"无法核对其日期是否已有该依据", (b.span, *cited[:5]), (f"basis:{b.id}",))
