"""Missing owner (监管盲区): cooperative items without a proper lead department, returned items
without a department that can take them, and township-level matters nobody owns.

Fires:

    cooperative: [{matter: M1}]                   # missing-lead
    cooperative: [{matter: M1, lead: D-other}]    # lead-outside-county (D-other in another county)

Does not fire:

    cooperative: [{matter: M1, lead: D1}]         # D1 of the same county, M1 in D1's power list
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ...diagnostics import Severity
from ...compile.expand import township_entries
from ...language.enums import Level, UnitKind
from .registry import Context, Family, finding
from .overlap import _in_force

E = Severity.error
FAMILY = Family("owners", "Missing owner:", "township/matter")
MISSING_LEAD = FAMILY.rule(
    "missing-lead", E, "配合履职事项没有牵头部门", "cooperative duty without a lead department",
    "写明唯一的牵头部门 lead", "a cooperative entry with no lead.")
LEAD_OUTSIDE = FAMILY.rule(
    "lead-outside-county", E, "牵头部门不属于本县（区）", "lead department outside the township's county",
    "改为本县（区）对应的职能部门", "a lead whose county is not the township's.")
LEAD_NO_POWER = FAMILY.rule(
    "lead-without-power", E, "牵头部门的权责清单中没有该事项", "lead department does not hold the matter",
    "核对牵头部门，或补充其权责清单", "a lead that does not hold the matter on `on`.")
MISSING_TAKER = FAMILY.rule(
    "missing-taker", E, "收回事项没有承接部门（监管盲区）", "returned item without a department taking it back",
    "写明承接部门 taken_by", "a returned entry with no `taken_by`.")
TAKER_NO_POWER = FAMILY.rule(
    "taker-without-power", E, "承接部门的权责清单中没有该事项（监管盲区）",
    "department taking back a returned item does not hold it", "改为持有该职权的部门，或补充其权责清单",
    "a `taken_by` that does not hold the matter on `on` (监管盲区).")
MISSING_OWNER = FAMILY.rule(
    "missing-owner", E, "乡镇层级的事项无人负责", "township-level matter owned by nobody in the county",
    "列入乡镇清单，或明确由持有该职权的县级部门负责",
    "a matter whose `levels` include `township`, for an active township none of whose list entries, "
    "delegations or admissions in force on `on` mention it, and no department of whose county holds it "
    "on `on`.  A matter with `forms` (e.g. `[township]` for a rural item) applies only to townships of "
    "those forms (乡镇 or 街道).")


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    for tid in sorted(ctx.policy.township_lists):
        yield from _township(ctx, tid)
    yield from _unowned(ctx)


def _township(ctx: Context, tid: str):
    t = ctx.units.get(tid)
    county = t.county if t else None
    lists = township_entries(ctx.policy, tid)
    d = ctx.day
    for e in lists.cooperative:
        if not _in_force(e, d):
            continue
        subject, mname = f"{tid}/{e.matter}", ctx.matter_name(e.matter)
        els = (f"unit:{tid}", f"matter:{e.matter}")
        if not e.lead:
            yield finding(MISSING_LEAD, subject, f"{ctx.name(tid)}：配合履职事项“{mname}”没有牵头部门", (e.span,), els)
        for lead in e.lead:
            dept = ctx.units[lead].attributed
            if ctx.units[dept].county != county:
                yield finding(LEAD_OUTSIDE, subject, f"{ctx.name(tid)}：“{mname}”的牵头部门 {ctx.name(lead)} 不属于本县（区）",
                              (e.span,), (*els, f"unit:{lead}"))
            elif not ctx.index.holds_on(dept, e.matter, d):
                yield finding(LEAD_NO_POWER, subject, f"{ctx.name(tid)}：牵头部门 {ctx.name(lead)} 的权责清单中没有“{mname}”",
                              (e.span,), (*els, f"unit:{lead}"))
    for e in lists.returned:
        if not _in_force(e, d):
            continue
        subject, mname = f"{tid}/{e.matter}", ctx.matter_name(e.matter)
        els = (f"unit:{tid}", f"matter:{e.matter}")
        if not e.taken_by:
            yield finding(MISSING_TAKER, subject, f"{ctx.name(tid)}：收回事项“{mname}”没有承接部门", (e.span,), els)
        for taker in e.taken_by:
            dept = ctx.units[taker].attributed
            if not ctx.index.holds_on(dept, e.matter, d):
                yield finding(TAKER_NO_POWER, subject, f"{ctx.name(tid)}：承接部门 {ctx.name(taker)} 的权责清单中没有“{mname}”",
                              (e.span,), (*els, f"unit:{taker}"))


def _unowned(ctx: Context):
    d = ctx.day
    township_matters = [mid for mid, m in ctx.matters.items() if Level.township in m.levels]
    if not township_matters:
        return
    mentioned: dict[str, set[str]] = defaultdict(set)
    for (target, matter), entries in ctx.index.entries.items():
        if any(e.in_force(d) for e in entries):
            mentioned[target].add(matter)
    for (target, matter), blocks in ctx.index.blocks.items():
        if any(b.since <= d <= b.until for b in blocks):
            mentioned[target].add(matter)
    held_in_county: dict[str | None, set[str]] = defaultdict(set)
    for matter, rows in ctx.index.holders.items():
        for dept, since, until in rows:
            if since <= d <= until:
                held_in_county[ctx.units[dept].county].add(matter)
    units = ctx.units.items() if ctx.wanted is None else ((u, ctx.units[u]) for u in ctx.wanted if u in ctx.units)
    for tid, t in sorted(units):
        if t.kind != UnitKind.township or not t.active(d):
            continue
        seen, held = mentioned.get(tid, set()), held_in_county.get(t.county, set())
        form = t.record.form
        for mid in township_matters:
            if mid not in seen and mid not in held:
                m = ctx.matters[mid]
                if m.forms and form is not None and form not in m.forms:
                    continue  # a rural item does not apply to a street, nor an urban one to a town
                yield finding(MISSING_OWNER, f"{tid}/{mid}",
                              f"{t.name}：乡镇层级事项“{m.name}”既不在其清单上，本县也没有部门持有该职权",
                              (m.span, t.record.span), (f"unit:{tid}", f"matter:{mid}"))
