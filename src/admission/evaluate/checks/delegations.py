"""Delegations (赋权/委托) that should not exist: a power the department does not hold, a grant
without a provincial decision, major penalties, specialist items, villages, onward entrustment.

Fires:

    delegations: [{id: G1, matter: M-penalty, department: D1, townships: [T1], mode: grant}]
    # delegation-grant-basis (no published provincial decision)

Does not fire:

    delegations: [{id: G2, matter: M-penalty, department: D1, townships: [T1], mode: grant, basis: B-prov-decision}]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ...diagnostics import Severity
from ...language.enums import BasisKind, DelegationMode, Level, PowerType, UnitKind
from .registry import Context, Family, finding

E = Severity.error
FAMILY = Family("delegations", "Delegations (each active on `on`, or starting after it):", "delegation")
NOT_HELD = FAMILY.rule(
    "delegation-not-held", E, "部门赋出了自己并不持有的职权", "department delegates a power it does not hold",
    "核对权责清单；已集中到市级的领域县级无权可赋",
    "the department does not hold the matter on the delegation's `since` (or on `on` when `since` is "
    "absent or the delegation is active on `on`).")
OTHER_COUNTY = FAMILY.rule(
    "delegation-other-county", E, "向外县（区）乡镇赋权", "delegation to a township of another county",
    "只能由本县（区）部门向本县乡镇赋权", "the department's county is not the receiving township's.")
GRANT_BASIS = FAMILY.rule(
    "delegation-grant-basis", E, "赋予处罚权缺少省级公开决定",
    "grant of a penalty power without a published provincial decision",
    "依据应为省级公开发布的赋权决定（行政处罚法第24条）",
    "a `grant` of a penalty power whose basis is not a published province-level `decision`.")
ENTRUST_BASIS = FAMILY.rule(
    "delegation-entrust-basis", E, "委托缺少公开的书面委托", "entrustment without a published written entrustment",
    "依据应为公开发布的委托书，载明事项、权限和期限", "an `entrust` whose basis is not a published `entrustment`.")
MAJOR = FAMILY.rule(
    "delegation-major-penalty", E, "下放重大行政处罚", "major penalty delegated", "重大处罚保留在县级部门",
    "the matter is a major penalty (`major_penalty`).")
SPECIALIST = FAMILY.rule(
    "delegation-specialist", E, "下放需专业设备或鉴定的事项", "item needing specialist equipment delegated",
    "需专业设备或鉴定的事项不下放", "the matter needs specialist equipment or appraisal (`needs_specialist`).")
TO_VILLAGE = FAMILY.rule(
    "delegation-to-village", E, "向村(社区)赋权或委托", "delegation or entrustment to a village",
    "村(社区)是群众自治组织，不承接行政职权", "a receiving unit is a village.")
ONWARD = FAMILY.rule(
    "entrust-onward", E, "乡镇把职权再交出去", "township passes a delegated power on", "受委托或赋权的乡镇不得再委托",
    "the delegating unit is a township (a township never passes a power on).")


def _relevant(dl, on: dt.date) -> bool:
    """Active on the check date, or starting after it."""
    return dl.active(on) or (dl.since is not None and dl.since > on and dl.revoked is None)


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    bases = ctx.policy.bases
    for dl in sorted(ctx.policy.delegations.values(), key=lambda x: x.id):
        if not _relevant(dl, ctx.on):
            continue
        m = ctx.matters[dl.matter]
        dept = ctx.units[dl.department]
        els = (f"delegation:{dl.id}", f"unit:{dl.department}", f"matter:{dl.matter}", *(f"unit:{t}" for t in dl.townships))
        head = f"赋权 {dl.id}（{dept.name} → {'、'.join(ctx.name(t) for t in dl.townships)}，“{m.name}”）"
        def f(rule, text):
            return finding(rule, dl.id, f"{head}：{text}", (dl.span,), els)
        if dept.kind == UnitKind.township:
            yield f(ONWARD, "乡镇不得把职权再委托或赋予他人")
        else:
            when = ctx.on if (dl.since is None or dl.active(ctx.on)) else dl.since
            if not ctx.index.holds_on(dept.attributed, dl.matter, when.toordinal()):
                yield f(NOT_HELD, f"{dept.name} 在 {when} 的权责清单中没有该职权")
            if any(t in ctx.units and ctx.units[t].county != dept.county for t in dl.townships):
                yield f(OTHER_COUNTY, "承接乡镇不在该部门所在县（区）")
        basis = bases.get(dl.basis) if dl.basis else None
        if dl.mode == DelegationMode.grant and m.power_type == PowerType.penalty:
            if not (basis and basis.level == Level.province and basis.kind == BasisKind.decision and basis.published):
                yield f(GRANT_BASIS, "依据不是省级公开发布的赋权决定")
        if dl.mode == DelegationMode.entrust:
            if not (basis and basis.kind == BasisKind.entrustment and basis.published):
                yield f(ENTRUST_BASIS, "依据不是公开发布的书面委托")
        if m.major_penalty:
            yield f(MAJOR, "重大行政处罚不得下放")
        if m.needs_specialist:
            yield f(SPECIALIST, "需专业设备或鉴定的事项不得下放")
        if any(t in ctx.units and ctx.units[t].kind == UnitKind.village for t in dl.townships):
            yield f(TO_VILLAGE, "不得向村(社区)赋权或委托")
