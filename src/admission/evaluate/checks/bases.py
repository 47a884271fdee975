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

from collections.abc import Iterator

from ...compile.expand import village_entries
from ...diagnostics import Severity
from .registry import Context, Family, finding

FAMILY = Family("bases", "Bases (依据):", "basis")
UNDATED = FAMILY.rule(
    "basis-undated", Severity.warning, "依据的发布日期不详", "basis without an issue date",
    "查明并写上发布日期 issued（删去 undated），以便核对引用它的赋权、准入和下派在其日期是否已有依据",
    "a basis written with `undated: true` is cited by a record whose date it must precede (a delegation, an "
    "admission, an assignment, a village's certification entry); one finding per citing record, at it, "
    "the basis related.  An undated basis cited only as a matter's legal basis or a burden rule's source "
    "is not a finding.")


def _citations(ctx: Context) -> Iterator[tuple[str, str, str, object, tuple[str, ...]]]:
    """(basis id, what cites it, its id, its span, graph elements) for every dated record citing a basis."""
    p = ctx.policy
    for d in p.delegations.values():
        if d.basis:
            yield d.basis, f"赋权 {d.id}", d.id, d.span, (f"delegation:{d.id}",)
    for a in p.admissions.values():
        if a.basis:
            yield a.basis, f"准入记录 {a.id}", a.id, a.span, tuple(f"unit:{t}" for t in a.targets)
    for a in p.assignments.values():
        if a.basis:
            yield a.basis, f"下派 {a.id}", a.id, a.span, (f"assignment:{a.id}",)
    for vid in p.village_lists:
        lists = village_entries(p, vid)
        for e in (*lists.may_certify, *lists.must_not_certify):
            if e.basis:
                yield e.basis, f"{ctx.name(vid)}的证明事项“{ctx.matter_name(e.matter)}”", vid, e.span, (f"unit:{vid}",)


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    bases = ctx.policy.bases
    if not any(b.undated for b in bases.values()):
        return
    for bid, what, rid, span, elements in _citations(ctx):
        b = bases.get(bid)
        if b is not None and b.undated:
            yield finding(UNDATED, f"{bid}/{rid}",
                          f"{what}所引依据“{b.title}”（{b.number}）没有写发布日期，无法核对其日期是否已有该依据",
                          (span, b.span), (f"basis:{bid}", *elements))
